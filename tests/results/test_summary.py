"""Aggregation from stored case rows: repeats summed per case, errors counted apart."""

from __future__ import annotations

from datetime import datetime

import pytest

from harness.results import CaseRecord
from harness.results.summary import aggregate_rows, per_case_rows, summarise
from harness.scoring.catalogue import metric_formulas
from harness.scoring.stats import paired_bootstrap


def _record(case_id: str, repeat: int, counts: dict | None, *, status: str = "ok", **extra):
    return CaseRecord(
        run_id="r", case_id=case_id, repeat=repeat, split="test", tags=[], case_hash="",
        status=status, error_type=None if status == "ok" else "ModelError",
        error=None if status == "ok" else "boom", n_sessions=1, latency_s=extra.get("latency", 1.0),
        input_tokens=extra.get("tokens", 10), output_tokens=1, cost_usd=extra.get("cost"),
        n_calls=1, retries=extra.get("retries", 0), cached_calls=0, counts=counts,
        retrieval=extra.get("retrieval"), timings={}, finished_at=datetime(2025, 1, 1),
    )  # fmt: skip


RECORDS = [
    # case a: two repeats, one insert TP each; case b: one FP, then an error; case c: an error.
    _record("a", 0, {"insert_tp": 1, "sessions": 1, "exact_sessions": 1}, cost=0.5),
    _record("a", 1, {"insert_tp": 1, "sessions": 1, "exact_sessions": 1}, cost=0.25),
    _record("b", 0, {"insert_fp": 1, "sessions": 1}, retries=2),
    _record("b", 1, None, status="error"),
    _record("c", 0, None, status="error"),
]


def test_repeats_are_summed_per_case_and_errors_counted_apart():
    rows = per_case_rows(RECORDS)
    assert set(rows) == {"a", "b", "c"}
    a, b = rows["a"], rows["b"]
    assert (a["insert_tp"], a["case_repeats"], a["case_errors"]) == (2, 2, 0)
    assert (b["insert_fp"], b["case_repeats"], b["case_errors"]) == (1, 2, 1)
    assert rows["c"]["sessions"] == 0 and rows["c"]["e2e_hybrid_queries"] == 0


def test_metrics_and_totals_from_the_rows():
    metrics = {m.metric: m for m in summarise(RECORDS, run_id="r", n_resamples=200)}
    # insert: TP 2, FP 1 -> precision 2/3; sessions 3, exact 2; error rate 2/5
    assert metrics["insert_precision"].value == pytest.approx(2 / 3)
    assert metrics["exact_session_accuracy"].value == pytest.approx(2 / 3)
    assert metrics["error_rate"].value == pytest.approx(2 / 5)
    assert (metrics["insert_precision"].n, metrics["error_rate"].n) == (2, 3)
    assert metrics["insert_recall"].value == 1.0 and metrics["insert_recall"].n == 1
    assert metrics["update_f1"].value is None and metrics["update_f1"].ci_low is None
    assert metrics["cost_usd"].value == 0.75 and metrics["retries"].value == 2
    assert metrics["input_tokens"].value == 50 and metrics["mean_case_latency_s"].value == 1.0
    low, high = metrics["insert_precision"].ci_low, metrics["insert_precision"].ci_high
    assert 0.0 <= low <= 2 / 3 <= high <= 1.0


def test_no_resamples_means_no_intervals():
    [row] = [m for m in aggregate_rows(per_case_rows(RECORDS), run_id="r", n_resamples=0)
             if m.metric == "insert_precision"]  # fmt: skip
    assert (row.value, row.ci_low, row.ci_high) == (pytest.approx(2 / 3), None, None)


def test_retrieval_metrics_are_means_over_queries():
    sums = {"e2e_vector_queries": 2.0, "e2e_vector_recall@5": 1.0, "e2e_vector_mrr": 1.5}
    records = [_record("a", 0, {}, retrieval=sums), _record("b", 0, {}, retrieval={})]
    metrics = {m.metric: m for m in summarise(records, run_id="r", n_resamples=0)}
    assert metrics["e2e_vector_recall@5"].value == 0.5
    assert metrics["e2e_vector_mrr"].value == 0.75
    assert metrics["e2e_vector_recall@5"].n == 1
    assert metrics["gold_vector_recall@5"].value is None


def test_rows_feed_paired_comparisons():
    better = [_record(c.case_id, c.repeat, {"insert_tp": 1, "sessions": 1}) for c in RECORDS]
    diff = paired_bootstrap(
        per_case_rows(better), per_case_rows(RECORDS), metric_formulas(), n_resamples=200
    )["insert_precision"]
    assert diff.diff == pytest.approx(1.0 - 2 / 3)
