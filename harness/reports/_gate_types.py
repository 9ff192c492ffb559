"""What the gate checks and what it found: options, checks, worst cases, the result.

The checks themselves are in :mod:`harness.reports.gate`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.reports._casedata import RunInfo
from harness.scoring.catalogue import REGRESSION_METRICS, check_metrics, higher_is_better

DEFAULT_REGRESSION_METRICS = REGRESSION_METRICS
"""Checked against a baseline unless only named ``max_drop`` tolerances (or ``--metric``) say
which metrics to check."""
DEFAULT_MAX_DROP = 0.02


class GateOptions(BaseModel):
    """What the gate checks; every metric name is checked when the options are built."""

    model_config = ConfigDict(extra="forbid")

    floors: dict[str, float] = Field(default_factory=dict)
    ceilings: dict[str, float] = Field(default_factory=dict)
    max_drop: dict[str, float] = Field(default_factory=dict)
    default_max_drop: float | None = Field(default=None, ge=0.0)
    regression_metrics: list[str] | None = None
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    require_significance: bool = True
    rule: Literal["p", "ci"] = "p"
    n_resamples: int = Field(default=1000, ge=1)
    n_permutations: int = Field(default=2000, ge=1)
    seed: int = 0
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    worst_cases: int = Field(default=5, ge=0)

    @field_validator("floors", "ceilings", "max_drop")
    @classmethod
    def _known_keys(cls, value: dict[str, float], info: Any) -> dict[str, float]:
        check_metrics(value, option=f"--{info.field_name.replace('_', '-')}")
        if info.field_name == "max_drop" and any(v < 0 for v in value.values()):
            raise ValueError("a tolerance cannot be negative")
        return value

    @field_validator("regression_metrics")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_metrics(value, option="--metric")

    def regression_targets(self) -> list[str]:
        """The metrics checked against a baseline: ``--metric``, else the named tolerances plus,
        unless only named tolerances were given, every headline metric (a bare default
        tolerance applies to each metric not named)."""
        if self.regression_metrics is not None:
            return list(self.regression_metrics)
        if self.max_drop and self.default_max_drop is None:
            return list(self.max_drop)
        named = list(self.max_drop)
        return named + [m for m in DEFAULT_REGRESSION_METRICS if m not in self.max_drop]

    def tolerance(self, metric: str) -> float:
        default = DEFAULT_MAX_DROP if self.default_max_drop is None else self.default_max_drop
        return self.max_drop.get(metric, default)


CheckKind = Literal["floor", "ceiling", "regression"]
Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Check:
    """One verdict. For regressions ``diff`` is candidate - baseline with its interval and p."""

    kind: CheckKind
    metric: str
    status: Status
    value: float | None
    threshold: float
    message: str
    low: float | None = None
    high: float | None = None
    baseline: float | None = None
    diff: float | None = None
    p_value: float | None = None
    n_cases: int = 0

    @property
    def name(self) -> str:
        if self.kind == "floor":
            return f"{self.metric} >= {self.threshold:g}"
        if self.kind == "ceiling":
            return f"{self.metric} <= {self.threshold:g}"
        return f"{self.metric} vs baseline"

    @property
    def threshold_text(self) -> str:
        if self.kind == "regression":
            word = "rise" if not higher_is_better(self.metric) else "drop"
            return f"{word} <= {self.threshold:g}"
        return f"{'>=' if self.kind == 'floor' else '<='} {self.threshold:g}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "name": self.name}


@dataclass(frozen=True)
class WorstCase:
    """A case that did worst on ``metric`` (vs the baseline, when there is one)."""

    case_id: str
    tags: tuple[str, ...]
    metric: str
    baseline: float | None
    candidate: float | None
    problems: list[str] = field(default_factory=list)


@dataclass
class GateResult:
    candidate: RunInfo
    checks: list[Check]
    n_cases: int
    baseline: RunInfo | None = None
    baseline_source: str | None = None
    n_compared: int | None = None
    worst_metric: str | None = None
    worst_cases: list[WorstCase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.status == "fail"]

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def summary(self) -> str:
        ran = [c for c in self.checks if c.status != "skip"]
        if not self.checks:
            return "no checks were asked for (give --min/--max floors or a baseline)"
        if self.passed:
            skipped = len(self.checks) - len(ran)
            extra = f" ({skipped} skipped)" if skipped else ""
            return f"all {len(ran)} checks passed{extra}"
        names = ", ".join(check.name for check in self.failed)
        return f"{len(self.failed)} of {len(ran)} checks failed: {names}"

    @property
    def worst_title(self) -> str:
        if self.baseline is not None:
            return f"worst regressed cases ({self.worst_metric}, baseline -> candidate)"
        return f"worst cases ({self.worst_metric})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "exit_code": self.exit_code,
            "summary": self.summary,
            "candidate": self.candidate.as_dict(),
            "baseline": self.baseline.as_dict() if self.baseline else None,
            "baseline_source": self.baseline_source,
            "n_cases": self.n_cases,
            "n_compared": self.n_compared,
            "checks": [check.as_dict() for check in self.checks],
            "worst_metric": self.worst_metric,
            "worst_cases": [asdict(case) for case in self.worst_cases],
            "notes": self.notes,
        }
