"""Evaluating a candidate template on a set of cases: one real run of the replay engine.

Each evaluation is an ordinary run in the results database (named ``optimize <id> <candidate>
<stage>``), so every candidate's ops, calls and metrics can be inspected like any run. The
candidate's source is written to a file first, because the engine loads templates by path.
Calls are collected with :func:`harness.models.record_calls` around the whole run, so the spend
is exact whatever the engine does inside.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.baselines.registry import is_baseline
from harness.data.models import Case
from harness.models.usage import record_calls
from harness.optimize.budget import CallBounds, Spend, evaluation_bound, extraction_bound
from harness.optimize.config import OptimizeConfig
from harness.optimize.feedback import CaseFeedback, build_feedback
from harness.optimize.lineage import write_template
from harness.optimize.objective import case_score, error_counts
from harness.runner.progress import NoProgress

JUDGE_CALLS_PER_SESSION = 8
"""Judge-call allowance per session in the worst-case bound when the ``llm`` matcher is used."""
JUDGE_CALLS_PER_QUESTION = 2
"""An answer judgement that cannot be parsed is asked once more."""


@dataclass(frozen=True)
class CaseResult:
    """One case evaluated: its counts (error cases: every gold op missed) and objective."""

    case_id: str
    status: str  # ok | error
    counts: dict[str, float]
    score: float
    run_id: str
    error: str | None = None


@dataclass(frozen=True)
class Evaluation:
    results: dict[str, CaseResult]
    spend: Spend
    run_id: str | None


class Evaluator(Protocol):
    """What the search needs from an evaluation backend."""

    def bound(self, case_ids: Sequence[str]) -> int: ...

    async def aevaluate(
        self, candidate_id: str, source: str, case_ids: Sequence[str], stage: str
    ) -> Evaluation: ...

    def feedback(self, result: CaseResult) -> CaseFeedback: ...


def call_bounds(config: OptimizeConfig) -> CallBounds:
    """Worst-case model calls per session for the evaluation runs ``config`` describes."""
    run = config.run_config(case_ids=[])
    judge = JUDGE_CALLS_PER_SESSION if run.matcher == "llm" else 0
    per_question = 0
    if run.answer_model is not None:  # the extractive answerer is a (free) provider call too
        per_question = 1 + (JUDGE_CALLS_PER_QUESTION if run.judge_model else 0)
    extract = 0 if is_baseline(run.model) else extraction_bound(run.max_steps, run.max_repairs)
    return CallBounds(extract, judge, per_question)


class RunnerEvaluator:
    """Evaluates templates with :func:`harness.runner.engine.arun` into an open results store."""

    def __init__(
        self,
        config: OptimizeConfig,
        results: Any,
        cases: Mapping[str, Case],
        workdir: Path,
        opt_id: str,
        executor: Any = None,
    ) -> None:
        self.config = config
        self.executor = executor
        self.results = results
        self.cases = cases
        self.workdir = workdir
        self.opt_id = opt_id
        self.bounds = call_bounds(config)

    def bound(self, case_ids: Sequence[str]) -> int:
        sessions = [len(self.cases[c].sessions) for c in case_ids]
        questions = sum(len(self.cases[c].queries) for c in case_ids)
        return evaluation_bound(sessions, self.bounds, questions if self.bounds.per_question else 0)

    def template_path(self, candidate_id: str, source: str) -> Path:
        path = self.workdir / f"{candidate_id}.j2"
        if not path.is_file() or path.read_text(encoding="utf-8") != source:
            write_template(path, source)
        return path

    async def aevaluate(
        self, candidate_id: str, source: str, case_ids: Sequence[str], stage: str
    ) -> Evaluation:
        if not case_ids:
            return Evaluation({}, Spend(), None)
        from harness.runner.engine import arun

        prompt = str(self.template_path(candidate_id, source))
        name = f"optimize {self.opt_id} {candidate_id} {stage}"
        run_config = self.config.run_config(case_ids=list(case_ids), prompt=prompt, name=name)
        with record_calls() as calls:
            outcome = await arun(
                run_config, db=self.results, progress=NoProgress(), executor=self.executor
            )
        records = self.results.case_results(outcome.run_id)
        results = {r.case_id: self._result(r) for r in records if r.repeat == 0}
        missing = sorted(set(case_ids) - set(results))
        if missing:
            raise RuntimeError(f"run {outcome.run_id} has no result for cases {missing}")
        return Evaluation(results, Spend.of(calls), outcome.run_id)

    def _result(self, record: Any) -> CaseResult:
        if record.status == "ok" and record.counts is not None:
            counts = {**record.counts, **(record.answer_counts or {})}
            score = case_score(counts, self.config.metric)
            return CaseResult(record.case_id, "ok", counts, score, record.run_id)
        counts = error_counts(self.cases[record.case_id])
        error = f"{record.error_type}: {record.error}" if record.error_type else record.error
        return CaseResult(record.case_id, "error", counts, 0.0, record.run_id, error)

    def feedback(self, result: CaseResult) -> CaseFeedback:
        case = self.cases[result.case_id]
        rows = self.results.ops(result.run_id, result.case_id)
        return build_feedback(case, rows, result.score, result.error)
