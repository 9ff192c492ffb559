"""Speakers and session dates reach the memory system: the prompt, the stored memory, baselines."""

from __future__ import annotations

from pathlib import Path

import pytest
from memory_helpers import call, on_loop

from harness import MemoryStoreManager, create_memory_store_manager
from harness.baselines import HeuristicBaseline, NoopBaseline
from harness.data.importers import import_locomo
from harness.errors import ConfigurationError
from harness.memory.store import InMemoryStore

SAMPLE = Path(__file__).parents[1] / "data" / "samples" / "locomo_v2" / "77.json"
CONFIG = {"configurable": {"user_id": "u1"}}
NS = ("memories", "u1")


def _locomo_session():
    (case,) = import_locomo(SAMPLE).cases
    session = case.sessions[0]
    return [m.model_dump(exclude_none=True) for m in session.messages], session.date


@on_loop
async def test_locomo_speakers_and_date_reach_the_request_and_the_stored_memory(scripted, store):
    messages, date = _locomo_session()
    assert date == "2022-01-21T19:31"
    sm = create_memory_store_manager(scripted.model, store=store, namespace=("memories", "u1"))
    fact = call(
        "insert_memory", content="Nate won his first video game tournament", sources=["D1:1"]
    )
    scripted.enqueue_tool_calls([fact])
    result = await sm.ainvoke({"messages": messages, "date": date}, CONFIG)

    [request] = scripted.requests
    prompt = request.messages[1]["content"]
    assert '<conversation date="2022-01-21T19:31">' in prompt
    assert "[D1:1] Nate (user): Hey Joanna! Long time no talk." in prompt
    assert "[D1:2] Joanna (user): Congrats!" in prompt
    [op] = result.operations
    item = await store.aget(NS, op.id)
    assert item.value["date"] == "2022-01-21T19:31"  # the data time, not the wall clock
    assert item.value["source"] == ["D1:1"]


@on_loop
async def test_without_a_date_the_prompt_and_memory_carry_none(scripted, store):
    sm = create_memory_store_manager(scripted.model, store=store, namespace=("memories", "u1"))
    scripted.enqueue_tool_calls([call("insert_memory", content="User likes tea")])
    result = await sm.ainvoke({"messages": [{"role": "user", "content": "I like tea"}]}, CONFIG)
    prompt = scripted.requests[0].messages[1]["content"]
    assert "<conversation>\n[m0] user: I like tea" in prompt
    item = await store.aget(NS, result.operations[0].id)
    assert "date" not in item.value and item.value["source"] == []


def test_a_date_that_is_not_iso_is_refused():
    sm = MemoryStoreManager(NoopBaseline(), store=InMemoryStore(), namespace=("memories",))
    with pytest.raises(ConfigurationError, match="date must be an ISO 8601"):
        sm.invoke({"messages": [{"role": "user", "content": "hi"}], "date": "last Tuesday"})


def test_heuristic_names_each_speaker_when_two_people_talk():
    messages = [
        {"id": "a", "role": "user", "name": "Caroline", "content": "I moved to Porto last year."},
        {"id": "b", "role": "user", "name": "Melanie", "content": "I have two kids."},
    ]
    result = HeuristicBaseline().invoke({"messages": messages, "date": "2023-05-08"})
    stated = {op.after["content"]: op.source for op in result.operations if op.op == "insert"}
    assert stated == {"Caroline moved to Porto last year": ["a"], "Melanie has two kids": ["b"]}


def test_heuristic_keeps_user_for_a_single_named_user():
    messages = [{"id": "a", "role": "user", "name": "Alex", "content": "I have two kids."}]
    result = HeuristicBaseline().invoke({"messages": messages})
    assert [op.after["content"] for op in result.operations] == ["User has two kids"]
