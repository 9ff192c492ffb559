"""A case's latency is its own working time, not the time it queued for a slot."""

from __future__ import annotations

import asyncio
import uuid

import scripted_fixture
from runner_helpers import results, run, synthetic_cases, write_cases

from harness._async import run_sync
from harness.models.scripted import scripted_model
from harness.runner import RunConfig
from harness.runner._case import _Clock, _replay_clock, waited_for_model


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_clock_starts_at_the_first_slot_and_leaves_out_later_waits():
    """Case b queues 4 s for its first slot (not counted: it had not started), works 1 s,
    queues 3 s for its next slot (not counted), works 2 s: 3 s of working time."""
    fake = FakeTime()

    async def scenario() -> float:
        slots = asyncio.Semaphore(1)
        a, b = _Clock(fake), _Clock(fake)
        await a.acquire(slots)  # a holds the only slot from t=0
        b_first = asyncio.create_task(b.acquire(slots))
        await asyncio.sleep(0)  # b asks at t=0 and waits
        fake.now = 4.0
        slots.release()  # a is done: b gets its first slot at t=4
        await b_first
        fake.now = 5.0
        slots.release()  # b works 4 -> 5, then a takes the slot back
        await a.acquire(slots)
        b_second = asyncio.create_task(b.acquire(slots))
        await asyncio.sleep(0)  # b asks at t=5
        fake.now = 8.0
        slots.release()  # b gets it at t=8: 3 s waited
        await b_second
        fake.now = 10.0  # works 8 -> 10
        assert a.elapsed() == 10.0 - 0.0  # a never waited after its first slot
        return b.elapsed()

    assert run_sync(scenario()) == 3.0


def test_a_model_call_queued_for_a_call_slot_is_waiting_not_working():
    fake = FakeTime()
    clock = _Clock(fake)

    async def scenario() -> float:
        await clock.acquire(asyncio.Semaphore(1))
        token = _replay_clock.set(clock)
        try:
            waited_for_model(1.5)
        finally:
            _replay_clock.reset(token)
        fake.now = 4.0
        return clock.elapsed()

    assert run_sync(scenario()) == 2.5


def test_each_case_records_its_latency_and_timings(tmp_path, db_path):
    model = scripted_model(f"timing-{uuid.uuid4().hex[:8]}").reset()
    model.delay = 0.1
    model.respond_with(scripted_fixture.reply)
    dataset = write_cases(tmp_path / "syn.jsonl", synthetic_cases(6))
    config = RunConfig(
        dataset=str(dataset), model=model.model, concurrency=1, matcher="exact", n_resamples=0
    )
    result = run(config, db_path)
    with results(db_path) as store:
        cases = store.case_results(result.run_id)
    latencies = [case.latency_s for case in cases]
    assert len(latencies) == 6
    assert all(latency >= 0.1 for latency in latencies)  # at least the model's own delay
    assert all(case.timings["total_s"] == case.latency_s for case in cases)
    assert result.metrics["mean_case_latency_s"].value == sum(latencies) / len(latencies)
