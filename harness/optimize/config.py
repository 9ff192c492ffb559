"""What an optimization is: every option that can change its outcome, as one strict model.

The whole :class:`OptimizeConfig` is stored with the optimization, and ``--resume`` rebuilds the
search from it. Only the budget (``max_calls``, ``max_cost``, ``max_iterations``) may be changed
on resume, so a stopped search can be given more room; everything else must match.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.runner.config import RunConfig

DEFAULT_DATASET = "datasets/core.jsonl"
DEFAULT_PROMPT = "default"

Objective = Literal[
    "micro_f1", "exact_session_accuracy", "final_f1", "qa_f1", "qa_j", "qa_bleu1", "qa_em"
]
ScreenRule = Literal["not-worse", "better"]

BUDGET_FIELDS: frozenset[str] = frozenset({"max_calls", "max_cost", "max_iterations"})
"""The options ``--resume`` may change."""

RUN_OPTIONS_OWNED: frozenset[str] = frozenset(
    {"dataset", "model", "prompt", "name", "split", "case_ids", "limit", "tags", "repeats"}
)
"""Run options the optimizer sets itself for every evaluation; ``run`` may not name them."""


class OptimizeConfig(BaseModel):
    """Everything that defines an optimization; unknown fields are refused.

    ``model`` extracts memories with each candidate template; ``proposer`` reads failing cases
    and writes edited templates. ``metric`` is the objective: over a set of cases it is the
    micro-averaged metric from :func:`harness.scoring.aggregate`; per case (for the Pareto front
    and minibatch screening) it is the same formula over that case's counts alone, 1.0 when the
    case gives it nothing to score, 0.0 when the case ended in an error. The answer objectives
    (``qa_f1``, ``qa_j``, ``qa_bleu1``, ``qa_em``) score the answer stage of each evaluation run,
    configured by the ``run`` options (``answer_model``, ``answer_top_k``, ``judge_model``...):
    ``answer_model`` is required, and ``qa_j`` needs a ``judge_model``.

    Screening: a proposal is first evaluated on the minibatch of its parent's failing cases and
    fully evaluated only if its mean per-case score there beats the parent's (``"better"``) or
    at least matches it (``"not-worse"``). Because the minibatch holds cases the parent fails,
    the parent often scores 0.0 on it, where ``"not-worse"`` would let every proposal through.

    Budgets: ``max_calls`` counts model calls that reached a provider (extraction, judge and
    proposer; cache hits are free), ``max_cost`` their dollars; a step starts only when its
    worst case fits. ``max_iterations`` bounds proposals. ``run`` holds further
    :class:`~harness.runner.config.RunConfig` options for every evaluation (``max_steps``,
    ``matcher``, ``state``, ``concurrency``, ...).
    """

    model_config = ConfigDict(extra="forbid")

    prompt: str = DEFAULT_PROMPT
    dataset: str = DEFAULT_DATASET
    model: str
    proposer: str
    name: str | None = None
    tags: list[str] = Field(default_factory=list)

    metric: Objective = "micro_f1"
    max_calls: int | None = Field(default=None, ge=0)
    max_cost: float | None = Field(default=None, ge=0)
    max_iterations: int = Field(default=10, ge=0)

    minibatch: int = Field(default=3, ge=1)
    screen: ScreenRule = "better"
    max_dev_candidates: int = Field(default=4, ge=1)
    seed: int = 0
    proposer_temperature: float | None = None
    n_resamples: int = Field(default=1000, ge=0)
    confidence: float = Field(default=0.95, gt=0, lt=1)

    run: dict[str, Any] = Field(default_factory=dict)
    out: str | None = None

    @field_validator("prompt", "dataset", "model", "proposer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("proposer")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        from harness.models.names import check_model_name

        check_model_name(value, "--proposer")
        return value

    @field_validator("run")
    @classmethod
    def _run_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        owned = sorted(RUN_OPTIONS_OWNED.intersection(value))
        if owned:
            raise ValueError(f"set by the optimizer itself, not in 'run': {', '.join(owned)}")
        return value

    @model_validator(mode="after")
    def _check_run(self) -> OptimizeConfig:
        from pydantic import ValidationError

        try:
            self.run_config(case_ids=[])
        except ValidationError as error:
            problems = "; ".join(
                f"run.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise ValueError(problems) from None
        if self.metric.startswith("qa_"):
            run = self.run_config(case_ids=[])
            if run.answer_model is None:
                raise ValueError(
                    f"the objective {self.metric} scores answers: name an answer model in the "
                    "run options (answer_model=..., e.g. baseline/extractive)"
                )
            if self.metric == "qa_j" and run.judge_model is None:
                raise ValueError(
                    "the objective qa_j is judge accuracy: name a judge in the run options "
                    "(judge_model=...)"
                )
        return self

    def run_config(self, *, case_ids: list[str], prompt: str | None = None, name: str = ""):
        """The runner configuration that evaluates ``prompt`` on ``case_ids``."""
        options = {"n_resamples": 0, **self.run}
        return RunConfig(
            dataset=self.dataset,
            model=self.model,
            prompt=prompt or self.prompt,
            name=name or None,
            case_ids=case_ids,
            tags=list(self.tags),
            **options,
        )

    def with_budget(self, **budget: Any) -> OptimizeConfig:
        """A copy with new budget values (``None`` values are left as they are)."""
        unknown = set(budget) - BUDGET_FIELDS
        if unknown:
            raise ValueError(f"not budget options: {', '.join(sorted(unknown))}")
        changes = {key: value for key, value in budget.items() if value is not None}
        return OptimizeConfig.model_validate({**self.model_dump(), **changes})
