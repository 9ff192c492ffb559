"""A case's latency is its own working time, not the time it queued for a slot."""

from __future__ import annotations

import uuid

import scripted_fixture
from runner_helpers import results, run, synthetic_cases, write_cases

from harness.models.scripted import scripted_model
from harness.runner import RunConfig


def test_latency_excludes_waiting_for_a_slot(tmp_path, db_path):
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
    assert all(latency >= 0.1 for latency in latencies)  # at least the model's own delay
    # Queued behind the others, the last case would otherwise count their time as its own.
    assert max(latencies) < sum(latencies) / 2
    assert all(case.timings["total_s"] == case.latency_s for case in cases)
    assert result.metrics["mean_case_latency_s"].value == sum(latencies) / len(latencies)
