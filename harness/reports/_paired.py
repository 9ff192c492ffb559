"""Paired differences between two runs on the same cases, and the decision whether they are real.

The difference is always *new minus reference* (B - A). Its interval is a paired case bootstrap
(both runs resampled with the same cases); its p-value is a paired permutation test (each case's
two rows swapped at random), which is exact under the null hypothesis of no difference and
does not lean on the bootstrap's approximations. A change counts as significant when both agree:
the permutation p-value is below ``alpha`` and the bootstrap interval excludes zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from harness.scoring.catalogue import columns_for, formulas, higher_is_better, project
from harness.scoring.stats import paired_bootstrap, permutation_test

IMPROVED = "improved"
REGRESSED = "regressed"
UNCHANGED = "no significant change"
UNDEFINED = "undefined"


@dataclass(frozen=True)
class PairedDiff:
    """B - A for one metric on the shared cases, with its interval, p-values and verdict."""

    metric: str
    a: float | None
    b: float | None
    diff: float | None
    low: float | None
    high: float | None
    p_bootstrap: float | None
    p_permutation: float | None
    p_adjusted: float | None
    significant: bool
    verdict: str

    @property
    def identical(self) -> bool:
        """Every resampled difference is 0: the runs agree on this metric, case by case."""
        return self.diff == 0 and self.low == 0 and self.high == 0

    @property
    def p(self) -> float | None:
        """The p-value decisions use (adjusted for multiple comparisons when asked)."""
        return self.p_adjusted if self.p_adjusted is not None else self.p_permutation

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(
    metric: str,
    diff: float | None,
    low: float | None,
    high: float | None,
    p: float | None,
    alpha: float,
) -> tuple[bool, str]:
    """``(significant, verdict)`` for a difference (pure)."""
    if diff is None or p is None:
        return False, UNDEFINED
    excludes_zero = low is not None and high is not None and (low > 0 or high < 0)
    if not (p < alpha and excludes_zero):
        return False, UNCHANGED
    better = diff > 0 if higher_is_better(metric) else diff < 0
    return True, IMPROVED if better else REGRESSED


def paired_differences(
    rows_a: Mapping[str, Mapping[str, float]],
    rows_b: Mapping[str, Mapping[str, float]],
    metrics: Sequence[str],
    *,
    n_resamples: int = 1000,
    n_permutations: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> dict[str, PairedDiff]:
    """B - A per metric; ``rows_a``/``rows_b`` map the same case ids to additive columns."""
    chosen = {name: formulas()[name] for name in metrics}
    columns = columns_for(metrics)
    rows_a, rows_b = project(rows_a, columns), project(rows_b, columns)
    boot = paired_bootstrap(
        rows_b, rows_a, chosen, n_resamples=n_resamples, seed=seed, confidence=confidence
    )
    perm = permutation_test(rows_b, rows_a, chosen, n_permutations=n_permutations, seed=seed)
    out = {}
    for name in metrics:
        est, p = boot[name], perm[name]
        significant, verdict = decide(name, est.diff, est.low, est.high, p, alpha)
        out[name] = PairedDiff(
            metric=name,
            a=est.b,
            b=est.a,
            diff=est.diff,
            low=est.low,
            high=est.high,
            p_bootstrap=est.p_value,
            p_permutation=p,
            p_adjusted=None,
            significant=significant,
            verdict=verdict,
        )
    return out


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-Bonferroni adjusted p-values (None stays None and does not count as a test)."""
    indexed = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(indexed)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def adjust_holm(diffs: Sequence[PairedDiff], alpha: float) -> list[PairedDiff]:
    """The same differences with Holm-adjusted p-values and verdicts re-decided on them."""
    adjusted = holm([d.p_permutation for d in diffs])
    out = []
    for diff, p in zip(diffs, adjusted, strict=True):
        significant, verdict = decide(diff.metric, diff.diff, diff.low, diff.high, p, alpha)
        out.append(replace(diff, p_adjusted=p, significant=significant, verdict=verdict))
    return out
