"""A provider that fails 20 % of requests: the run still finishes and every fault is accounted.

``scripted_fixture.faulty`` gives 2 requests in 10 (by content hash, so the same ones every time)
a fault on their first attempt, the kinds in turn: a rate limit, timeout or 5xx (retried by the
gateway), malformed tool arguments (one repair round), an empty reply (nothing to apply), or a
rejected request (not retryable: the case fails with the reason).
"""

from __future__ import annotations

import uuid

import pytest
import scripted_fixture
from runner_helpers import results, run, synthetic_cases, write_cases

from harness.models.scripted import scripted_model
from harness.runner import RunConfig

N_CASES = 40
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    dataset = write_cases(folder / "syn.jsonl", synthetic_cases(N_CASES, sessions=2))
    model = scripted_model(f"faulty-{uuid.uuid4().hex[:8]}").reset()
    model.respond_with(scripted_fixture.faulty)
    scripted_fixture.LOG.reset()
    config = RunConfig(
        dataset=str(dataset), model=model.model, concurrency=4, matcher="exact", n_resamples=0
    )
    db = folder / "results.duckdb"
    result = run(config, db)
    log = scripted_fixture.LOG
    injected = dict(log.injected)
    return result, db, injected, log.calls


def test_every_kind_of_fault_was_injected(faulty_run):
    _, _, injected, calls = faulty_run
    assert set(injected) == set(scripted_fixture.FAULTS)
    assert 0.1 < sum(injected.values()) / calls < 0.3


def test_the_run_finishes_with_every_case_recorded(faulty_run):
    result, db, _, _ = faulty_run
    assert result.status == "finished"
    assert result.recorded == N_CASES and result.bugs == 0
    with results(db) as store:
        cases = store.case_results(result.run_id)
        run_row = store.get_run(result.run_id)
    assert run_row.status == "finished"
    assert sorted(c.case_id for c in cases) == [f"syn-{i:04d}" for i in range(N_CASES)]
    for case in cases:
        if case.status == "ok":
            assert case.counts["sessions"] == 2 and case.error is None
        else:
            assert case.status == "error"
            assert case.error_type in ("ModelError", "InvalidModelOutputError")
            assert case.counts is None


def test_rejected_requests_fail_their_case_with_the_reason(faulty_run):
    result, db, injected, _ = faulty_run
    with results(db) as store:
        errors = store.case_results(result.run_id, status="error")
    rejected = [e for e in errors if "injected bad_request" in e.error]
    assert len(rejected) == injected["bad_request"] == result.errors == len(errors)
    assert all("not retryable" in e.error and e.error_type == "ModelError" for e in rejected)


def test_retries_are_counted_per_call_and_per_case(faulty_run):
    result, db, injected, calls = faulty_run
    retried = sum(injected[kind] for kind in scripted_fixture.RETRYABLE)
    with results(db) as store:
        [sums] = store.query(
            "SELECT sum(retries) AS retries, count(*) AS calls, "
            "count(*) FILTER (WHERE error IS NOT NULL) AS failed FROM llm_calls WHERE run_id = ?",
            [result.run_id],
        )
        [case_sums] = store.query(
            "SELECT sum(retries) AS retries, sum(n_calls) AS calls FROM case_results "
            "WHERE run_id = ?",
            [result.run_id],
        )
    assert sums["retries"] == case_sums["retries"] == retried > 0
    assert result.metrics["retries"].value == retried
    # Every attempt reached the provider; a retried call is one row with its retry count.
    assert sums["calls"] == case_sums["calls"] == calls - retried
    assert sums["failed"] == injected["bad_request"]


def test_malformed_arguments_are_repaired_and_empty_replies_scored(faulty_run):
    result, db, injected, _ = faulty_run
    with results(db) as store:
        repaired = store.query(
            "SELECT count(*) AS n FROM case_results WHERE run_id = ? AND status = 'ok' "
            "AND n_calls > (counts->>'sessions')::INTEGER",
            [result.run_id],
        )[0]["n"]
        missed = store.query(
            "SELECT count(*) AS n FROM ops WHERE run_id = ? AND outcome = 'missed'",
            [result.run_id],
        )[0]["n"]
    assert repaired >= 1  # a repair round is an extra call in a case that still scored
    assert missed >= injected["empty"]  # an empty reply stores nothing: its insert is missed
