"""Scoring one replayed case, in either state mode, from the pieces in :mod:`harness.scoring`.

``predicted`` mode is :func:`harness.scoring.ascore_case`: sessions chain, so a gold ref maps to
the predicted insert matched with it. ``gold`` mode resets the store to the gold state before
every session, so each session is matched on its own against the gold keys that are then really
in the store (every gold key maps to itself). Either way the counts are the same additive
columns (:data:`harness.scoring.COUNT_COLUMNS`).

The store holds gold memories as "every gold op applied, optional ones included"
(:func:`applied_states`): that is the state a perfect system (the oracle) reaches, so retrieval
over it and over a perfect run rank the same memories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.data.models import Case
from harness.memory.schemas import MemoryOperation
from harness.scoring.final_state import (
    afinal_candidates,
    final_state_pairs,
    match_final_state,
    predicted_texts,
)
from harness.scoring.gold import gold_states
from harness.scoring.matchers import Matcher
from harness.scoring.metrics import CaseScore, ascore_case, case_counts
from harness.scoring.ops import JudgementTable, match_session, session_pairs


@dataclass(frozen=True)
class GoldValue:
    """A gold memory as the store holds it."""

    kind: str
    content: dict[str, Any]
    source: tuple[str, ...] = ()

    def value(self) -> dict[str, Any]:
        """The stored form (``{"kind", "content", "source"}``, as the store manager writes)."""
        return {"kind": self.kind, "content": self.content, "source": list(self.source)}


def _as_content(content: str | dict[str, Any]) -> dict[str, Any]:
    return {"content": content} if isinstance(content, str) else dict(content)


def applied_states(case: Case) -> list[dict[str, GoldValue]]:
    """The store state before each session and, last, the final one, every gold op applied.

    Each dict is in write order (existing memories first, then by the op that last wrote each),
    so writing it in one batch gives the memories the recency order a replay of the gold ops
    gives them: search ties, broken by recency, then fall the same way in both states.
    """
    state = {
        m.id: GoldValue(m.kind or case.schema_, _as_content(m.content), ()) for m in case.existing
    }
    states = [dict(state)]
    for session in case.sessions:
        for op in session.expected:
            key = op.target
            if op.op == "delete":
                state.pop(key, None)
                continue
            previous = state.pop(key, None)  # re-inserted last: dict order = write order
            kind = op.kind or (previous.kind if previous else case.schema_)
            sources = (*(previous.source if previous else ()), *op.source)
            state[key] = GoldValue(
                kind,
                _as_content(op.content),  # type: ignore[arg-type]
                tuple(dict.fromkeys(sources)),
            )
        states.append(dict(state))
    return states


def _count(case_id: str, sessions, final, id_map) -> CaseScore:
    return CaseScore(case_id, sessions, final, id_map, case_counts(sessions, final))


async def score_gold_state(
    case: Case,
    predicted: Sequence[Sequence[MemoryOperation]],
    final_state: dict[str, Any],
    matcher: Matcher,
) -> CaseScore:
    """Score sessions replayed from the gold state: each session with identity ids."""
    states = gold_states(case)
    final = predicted_texts(final_state)
    pairs = []
    for session, ops in zip(case.sessions, predicted, strict=True):
        pairs.extend(session_pairs(session.expected, ops))
    candidates = await afinal_candidates(matcher, states[-1], final)
    pairs.extend(final_state_pairs(states[-1], final, candidates))
    table = await JudgementTable.abuild(matcher, pairs)
    sessions = []
    id_map: dict[str, str] = {}
    for s, (session, ops) in enumerate(zip(case.sessions, predicted, strict=True)):
        before = {key: key for key in states[s].memories}
        score = match_session(
            session.expected, ops, before, table, partial=session.partial, session=s
        )
        sessions.append(score)
        id_map = score.id_map
    partial = any(session.partial for session in case.sessions)
    final_score = match_final_state(
        states[-1], final, table, partial=partial, candidates=candidates
    )
    return _count(case.id, sessions, final_score, id_map)


async def score(
    case: Case,
    predicted: Sequence[Sequence[MemoryOperation]],
    final_state: dict[str, Any],
    matcher: Matcher,
    *,
    state_mode: str,
) -> CaseScore:
    if state_mode == "gold":
        return await score_gold_state(case, predicted, final_state, matcher)
    return await ascore_case(case, predicted, final_state, matcher)
