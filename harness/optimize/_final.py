"""After the search: pick the winner on dev, compare it with the start on test, write it out.

The dev contenders are the start and the best front members by train score (at most
``max_dev_candidates`` in all). The winner has the best dev objective; ties go to the better
train objective, then to the older candidate, so the start keeps its place unless something
beats it. The test split is touched only here, once the winner is fixed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigurationError
from harness.optimize._state import START_ID
from harness.optimize.budget import worst_case
from harness.optimize.lineage import (
    Lineage,
    SplitScores,
    ancestry,
    default_out_path,
    winner_source,
    write_template,
)
from harness.optimize.loop import Search
from harness.optimize.report import HeldOutReport, held_out_report
from harness.templates import output_prompts_dir

logger = logging.getLogger(__name__)


@dataclass
class Selection:
    winner: str
    basis: str  # dev | train (no dev cases)
    contenders: list[str]
    skipped: list[str] = field(default_factory=list)  # not evaluated on dev: budget


def contenders(search: Search) -> list[str]:
    state = search.state
    front = state.front()
    ranked = sorted(
        (c for c in front if c != START_ID),
        key=lambda c: (-(state.objective(c, "train") or 0.0), list(state.candidates).index(c)),
    )
    return [START_ID, *ranked[: search.config.max_dev_candidates - 1]]


async def select(search: Search) -> Selection:
    state = search.state
    chosen = contenders(search)
    dev = state.splits["dev"]
    if not dev:
        winner = _best(search, chosen, ("train",))
        return Selection(winner, "train (the dataset has no dev cases)", chosen)
    test_reserve = 2 * search.evaluator.bound(state.splits["test"])
    skipped = []
    for candidate in chosen:
        if state.has(candidate, "dev"):
            continue

        refused = search.refusal(
            search.evaluator.bound(dev), reserve=worst_case(test_reserve, state.spent)
        )
        if refused is not None:
            logger.info("candidate %s not evaluated on dev: %s", candidate, refused)
            skipped.append(candidate)
            continue
        scores = await search.evaluate(candidate, state.source(candidate), dev, "dev")
        search.store.record(scores=scores)
        state.add_scores(scores)
        search.show("select", f"{candidate} on dev")
    evaluated = [c for c in chosen if state.has(c, "dev")]
    if not evaluated:  # only when a resume lowered the budget below the reserve
        return Selection(_best(search, chosen, ("train",)), "train (budget left no dev run)",
                         chosen, skipped)  # fmt: skip
    winner = _best(search, evaluated, ("dev", "train"))
    return Selection(winner, "dev", chosen, skipped)


def _best(search: Search, candidates: list[str], splits: tuple[str, ...]) -> str:
    state = search.state
    order = list(state.candidates)

    def key(candidate: str) -> tuple:
        values = tuple(state.objective(candidate, split) or 0.0 for split in splits)
        return (*values, -order.index(candidate))

    return max(candidates, key=key)


async def report(search: Search, winner: str) -> HeldOutReport | None:
    """Evaluate start and winner on test (if not done yet) and compare them, paired."""
    state = search.state
    test = state.splits["test"]
    if not test:
        return None
    for candidate in dict.fromkeys((START_ID, winner)):
        if state.has(candidate, "test"):
            continue
        refused = search.refusal(search.evaluator.bound(test))
        if refused is not None:
            logger.warning("no test report: %s", refused)
            return None
        scores = await search.evaluate(candidate, state.source(candidate), test, "test")
        search.store.record(scores=scores)
        state.add_scores(scores)
        search.show("report", f"{candidate} on test")
    start_rows = {case: state.scores[START_ID][case] for case in test}
    winner_rows = {case: state.scores[winner][case] for case in test}
    config = search.config
    return held_out_report(
        {case: row.counts for case, row in start_rows.items()},
        {case: row.counts for case, row in winner_rows.items()},
        test_cases=test,
        start_id=START_ID,
        winner_id=winner,
        metric=config.metric,
        n_resamples=config.n_resamples,
        seed=config.seed,
        confidence=config.confidence,
        errors=(
            sum(row.status != "ok" for row in start_rows.values()),
            sum(row.status != "ok" for row in winner_rows.values()),
        ),
    )


def write_winner(search: Search, row: Any, winner: str, report: HeldOutReport | None) -> Path:
    state, config = search.state, search.config
    parents = {c: r.parent_id for c, r in state.candidates.items()}
    splits = {
        split: SplitScores(
            len(state.splits[split]),
            state.objective(START_ID, split),
            state.objective(winner, split),
        )
        for split in ("train", "dev", "test")
    }
    objective = report.objective if report is not None else None
    info = Lineage(
        opt_id=row.opt_id,
        start_name=row.start_template,
        start_hash=row.start_hash,
        chain=ancestry(parents, winner),
        metric=config.metric,
        dataset=Path(row.dataset_path).name,
        dataset_hash=row.dataset_hash,
        model=config.model,
        proposer=config.proposer,
        splits=splits,
        test_diff=None
        if objective is None or objective.diff is None
        else (objective.diff, objective.low or 0.0, objective.high or 0.0, objective.p_value),
        confidence=config.confidence,
    )
    out = winner_path(config, row)
    try:
        return write_template(out, winner_source(state.source(winner), info))
    except OSError as error:
        raise ConfigurationError(
            f"cannot write the winner {out}: {error.strerror}; continue with `harness optimize "
            f"--resume {row.opt_id} --out PATH`"
        ) from None


def winner_path(config: Any, row: Any) -> Path:
    """Where the winner goes: ``--out``, else ``prompts/`` under the working directory (never
    the installed package's templates)."""
    if config.out:
        return Path(config.out)
    return default_out_path(output_prompts_dir(), row.start_template, row.opt_id)
