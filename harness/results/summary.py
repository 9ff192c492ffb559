"""A run's aggregates, rebuilt from its case rows: every catalogued metric with its interval.

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

from harness.results.records import CaseRecord, MetricRow
from harness.scoring.answer_metrics import QA_COLUMNS, category_columns, latency_percentiles
from harness.scoring.catalogue import MODES, TOTALS, metric_formulas, retrieval_columns
from harness.scoring.metrics import COUNT_COLUMNS
from harness.scoring.stats import bootstrap_matrix, count_matrix, defined_cases, named_columns


def per_case_rows(
    records: Iterable[CaseRecord], modes: Sequence[str] = MODES
) -> dict[str, dict[str, float]]:
    """Case id -> every additive column summed over the case's repeats (zeros where absent)."""

    template = dict.fromkeys([*COUNT_COLUMNS, *retrieval_columns(modes), *QA_COLUMNS], 0.0)
    rows: dict[str, dict[str, float]] = {}
    for record in records:
        row = rows.setdefault(record.case_id, {**template, "case_repeats": 0, "case_errors": 0})
        row["case_repeats"] += 1
        if record.status != "ok":
            row["case_errors"] += 1
            continue
        for source in (record.counts or {}, record.retrieval or {}, record.answer_counts or {}):
            for key, value in source.items():
                row[key] = row.get(key, 0.0) + value
    return rows


def aggregate_rows(
    rows: Mapping[str, Mapping[str, float]],
    *,
    run_id: str,
    modes: Sequence[str] = MODES,
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[MetricRow]:
    """Every metric with its case-bootstrap interval and the number of cases it is defined on."""

    names, matrix = count_matrix([rows[case_id] for case_id in sorted(rows)])
    formulas = metric_formulas(modes, category_columns(names))
    estimates = bootstrap_matrix(
        names, matrix, formulas, n_resamples=max(n_resamples, 1), seed=seed
    )
    per_case = named_columns(names, matrix)
    out = []
    for name, formula in formulas.items():
        estimate = estimates[name]
        low, high = (estimate.low, estimate.high) if n_resamples else (None, None)
        n = defined_cases(formula, per_case) if len(matrix) else 0
        out.append(MetricRow(run_id, name, _clean(estimate.value), low, high, n))
    return out


def known_sum(values: Iterable[float | None]) -> float | None:
    """The sum, or None when a value is unknown (a part unknown makes the whole unknown)."""
    total = 0.0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def totals(records: Sequence[CaseRecord], run_id: str) -> list[MetricRow]:
    """Operational totals over every case x repeat (errors included: their calls cost too)."""
    n = len(records)
    costs = [r.cost_usd for r in records if r.cost_usd is not None]
    values: dict[str, float | None] = {
        "input_tokens": known_sum(r.input_tokens for r in records),
        "output_tokens": known_sum(r.output_tokens for r in records),
        "cost_usd": float(sum(costs)) if costs else None,
        "n_calls": known_sum(r.n_calls for r in records),
        "retries": known_sum(r.retries for r in records),
        "cached_calls": known_sum(r.cached_calls for r in records),
        "mean_case_latency_s": (sum(r.latency_s for r in records) / n) if n else None,
    }
    return [MetricRow(run_id, name, values[name], None, None, n) for name in TOTALS]


def latency_rows(answers: Sequence[Any], run_id: str) -> list[MetricRow]:
    """p50/p95 of the answer stage's search and answer latencies (cache hits left out)."""
    searched = [a.search_latency_s for a in answers if a.search_latency_s is not None]
    answered = [a.answer_latency_s for a in answers if a.answer_latency_s]
    values = {
        **latency_percentiles("search_latency", searched),
        **latency_percentiles("answer_latency", answered),
    }
    sizes = {"search": len(searched), "answer": len(answered)}
    return [
        MetricRow(run_id, name, value, None, None, sizes[name.split("_")[0]])
        for name, value in values.items()
    ]


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
