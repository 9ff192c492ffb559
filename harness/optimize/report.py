"""The held-out comparison: the winner against the start on the ``test`` split, with paired
bootstrap intervals over the same cases (pure).

Only test-split rows go in: :func:`held_out_report` refuses rows for cases outside the test
split, so a train or dev score can never be reported as the test score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from harness.scoring.answer_metrics import QA_COLUMNS, answer_formulas
from harness.scoring.catalogue import OPTIMIZE_METRICS
from harness.scoring.metrics import COUNT_COLUMNS, EXTRACTION_METRICS
from harness.scoring.stats import paired_bootstrap


class MetricComparison(BaseModel):
    """Winner minus start on one metric, with the paired interval and p-value."""

    model_config = ConfigDict(extra="forbid")

    start: float | None
    winner: float | None
    diff: float | None
    low: float | None
    high: float | None
    p_value: float | None


class HeldOutReport(BaseModel):
    """The held-out result an optimization reports."""

    model_config = ConfigDict(extra="forbid")

    split: str = "test"
    case_ids: list[str]
    start_id: str
    winner_id: str
    metric: str
    confidence: float
    n_resamples: int
    start_errors: int = 0
    winner_errors: int = 0
    metrics: dict[str, MetricComparison]

    @property
    def objective(self) -> MetricComparison:
        return self.metrics[self.metric]


def held_out_report(
    start_rows: Mapping[str, Mapping[str, float]],
    winner_rows: Mapping[str, Mapping[str, float]],
    *,
    test_cases: Sequence[str],
    start_id: str,
    winner_id: str,
    metric: str,
    n_resamples: int,
    seed: int,
    confidence: float,
    errors: tuple[int, int] = (0, 0),
) -> HeldOutReport:
    """Paired comparison over exactly the test cases (rows keyed by case id)."""
    wanted = set(test_cases)
    for label, rows in (("start", start_rows), ("winner", winner_rows)):
        if set(rows) != wanted:
            outside = sorted(set(rows) - wanted)[:5]
            missing = sorted(wanted - set(rows))[:5]
            raise ValueError(
                f"test report needs {label} rows for exactly the test cases "
                f"(outside the test split: {outside}; missing: {missing})"
            )

    zero = dict.fromkeys((*COUNT_COLUMNS, *QA_COLUMNS), 0)
    start_rows = {case: {**zero, **row} for case, row in start_rows.items()}
    winner_rows = {case: {**zero, **row} for case, row in winner_rows.items()}
    names = dict.fromkeys((metric, *OPTIMIZE_METRICS))
    known = {**EXTRACTION_METRICS, **answer_formulas()}
    formulas = {name: known[name] for name in names}
    estimates = paired_bootstrap(
        winner_rows,
        start_rows,
        formulas,
        n_resamples=n_resamples,
        seed=seed,
        confidence=confidence,
    )
    metrics = {
        name: MetricComparison(
            start=e.b, winner=e.a, diff=e.diff, low=e.low, high=e.high, p_value=e.p_value
        )
        for name, e in estimates.items()
    }
    return HeldOutReport(
        case_ids=sorted(wanted),
        start_id=start_id,
        winner_id=winner_id,
        metric=metric,
        confidence=confidence,
        n_resamples=n_resamples,
        start_errors=errors[0],
        winner_errors=errors[1],
        metrics=metrics,
    )


def as_json(report: HeldOutReport | None) -> dict[str, Any] | None:
    return None if report is None else report.model_dump(mode="json")
