"""Usage records: one CallRecord per model call, labelled, collected per context."""

from __future__ import annotations

import asyncio

import pytest

from harness.errors import ModelError
from harness.models import call_purpose, compute_cost, get_model, record_calls
from harness.models.types import Usage

USER = [{"role": "user", "content": "I switched from coffee to green tea."}]


def test_tokens_and_latency_are_recorded(scripted):
    scripted.enqueue_text("ok", usage={"input_tokens": 120, "output_tokens": 7})
    with record_calls() as calls:
        response = get_model(scripted.model).generate(USER)
    [record] = calls
    assert record.model == scripted.model
    assert record.purpose == "extract"
    assert (record.usage.input_tokens, record.usage.output_tokens) == (120, 7)
    assert record.usage == response.usage
    assert record.usage.latency_s > 0
    assert record.usage.cost_usd is None  # scripted models have no price
    assert record.error is None and record.cache_key is None


def test_cost_comes_from_litellms_price_map():
    # gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
    assert compute_cost("openai/gpt-4o-mini", 1_000, 2_000) == pytest.approx(0.00015 + 0.0012)
    assert compute_cost("gpt-4o-mini", 1_000_000, 0) == pytest.approx(0.15)
    assert compute_cost("openai/no-such-model-here", 10, 10) is None
    assert compute_cost("scripted/anything", 10, 10) is None


def test_failed_calls_are_recorded_with_the_error(scripted):
    scripted.enqueue_error("auth", "key rejected")
    with record_calls() as calls, pytest.raises(ModelError):
        get_model(scripted.model).generate(USER)
    [record] = calls
    assert "key rejected" in record.error
    assert record.usage.input_tokens == 0


def test_call_purpose_labels_calls_and_restores(scripted):
    scripted.respond_with(lambda request: "ok")
    model = get_model(scripted.model)
    with record_calls() as calls:
        model.generate(USER)
        with call_purpose("query"):
            model.generate(USER)
            with call_purpose("judge"):
                model.generate(USER)
            model.generate(USER)
        model.generate(USER)
    assert [c.purpose for c in calls] == ["extract", "query", "judge", "query", "extract"]


def test_collectors_nest(scripted):
    scripted.respond_with(lambda request: "ok")
    model = get_model(scripted.model)
    with record_calls() as outer:
        model.generate(USER)
        with record_calls() as inner:
            model.generate(USER)
        model.generate(USER)
    assert len(inner) == 1
    assert len(outer) == 3
    assert inner[0] is outer[1]


def test_calls_outside_any_block_are_not_collected(scripted):
    scripted.respond_with(lambda request: "ok")
    model = get_model(scripted.model)
    with record_calls() as calls:
        pass
    model.generate(USER)
    assert calls == []


def test_concurrent_tasks_keep_their_own_records(scripted):
    scripted.respond_with(lambda request: request.messages[0]["content"])
    scripted.delay = 0.01
    model = get_model(scripted.model)

    async def case(n: int):
        with record_calls() as calls, call_purpose(f"case-{n}"):
            for _ in range(n):
                await model.agenerate([{"role": "user", "content": f"case {n}"}])
        return calls

    async def main():
        with record_calls() as everything:
            per_case = await asyncio.gather(*(case(n) for n in range(1, 9)))
        return everything, per_case

    everything, per_case = asyncio.run(main())
    assert [len(calls) for calls in per_case] == list(range(1, 9))
    for n, calls in enumerate(per_case, start=1):
        assert {c.purpose for c in calls} == {f"case-{n}"}
    assert len(everything) == sum(range(1, 9))  # tasks started inside a block report to it


def test_sync_calls_from_threads_report_to_their_own_block(scripted):
    import threading

    scripted.respond_with(lambda request: "ok")
    model = get_model(scripted.model)
    results: dict[int, int] = {}

    def worker(n: int) -> None:
        with record_calls() as calls:
            for _ in range(n):
                model.generate(USER)
        results[n] = len(calls)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {1: 1, 2: 2, 3: 3, 4: 4}


def test_usage_adds_up():
    total = Usage(input_tokens=10, output_tokens=2, cost_usd=0.5, retries=1) + Usage(
        input_tokens=5, output_tokens=1, cost_usd=None
    )
    assert (total.input_tokens, total.output_tokens, total.cost_usd, total.retries) == (
        15,
        3,
        0.5,
        1,
    )
