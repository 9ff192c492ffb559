"""What an optimization ended with, rebuilt from the database alone."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict

from harness.errors import ConfigurationError
from harness.optimize._state import SearchState
from harness.optimize.report import HeldOutReport
from harness.optimize.store import OptimizeStore


class OptimizeResult(BaseModel):
    """How an optimization ended; the database holds every detail."""

    model_config = ConfigDict(extra="forbid")

    opt_id: str
    name: str | None
    status: str
    stop_reason: str | None
    iterations: int
    candidates: int
    proposals: dict[str, int]
    winner_id: str | None
    winner_path: str | None
    selection: str | None
    metric: str
    train: dict[str, float | None]
    dev: dict[str, float | None]
    test: HeldOutReport | None
    spent: dict[str, Any]


def build_result(store: OptimizeStore, opt_id: str) -> OptimizeResult:
    """The result of an optimization, from the database alone."""
    row = store.get(opt_id)
    if row is None:
        raise ConfigurationError(f"{store.where}: no optimization {opt_id!r}")
    state = SearchState.load(store, opt_id, row.metric, row.splits)
    proposals = Counter(p.outcome for p in store.proposals(opt_id))
    result = row.result or {}
    test = result.get("test")
    spent = state.spent
    return OptimizeResult(
        opt_id=opt_id,
        name=row.name,
        status=row.status,
        stop_reason=row.stop_reason,
        iterations=state.iterations_done,
        candidates=len(state.candidates),
        proposals=dict(sorted(proposals.items())),
        winner_id=row.winner_id,
        winner_path=row.out_path,
        selection=result.get("selection"),
        metric=row.metric,
        train={c: state.objective(c, "train") for c in state.candidates},
        dev={
            c: state.objective(c, "dev")
            for c in state.candidates
            if row.splits["dev"] and state.has(c, "dev")
        },
        test=None if test is None else HeldOutReport.model_validate(test),
        spent={
            "calls": spent.calls,
            "cached_calls": spent.cached_calls,
            "cost_usd": spent.cost_usd,
            "unpriced_calls": spent.unpriced_calls,
            "input_tokens": spent.input_tokens,
            "output_tokens": spent.output_tokens,
        },
    )
