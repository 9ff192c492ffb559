"""Confidence intervals and paired tests by resampling cases.

Cases, not ops or queries, are the unit of resampling: ops within a case are correlated. Every
metric is a formula over per-case additive counts (see :data:`harness.scoring.metrics
.EXTRACTION_METRICS`), so one resample is a weighted sum of the case rows: the resample weights
are a ``(resamples x cases)`` matrix of draw counts, and all resampled sums are one matrix
product. 1,000 resamples over 10,000 cases take well under a second.

Intervals are percentile intervals. Resamples where a metric is undefined (empty denominator)
are left out of its percentiles; a metric undefined in every resample has no interval.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MetricFormula = Callable[[Mapping[str, Any]], Any]
Rows = Sequence[Mapping[str, float]] | Mapping[str, Mapping[str, float]]
"""Per-case counts: a sequence, or a mapping from case id (paired functions align on the ids)."""

_CHUNK_CELLS = 2_000_000  # resample-weight cells generated at once (bounds memory)

MIN_CASES = 20
"""A figure computed on fewer cases (or questions) than this is flagged as a small sample."""
MIN_CLUSTERS = 10
"""An interval resampling fewer clusters (cases, the unit of resampling) is flagged too."""
SMALL_SAMPLE_MARK = "\u2020"
"""The mark a flagged figure carries in tables; :data:`SMALL_SAMPLE_LEGEND` explains it."""
SMALL_SAMPLE_LEGEND = (
    f"{SMALL_SAMPLE_MARK} small sample: computed on fewer than {MIN_CASES} cases (or questions), "
    f"or its interval resamples fewer than {MIN_CLUSTERS} cases; read it with care"
)


def small_sample(n: int, clusters: int | None = None, *, unit: str = "cases") -> str | None:
    """Why a figure is fragile, or None: it was computed on ``n`` < 20 ``unit`` (cases, or
    questions for a per-category answer figure), or its interval resampled ``clusters`` < 10
    cases (``clusters`` defaults to ``n``: cases are the clusters). Nothing computed, no flag."""
    clusters = n if clusters is None else clusters
    if n <= 0:
        return None
    reasons = []
    if n < MIN_CASES:
        reasons.append(f"{n} {unit} (fewer than {MIN_CASES})")
    if clusters < MIN_CLUSTERS and (clusters != n or unit != "cases"):
        reasons.append(f"interval from {clusters} cases (fewer than {MIN_CLUSTERS})")
    return "; ".join(reasons) or None


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its percentile interval (None where undefined)."""

    value: float | None
    low: float | None
    high: float | None

    @property
    def interval(self) -> tuple[float, float] | None:
        return None if self.low is None or self.high is None else (self.low, self.high)


@dataclass(frozen=True)
class PairedEstimate:
    """Run A minus run B on the same cases: difference, its interval and two-sided p-value."""

    a: float | None
    b: float | None
    diff: float | None
    low: float | None
    high: float | None
    p_value: float | None


def count_matrix(rows: Sequence[Mapping[str, float]], columns: Sequence[str] | None = None):
    """``(columns, matrix)``: one row per case, one column per count (missing counts are 0)."""
    import numpy as np

    names = list(columns) if columns is not None else sorted(set().union(*rows))
    zeros = itertools.repeat(0.0)  # row.get(name, 0.0) for every name, looked up in C
    matrix = np.array([list(map(row.get, names, zeros)) for row in rows], dtype=float)
    return names, matrix.reshape(len(rows), len(names))


def named_columns(names: Sequence[str], sums: Any) -> dict[str, Any]:
    """Each count's column of ``sums`` (a total, or one value per case or resample), by name."""
    return {name: sums[..., i] for i, name in enumerate(names)}


def _value(formula: MetricFormula, totals: Mapping[str, Any]) -> float | None:
    """The metric on ``totals`` (columns built once by the caller, shared by every formula)."""
    value = float(formula(totals))
    return None if math.isnan(value) else value


def resample_weights(n_cases: int, n_resamples: int, seed: int) -> Iterator[Any]:
    """Chunks of the ``(resamples x cases)`` draw-count matrix of a seeded case bootstrap."""
    import numpy as np

    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // max(n_cases, 1))
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        draws = rng.integers(0, n_cases, size=(size, n_cases))
        offsets = (np.arange(size) * n_cases)[:, None]
        counts = np.bincount((draws + offsets).ravel(), minlength=size * n_cases)
        yield counts.reshape(size, n_cases).astype(float)
        done += size


def _percentiles(values: Any, confidence: float) -> tuple[float | None, float | None]:
    import numpy as np

    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return None, None
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap(
    rows: Rows,
    metrics: Mapping[str, MetricFormula],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Estimate]:
    """Point estimate and case-bootstrap percentile interval of every metric."""
    names, matrix = count_matrix(_as_list(rows))
    return bootstrap_matrix(
        names, matrix, metrics, n_resamples=n_resamples, seed=seed, confidence=confidence
    )


def bootstrap_matrix(
    names: Sequence[str],
    matrix: Any,
    metrics: Mapping[str, MetricFormula],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Estimate]:
    """:func:`bootstrap` on a :func:`count_matrix` the caller already built (and uses again,
    e.g. for :func:`defined_cases`)."""
    import numpy as np

    if not len(matrix):
        return {name: Estimate(None, None, None) for name in metrics}
    sums = np.vstack([w @ matrix for w in resample_weights(len(matrix), n_resamples, seed)])
    columns = named_columns(names, sums)
    total_columns = named_columns(names, matrix.sum(axis=0))
    out = {}
    for name, formula in metrics.items():
        low, high = _percentiles(np.asarray(formula(columns), dtype=float), confidence)
        out[name] = Estimate(_value(formula, total_columns), low, high)
    return out


def defined_cases(formula: MetricFormula, per_case: Mapping[str, Any]) -> int:
    """On how many cases the metric is defined on its own (its denominator is not empty): the
    ``n`` a figure is reported with. ``per_case``: :func:`named_columns` of a count matrix."""
    import numpy as np

    values = np.asarray(formula(per_case), dtype=float)
    return int(np.sum(~np.isnan(values)))


def _as_list(rows: Rows) -> list[Mapping[str, float]]:
    return list(rows.values()) if isinstance(rows, Mapping) else list(rows)


def _aligned(rows_a: Rows, rows_b: Rows) -> tuple[list[str], Any, Any]:
    if isinstance(rows_a, Mapping) and isinstance(rows_b, Mapping):
        if set(rows_a) != set(rows_b):
            only_a = sorted(set(rows_a) - set(rows_b))[:5]
            only_b = sorted(set(rows_b) - set(rows_a))[:5]
            raise ValueError(
                f"paired comparison needs the same cases: only in A {only_a}, only in B {only_b}"
            )
        keys = sorted(rows_a)
        list_a, list_b = [rows_a[k] for k in keys], [rows_b[k] for k in keys]
    else:
        list_a, list_b = _as_list(rows_a), _as_list(rows_b)
    if len(list_a) != len(list_b):
        raise ValueError(f"paired comparison needs the same cases: {len(list_a)} vs {len(list_b)}")
    columns = sorted({k for row in [*list_a, *list_b] for k in row})
    return columns, count_matrix(list_a, columns)[1], count_matrix(list_b, columns)[1]


def paired_bootstrap(
    rows_a: Rows,
    rows_b: Rows,
    metrics: Mapping[str, MetricFormula],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, PairedEstimate]:
    """A - B per metric, resampling the same cases for both runs.

    The p-value is two-sided: twice the smaller share of resampled differences on either side of
    zero (capped at 1).
    """
    import numpy as np

    names, a, b = _aligned(rows_a, rows_b)
    out = {}
    weights = list(resample_weights(len(a), n_resamples, seed)) if len(a) else []
    sums_a = np.vstack([w @ a for w in weights]) if weights else np.zeros((0, len(names)))
    sums_b = np.vstack([w @ b for w in weights]) if weights else np.zeros((0, len(names)))
    totals_a, totals_b = named_columns(names, a.sum(0)), named_columns(names, b.sum(0))
    resampled_a, resampled_b = named_columns(names, sums_a), named_columns(names, sums_b)
    for name, formula in metrics.items():
        va, vb = _value(formula, totals_a), _value(formula, totals_b)
        diffs = np.asarray(formula(resampled_a), dtype=float) - np.asarray(
            formula(resampled_b), dtype=float
        )
        low, high = _percentiles(diffs, confidence)
        finite = diffs[~np.isnan(diffs)]
        p_value = None
        if finite.size:
            p_value = min(1.0, 2.0 * min(np.mean(finite <= 0), np.mean(finite >= 0)))
        diff = None if va is None or vb is None else va - vb
        out[name] = PairedEstimate(va, vb, diff, low, high, p_value)
    return out


def permutation_test(
    rows_a: Rows,
    rows_b: Rows,
    metrics: Mapping[str, MetricFormula],
    *,
    n_permutations: int = 2000,
    seed: int = 0,
) -> dict[str, float | None]:
    """Two-sided paired permutation test of A - B per metric.

    Each permutation swaps the two runs' rows of a random half of the cases; the p-value is
    ``(1 + #{|permuted diff| >= |observed diff|}) / (1 + #permutations)``.
    """
    import numpy as np

    names, a, b = _aligned(rows_a, rows_b)
    rng = np.random.default_rng(seed)
    swaps = rng.integers(0, 2, size=(n_permutations, len(a))).astype(float)
    delta = swaps @ (b - a)
    perm_a, perm_b = a.sum(0) + delta, b.sum(0) - delta
    totals_a, totals_b = named_columns(names, a.sum(0)), named_columns(names, b.sum(0))
    permuted_a, permuted_b = named_columns(names, perm_a), named_columns(names, perm_b)
    out: dict[str, float | None] = {}
    for name, formula in metrics.items():
        va, vb = _value(formula, totals_a), _value(formula, totals_b)
        if va is None or vb is None:
            out[name] = None
            continue
        observed = abs(va - vb)
        diffs = np.abs(
            np.asarray(formula(permuted_a), dtype=float)
            - np.asarray(formula(permuted_b), dtype=float)
        )
        diffs = diffs[~np.isnan(diffs)]
        extreme = int(np.sum(diffs >= observed - 1e-12))
        out[name] = (1 + extreme) / (1 + diffs.size)
    return out
