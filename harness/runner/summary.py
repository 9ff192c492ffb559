"""A run's aggregates, rebuilt from its case rows: the metric formulas, intervals and tables.

Everything is computed from the additive per-case columns stored in ``case_results.counts`` and
``case_results.retrieval``, so comparisons and gates can recompute any metric, its bootstrap
interval or a paired difference from the database alone::

    rows = per_case_rows(store.case_results(run_id))   # case id -> summed columns
    formulas = metric_formulas()
    paired_bootstrap(rows_a, rows_b, formulas)

Repeats of a case are summed into one row, so the case stays the unit of resampling. A case x
repeat that ended in an error adds to ``case_errors`` only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.reports._records import CaseRecord, MetricRow

STATES: dict[str, str] = {"end_to_end": "e2e", "gold": "gold"}
"""Query state -> metric-name prefix."""
MODES: tuple[str, ...] = ("vector", "fts", "hybrid")
KS: tuple[int, ...] = (1, 3, 5, 10)
RANK_METRICS: tuple[str, ...] = (
    *(f"recall@{k}" for k in KS),
    *(f"ndcg@{k}" for k in KS),
    "mrr",
)

HEADLINE: tuple[str, ...] = (
    "micro_f1",
    "insert_f1",
    "update_f1",
    "delete_f1",
    "exact_session_accuracy",
    "nothing_to_store_fpr",
    "final_f1",
    "e2e_vector_recall@5",
    "e2e_fts_recall@5",
    "e2e_hybrid_recall@5",
    "e2e_hybrid_mrr",
    "gold_hybrid_recall@5",
    "gold_hybrid_mrr",
    "error_rate",
)
"""Metrics the summary table shows (every metric is stored and in ``--json``)."""

TOTALS: tuple[str, ...] = (
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "n_calls",
    "retries",
    "cached_calls",
    "mean_case_latency_s",
)
"""Operational totals stored beside the metrics (no interval)."""


def retrieval_key(state: str, mode: str, metric: str) -> str:
    """The column/metric name of a retrieval metric: ``e2e_hybrid_recall@5``."""
    return f"{STATES[state]}_{mode}_{metric}"


def retrieval_columns(modes: Sequence[str] = MODES) -> list[str]:
    return [
        retrieval_key(state, mode, metric)
        for state in STATES
        for mode in modes
        for metric in ("queries", *RANK_METRICS)
    ]


def metric_formulas(modes: Sequence[str] = MODES) -> dict[str, Any]:
    """Metric name -> formula over summed columns (extraction, retrieval, error rate)."""
    from harness.scoring.metrics import EXTRACTION_METRICS, ratio

    formulas: dict[str, Any] = dict(EXTRACTION_METRICS)
    for state in STATES:
        for mode in modes:
            queries = retrieval_key(state, mode, "queries")
            for metric in RANK_METRICS:
                key = retrieval_key(state, mode, metric)
                formulas[key] = lambda c, k=key, q=queries: ratio(c[k], c[q])
    formulas["error_rate"] = lambda c: ratio(c["case_errors"], c["case_repeats"])
    return formulas


def per_case_rows(
    records: Iterable[CaseRecord], modes: Sequence[str] = MODES
) -> dict[str, dict[str, float]]:
    """Case id -> every additive column summed over the case's repeats (zeros where absent)."""
    from harness.scoring.metrics import COUNT_COLUMNS

    template = dict.fromkeys([*COUNT_COLUMNS, *retrieval_columns(modes)], 0.0)
    rows: dict[str, dict[str, float]] = {}
    for record in records:
        row = rows.setdefault(record.case_id, {**template, "case_repeats": 0, "case_errors": 0})
        row["case_repeats"] += 1
        if record.status != "ok":
            row["case_errors"] += 1
            continue
        for source in (record.counts or {}, record.retrieval or {}):
            for key, value in source.items():
                row[key] = row.get(key, 0.0) + value
    return rows


def _defined_per_case(formula: Any, names: list[str], matrix: Any) -> int:
    """How many cases the metric is defined for on their own (non-empty denominator)."""
    import numpy as np

    if matrix.shape[0] == 0:
        return 0
    values = np.asarray(formula({n: matrix[:, i] for i, n in enumerate(names)}), dtype=float)
    return int(np.sum(~np.isnan(values)))


def aggregate_rows(
    rows: Mapping[str, Mapping[str, float]],
    *,
    run_id: str,
    modes: Sequence[str] = MODES,
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[MetricRow]:
    """Every metric with its case-bootstrap interval and the number of cases it is defined on."""
    from harness.scoring.stats import bootstrap, count_matrix

    formulas = metric_formulas(modes)
    ordered = [rows[case_id] for case_id in sorted(rows)]
    names, matrix = count_matrix(ordered)
    estimates = bootstrap(ordered, formulas, n_resamples=max(n_resamples, 1), seed=seed)
    out = []
    for name, formula in formulas.items():
        estimate = estimates[name]
        low, high = (estimate.low, estimate.high) if n_resamples else (None, None)
        n = _defined_per_case(formula, names, matrix) if ordered else 0
        out.append(MetricRow(run_id, name, _clean(estimate.value), low, high, n))
    return out


def totals(records: Sequence[CaseRecord], run_id: str) -> list[MetricRow]:
    """Operational totals over every case x repeat (errors included: their calls cost too)."""
    n = len(records)
    costs = [r.cost_usd for r in records if r.cost_usd is not None]
    values: dict[str, float | None] = {
        "input_tokens": float(sum(r.input_tokens for r in records)),
        "output_tokens": float(sum(r.output_tokens for r in records)),
        "cost_usd": float(sum(costs)) if costs else None,
        "n_calls": float(sum(r.n_calls for r in records)),
        "retries": float(sum(r.retries for r in records)),
        "cached_calls": float(sum(r.cached_calls for r in records)),
        "mean_case_latency_s": (sum(r.latency_s for r in records) / n) if n else None,
    }
    return [MetricRow(run_id, name, values[name], None, None, n) for name in TOTALS]


def summarise(
    records: Sequence[CaseRecord],
    *,
    run_id: str,
    modes: Sequence[str] = MODES,
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[MetricRow]:
    """Every metric row of a run: aggregates with intervals, then operational totals."""
    rows = per_case_rows(records, modes)
    metrics = aggregate_rows(rows, run_id=run_id, modes=modes, n_resamples=n_resamples, seed=seed)
    return metrics + totals(records, run_id)


def metrics_json(metrics: Iterable[MetricRow]) -> dict[str, dict[str, Any]]:
    """``{metric: {"value", "ci_low", "ci_high", "n"}}`` (what ``--json`` prints and runs store)."""
    return {
        m.metric: {"value": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high, "n": m.n}
        for m in metrics
    }


def _clean(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def summary_table(title: str, metrics: Mapping[str, MetricRow], names: Sequence[str] = HEADLINE):
    """A rich table of the headline metrics with their intervals."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("n", justify="right")
    for name in names:
        row = metrics.get(name)
        if row is None:
            continue
        interval = "-" if row.ci_low is None else f"[{_fmt(row.ci_low)}, {_fmt(row.ci_high)}]"
        table.add_row(name, _fmt(row.value), interval, str(row.n))
    return table
