"""The metric catalogue: every metric's name, formula, direction, and the lists views show.

Every metric is a formula over per-case additive columns (extraction counts from
:mod:`harness.scoring.metrics`, retrieval sums from :mod:`harness.scoring.retrieval`, case error
counts), so anything named here can be recomputed on any subset of cases, bootstrapped and
compared pairwise from the results database alone. Comparisons, gates, reports and the runner's
summary all read their names from here; the results schema keeps its own frozen copy of what
its views pivot (a shipped migration never changes).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from harness.errors import ConfigurationError
from harness.scoring.answer_metrics import answer_formulas, category_formula
from harness.scoring.metrics import EXTRACTION_METRICS, ratio

STATES: dict[str, str] = {"end_to_end": "e2e", "gold": "gold", "pooled": "pooled"}
"""Query state -> metric-name prefix."""
MODES: tuple[str, ...] = ("vector", "fts", "hybrid")
KS: tuple[int, ...] = (1, 3, 5, 10)
RANK_METRICS: tuple[str, ...] = (
    *(f"recall@{k}" for k in KS),
    *(f"ndcg@{k}" for k in KS),
    "mrr",
)
LEVEL_METRICS: tuple[str, ...] = tuple(
    f"{metric}_{level}@{k}"
    for level in ("turn", "session")
    for metric in ("recall", "ndcg")
    for k in KS
)
"""Provenance retrieval at LongMemEval's two evidence levels (``recall_session@5``...), each
a mean over the queries that have evidence at that level (``<level>_queries``)."""
PROVENANCE_COLUMNS: tuple[str, ...] = ("provenance_memories", "provenance_unsourced")
"""Per case scored by provenance: memories the run's store ends with, and those citing no
message (``unsourced``)."""

LOWER_IS_BETTER: frozenset[str] = frozenset({"nothing_to_store_fpr", "error_rate", "unsourced"})
"""Metrics where a rise is a regression; every other metric is better when higher."""

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
"""Metrics the run summary table shows (every metric is stored and in ``--json``)."""

POOLED_HEADLINE: tuple[str, ...] = tuple(
    f"pooled_{mode}_{metric}"
    for mode in ("vector", "fts", "hybrid")
    for metric in ("recall@5", "mrr")
)
"""Shown after the headline when the run searched the shared pool (``harness run --pooled``)."""

PROVENANCE_HEADLINE: tuple[str, ...] = (
    "e2e_hybrid_recall_turn@5",
    "e2e_hybrid_recall_session@5",
    "e2e_hybrid_ndcg_session@5",
    "unsourced",
)
"""Shown after the headline (and added to ``compare`` and the report's leaderboard) when some
run scored queries by provenance (imported benchmarks)."""

LEADERBOARD_METRICS: tuple[str, ...] = (
    "micro_f1",
    "insert_f1",
    "update_f1",
    "delete_f1",
    "exact_session_accuracy",
    "nothing_to_store_fpr",
    "final_f1",
    "e2e_hybrid_recall@5",
    "e2e_hybrid_mrr",
    "gold_hybrid_recall@5",
    "error_rate",
)
"""Columns of the HTML report's leaderboard, in order."""

COMPARE_METRICS: tuple[str, ...] = tuple(m for m in LEADERBOARD_METRICS if m != "e2e_hybrid_mrr")
"""What ``harness compare`` shows unless ``--metric`` says otherwise."""

REGRESSION_METRICS: tuple[str, ...] = (
    "micro_f1",
    "insert_f1",
    "update_f1",
    "delete_f1",
    "final_f1",
    "error_rate",
)
"""What the gate checks against a baseline when no ``max_drop`` names metrics of its own."""

CHART_METRICS: tuple[str, ...] = ("micro_f1", "update_f1", "final_f1", "e2e_hybrid_recall@5")
"""Metrics the HTML report draws as point-and-interval panels."""

OPTIMIZE_METRICS: tuple[str, ...] = (
    "micro_f1",
    "micro_precision",
    "micro_recall",
    "exact_session_accuracy",
    "final_f1",
)
"""What an optimization's held-out comparison reports."""

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
    """Every per-case retrieval column (query counts and metric sums) of ``modes``, and the
    provenance counts."""
    per_mode = ("queries", *RANK_METRICS, "turn_queries", "session_queries", *LEVEL_METRICS)
    return [
        *(
            retrieval_key(state, mode, metric)
            for state in STATES
            for mode in modes
            for metric in per_mode
        ),
        *PROVENANCE_COLUMNS,
    ]


def metric_formulas(modes: Sequence[str] = MODES, columns: Sequence[str] = ()) -> dict[str, Any]:
    """Metric name -> formula over summed columns (extraction, retrieval, answers, error rate).

    ``columns``: per-case columns present in the rows, for the per-category answer metrics.
    """
    formulas: dict[str, Any] = dict(EXTRACTION_METRICS)
    for state in STATES:
        for mode in modes:
            queries = retrieval_key(state, mode, "queries")
            for metric in RANK_METRICS:
                key = retrieval_key(state, mode, metric)
                formulas[key] = lambda c, k=key, q=queries: ratio(c[k], c[q])
            for metric in LEVEL_METRICS:
                key = retrieval_key(state, mode, metric)
                level = metric.split("_")[1].split("@")[0]
                queries = retrieval_key(state, mode, f"{level}_queries")
                formulas[key] = lambda c, k=key, q=queries: ratio(c[k], c[q])
    formulas["unsourced"] = lambda c: ratio(c["provenance_unsourced"], c["provenance_memories"])
    formulas.update(answer_formulas(columns))
    formulas["error_rate"] = lambda c: ratio(c["case_errors"], c["case_repeats"])
    return formulas


class _Catalogue(dict):
    """The fixed formulas, plus every per-category answer metric (``qa_j[temporal]``...) on
    demand: categories come from the data, so they cannot be listed ahead."""

    def __missing__(self, name: str) -> Any:
        formula = category_formula(name)
        if formula is None:
            raise KeyError(name)
        return formula  # not kept: the catalogue lists the fixed metrics only

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or (
            isinstance(name, str) and category_formula(name) is not None
        )


@lru_cache(maxsize=1)
def formulas() -> dict[str, Any]:
    """Metric name -> formula over summed per-case columns (every mode's retrieval included).

    Per-category answer metrics (``qa_j[single-hop]``, ``qa_f1[temporal-reasoning]``...) are
    resolved by name, so ``--metric`` and gates can name any category.
    """
    return _Catalogue(metric_formulas())


def known_metrics() -> list[str]:
    return list(formulas())


def higher_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def check_metrics(names: Iterable[str], *, option: str) -> list[str]:
    """``names`` de-duplicated in order; ConfigurationError naming the unknown one otherwise."""
    known = formulas()
    out: list[str] = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ConfigurationError(
                f"{option}: unknown metric {name!r}{hint}; known metrics: {', '.join(known)}"
            )
        if name not in out:
            out.append(name)
    return out


def parse_assignments(values: Sequence[str], *, option: str) -> dict[str, float]:
    """``["update_f1=0.8", ...]`` -> ``{"update_f1": 0.8}``; errors name the option and value."""
    out: dict[str, float] = {}
    for raw in values:
        name, sep, number = raw.partition("=")
        name, number = name.strip(), number.strip()
        if not sep or not name or not number:
            raise ConfigurationError(f"{option} {raw!r}: expected METRIC=VALUE, e.g. micro_f1=0.8")
        try:
            value = float(number)
        except ValueError:
            raise ConfigurationError(f"{option} {raw!r}: {number!r} is not a number") from None
        if not math.isfinite(value):
            raise ConfigurationError(f"{option} {raw!r}: the value must be a finite number")
        check_metrics([name], option=option)
        out[name] = value
    return out


class _Recorder(dict):
    """Reads every column as 1.0 and remembers which were read."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    def __missing__(self, key: str) -> float:
        self.read.append(key)
        return 1.0

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]


@lru_cache(maxsize=256)
def _columns_of(metric: str) -> tuple[str, ...]:
    recorder = _Recorder()
    formulas()[metric](recorder)
    return tuple(dict.fromkeys(recorder.read))


def columns_for(metrics: Iterable[str]) -> list[str]:
    """The additive columns the formulas of ``metrics`` read (resampling needs only those)."""
    return list(dict.fromkeys(c for metric in metrics for c in _columns_of(metric)))


def project(
    rows: Mapping[str, Mapping[str, float]], columns: Sequence[str]
) -> dict[str, dict[str, float]]:
    """``rows`` cut down to ``columns`` (absent ones read as 0)."""
    return {key: {c: row.get(c, 0.0) for c in columns} for key, row in rows.items()}


def case_value(metric: str, row: Mapping[str, float]) -> float | None:
    """The metric over one case's columns alone (None where its denominator is empty)."""
    value = float(formulas()[metric](_Zeros(row)))
    return None if math.isnan(value) else value


class _Zeros(dict):
    """A row where absent columns read as 0 (rows may omit columns that are zero)."""

    def __missing__(self, key: str) -> float:
        return 0.0
