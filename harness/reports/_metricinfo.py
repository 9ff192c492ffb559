"""Metric names as comparisons and gates use them: which exist, which way is better, parsing.

Every metric is a formula over per-case additive columns (:func:`harness.runner.summary
.metric_formulas`), so anything named here can be recomputed on any subset of cases, bootstrapped
and compared pairwise from the results database alone.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from harness.errors import ConfigurationError

LOWER_IS_BETTER: frozenset[str] = frozenset({"nothing_to_store_fpr", "error_rate"})
"""Metrics where a rise is a regression; every other metric is better when higher."""

COMPARE_METRICS: tuple[str, ...] = (
    "micro_f1",
    "insert_f1",
    "update_f1",
    "delete_f1",
    "exact_session_accuracy",
    "nothing_to_store_fpr",
    "final_f1",
    "e2e_hybrid_recall@5",
    "gold_hybrid_recall@5",
    "error_rate",
)
"""What ``harness compare`` shows unless ``--metric`` says otherwise."""


@lru_cache(maxsize=1)
def formulas() -> dict[str, Any]:
    """Metric name -> formula over summed per-case columns (every mode's retrieval included)."""
    from harness.runner.summary import metric_formulas

    return metric_formulas()


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


def fmt(value: float | None, *, signed: bool = False, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def fmt_interval(low: float | None, high: float | None, *, signed: bool = False) -> str:
    if low is None or high is None:
        return "-"
    return f"[{fmt(low, signed=signed)}, {fmt(high, signed=signed)}]"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float | None) -> str:
    """``p < 0.001`` / ``p = 0.023`` for sentences."""
    if p is None:
        return "p undefined"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
