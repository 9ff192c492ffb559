"""The search: evaluate the start, then propose, screen and evaluate candidates until a budget
ends it, select on dev, report on test.

One iteration: draw a parent from the Pareto front over train cases (weighted by the cases it
wins), draw a minibatch of its failing train cases, ask the proposer for an edited template,
validate it, evaluate it on the minibatch and keep it only if it is not worse there than the
parent, then evaluate it on the remaining train cases. Every step first checks that its worst
case fits in the budget with the final dev selection and test report kept in reserve.

State lives in the database (see :mod:`harness.optimize.store`): spend is written after every
step, a candidate with its scores and proposal at the end of its iteration, so an interrupted
iteration is simply redone on resume, from the response cache.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

from harness.errors import ModelError
from harness.models.cache import repeat_index
from harness.models.usage import record_calls
from harness.optimize._state import START_ID, SearchState, candidate_id
from harness.optimize.budget import Budget, Spend, refusal, worst_case
from harness.optimize.config import OptimizeConfig
from harness.optimize.evaluate import CaseResult, Evaluation, Evaluator
from harness.optimize.pareto import (
    failing_cases,
    mean,
    pick_minibatch,
    rng_for,
    sample_parent,
)
from harness.optimize.progress import NoProgress, OptimizeProgress, Snapshot
from harness.optimize.proposer import apropose, parse_proposal, reflection_messages
from harness.optimize.store import CandidateRow, OptimizeStore, ProposalRow, ScoreRow
from harness.results.migrations import utc_now

logger = logging.getLogger(__name__)

_EPS = 1e-9


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Search:
    """One optimization's search phase over an :class:`Evaluator` and a proposer model."""

    def __init__(
        self,
        config: OptimizeConfig,
        state: SearchState,
        store: OptimizeStore,
        evaluator: Evaluator,
        proposer: Any,
        variables: Sequence[Any],
        progress: OptimizeProgress | None = None,
    ) -> None:
        self.config = config
        self.state = state
        self.store = store
        self.evaluator = evaluator
        self.proposer = proposer
        self.variables = list(variables)
        self.progress = progress or NoProgress()
        self.budget = Budget(config.max_calls, config.max_cost, config.max_iterations)

    # -- budget ------------------------------------------------------------------------------

    def reserve(self) -> Spend:
        """Worst case of the dev selection and the test report, kept back during the search."""
        splits = self.state.splits
        calls = self.config.max_dev_candidates * self.evaluator.bound(splits["dev"])
        calls += 2 * self.evaluator.bound(splits["test"])
        return worst_case(calls, self.state.spent)

    def refusal(self, calls: int, *, reserve: Spend | None = None) -> str | None:
        step = worst_case(calls, self.state.spent)
        return refusal(self.budget, self.state.spent, step, reserve or Spend())

    def charge(
        self, step: str, evaluation: Evaluation | None, spend: Spend, bound: int, **row: Any
    ) -> None:
        """Record a step's spend at once (so a crash after it cannot lose the charge)."""
        values = {
            "iteration": row.get("iteration", 0),
            "step": step,
            "candidate_id": row.get("candidate_id"),
            "run_id": evaluation.run_id if evaluation else None,
            "calls": spend.calls,
            "cached_calls": spend.cached_calls,
            "cost_usd": spend.cost_usd,
            "unpriced_calls": spend.unpriced_calls,
            "input_tokens": spend.input_tokens,
            "output_tokens": spend.output_tokens,
            "max_call_cost": spend.max_call_cost,
            "bound_calls": bound,
            "recorded_at": utc_now(),
        }
        self.store.add_spend(self.state.opt_id, values)
        self.state.spent = self.state.spent + spend
        if self.budget.max_calls is not None and self.state.spent.calls > self.budget.max_calls:
            logger.warning("optimization %s went over its call budget", self.state.opt_id)

    # -- evaluation --------------------------------------------------------------------------

    async def evaluate(
        self, candidate: str, source: str, cases: Sequence[str], stage: str, iteration: int = 0
    ) -> list[ScoreRow]:
        bound = self.evaluator.bound(cases)
        evaluation: Evaluation | None = None
        with record_calls() as calls:
            try:
                evaluation = await self.evaluator.aevaluate(candidate, source, cases, stage)
            finally:  # calls made before a failure are charged too
                self.charge(stage, evaluation, Spend.of(calls), bound, iteration=iteration,
                            candidate_id=candidate)  # fmt: skip
        assert evaluation is not None
        split_of = {case: split for split, ids in self.state.splits.items() for case in ids}
        return [
            ScoreRow(
                opt_id=self.state.opt_id,
                candidate_id=candidate,
                case_id=result.case_id,
                split=split_of[result.case_id],
                stage=stage,
                status=result.status,
                score=result.score,
                counts=result.counts,
                error=result.error,
                run_id=result.run_id,
            )
            for result in evaluation.results.values()
        ]

    async def start(self, source: str) -> None:
        """Evaluate the start template on every train case (candidate ``c0``)."""
        scores = await self.evaluate(START_ID, source, self.state.splits["train"], "start")
        row = CandidateRow(
            opt_id=self.state.opt_id,
            candidate_id=START_ID,
            parent_id=None,
            iteration=0,
            status="evaluated",
            template_hash=text_hash(source),
            template_text=source,
            created_at=utc_now(),
        )
        self.store.record(candidates=[row], scores=scores)
        self.state.add(row, scores)
        self.show("search")

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> str:
        """Iterate until a stop condition; return why the search stopped."""
        while True:
            if self.budget.max_iterations is not None and (
                self.state.iterations_done >= self.budget.max_iterations
            ):
                return f"max iterations ({self.budget.max_iterations}) reached"
            iteration = self.state.iterations_done + 1
            stop = await self.iterate(iteration)
            if stop is not None:
                return stop
            self.state.iterations_done = iteration
            self.show("search")

    def draw(self, iteration: int) -> tuple[str, list[str]] | str:
        """The parent and its minibatch for ``iteration``, or why there is nothing to improve."""
        front = self.state.front()
        parent = sample_parent(front, rng_for(self.config.seed, iteration, "parent"))
        train = self.state.splits["train"]
        failing = failing_cases(self.state.case_scores(parent), train)
        if not failing:
            return f"candidate {parent} is perfect on every train case"
        rng = rng_for(self.config.seed, iteration, "minibatch")
        return parent, pick_minibatch(failing, self.config.minibatch, rng)

    async def iterate(self, iteration: int) -> str | None:
        drawn = self.draw(iteration)
        if isinstance(drawn, str):
            return drawn
        parent, minibatch = drawn
        rest = [case for case in self.state.splits["train"] if case not in minibatch]
        worst = 1 + self.evaluator.bound(minibatch) + self.evaluator.bound(rest)
        refused = self.refusal(worst, reserve=self.reserve())
        if refused is not None:
            return f"budget: iteration {iteration} could need {worst} calls; {refused}"
        proposal = ProposalRow(
            opt_id=self.state.opt_id,
            iteration=iteration,
            parent_id=parent,
            minibatch=minibatch,
            proposer=self.config.proposer,
            messages=self.messages(parent, minibatch),
            response=None,
            outcome="error",
            error=None,
            candidate_id=None,
            parent_score=mean(self.state.case_scores(parent), minibatch),
            candidate_score=None,
            created_at=utc_now(),
        )
        await self.propose(proposal)
        candidate, scores = await self.try_candidate(proposal, minibatch, rest)
        self.store.record(
            candidates=[candidate] if candidate else [], scores=scores, proposals=[proposal]
        )
        if candidate is not None:
            self.state.add(candidate, scores)
        return None

    def messages(self, parent: str, minibatch: list[str]) -> list[dict[str, Any]]:
        rows = self.state.scores[parent]
        failures = [self.evaluator.feedback(_result_of(rows[case])) for case in minibatch]
        return reflection_messages(self.state.source(parent), failures, self.config.metric)

    async def propose(self, proposal: ProposalRow) -> None:
        """The proposer call; its reply (or error) goes into ``proposal``."""
        with record_calls() as calls, repeat_index(proposal.iteration):
            try:
                proposal.response = await apropose(
                    self.proposer, proposal.messages, temperature=self.config.proposer_temperature
                )
            except ModelError as error:
                proposal.error = f"proposer call failed: {error}"
            finally:
                self.charge("propose", None, Spend.of(calls), 1, iteration=proposal.iteration)

    async def try_candidate(
        self, proposal: ProposalRow, minibatch: list[str], rest: list[str]
    ) -> tuple[CandidateRow | None, list[ScoreRow]]:
        """Validate, screen and (if it passes) fully evaluate the proposed template."""
        if proposal.response is None:
            return None, []
        cid = candidate_id(proposal.iteration)
        parsed = parse_proposal(proposal.response, cid, self.variables)
        if not parsed.valid:
            proposal.outcome, proposal.error = "invalid", parsed.error
            return None, []
        source = parsed.source or ""
        known = self.state.hashes().get(text_hash(source))
        if known is not None:
            proposal.outcome, proposal.candidate_id = "duplicate", known
            proposal.error = f"same template as candidate {known}"
            return None, []
        it = proposal.iteration
        scores = await self.evaluate(cid, source, minibatch, "screen", it)
        proposal.candidate_id = cid
        proposal.candidate_score = mean({s.case_id: s.score for s in scores}, minibatch)
        passed = self.passes(proposal.candidate_score, proposal.parent_score or 0.0)
        if passed:
            scores += await self.evaluate(cid, source, rest, "train", it)
        proposal.outcome = "accepted" if passed else "rejected"
        row = CandidateRow(
            opt_id=self.state.opt_id,
            candidate_id=cid,
            parent_id=proposal.parent_id,
            iteration=it,
            status="evaluated" if passed else "screened_out",
            template_hash=text_hash(source),
            template_text=source,
            created_at=utc_now(),
        )
        return row, scores

    def passes(self, candidate: float, parent: float) -> bool:
        if self.config.screen == "better":
            return candidate > parent + _EPS
        return candidate >= parent - _EPS

    # -- progress ----------------------------------------------------------------------------

    def show(self, phase: str, note: str = "") -> None:
        state = self.state
        self.progress.update(
            Snapshot(
                opt_id=state.opt_id,
                phase=phase,
                iteration=state.iterations_done,
                max_iterations=self.budget.max_iterations,
                candidates=len(state.candidates),
                front=len(state.front()) if state.candidates else 0,
                best_train=state.best("train")[1],
                best_dev=state.best("dev")[1],
                spent=state.spent,
                max_calls=self.budget.max_calls,
                max_cost=self.budget.max_cost,
                note=note,
            )
        )


def _result_of(row: ScoreRow):
    return CaseResult(row.case_id, row.status, row.counts, row.score, row.run_id, row.error)
