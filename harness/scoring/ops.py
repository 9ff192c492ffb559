"""Matching one session's predicted ops against its gold ops.

Order of play (every match is one-to-one; a prediction, once used, is consumed):

1. inserts are paired by content with :func:`~harness.scoring._assign.match_accepted` (an exact
   assignment: most required gold ops matched, then most matches, then most total similarity);
   a matched gold ref then maps to the predicted memory id for later ops and sessions;
2. deletes are matched on target id; updates on target id **and** content (similarity plus key
   terms), the best-scoring candidate winning;
3. every required gold update still unmatched is explained, in this order, as ``wrong_content``
   (the right memory was updated with content the matcher rejects), ``delete_instead_of_update``
   (its target was deleted), ``duplicate_instead_of_update`` (an unmatched predicted insert states
   the gold update's content), ``wrong_target_update`` (another memory was updated with that
   content; only when the gold target maps to a known memory), else ``missed``; other unmatched
   required gold ops are ``missed``;
4. predictions left over are ``spurious``; in a ``partial`` session (labels not exhaustive) they
   are ``unlabeled`` and not counted.

Counting: a matched required gold op is a true positive of its op type; an unmatched one a false
negative. A prediction linked to a gold op as a confusion or left spurious is a false positive of
*its own* op type. A confusion contradicts a label, so it counts even in partial sessions. Optional
gold ops never count: matched, they consume their prediction; unmatched, they are no miss.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness._async import run_sync
from harness.data.models import GoldOp
from harness.memory.schemas import MemoryOperation
from harness.scoring._session import Judge, gold_side, run_match, text_of
from harness.scoring.matchers import GoldSide, Judgement, Matcher, PairItem
from harness.scoring.outcomes import CONFUSIONS, OP_TYPES, OpOutcome, Outcome, SessionScore

__all__ = [
    "CONFUSIONS",
    "OP_TYPES",
    "Judge",
    "JudgementTable",
    "OpOutcome",
    "Outcome",
    "SessionScore",
    "ascore_session",
    "gold_side",
    "match_session",
    "score_session",
    "session_pairs",
]


def session_pairs(
    gold_ops: Sequence[GoldOp], predicted: Sequence[MemoryOperation]
) -> list[PairItem]:
    """Every (gold side, predicted text) pair :func:`match_session` may need judged.

    Gold inserts against predicted inserts; gold updates against predicted inserts and updates
    (their own target, or confusions).
    """
    inserts = [text_of(op) for op in predicted if op.op == "insert"]
    updates = [text_of(op) for op in predicted if op.op == "update"]
    pairs: list[PairItem] = []
    for op in gold_ops:
        if op.op == "delete":
            continue
        side = gold_side(op)
        texts = inserts if op.op == "insert" else inserts + updates
        pairs.extend((side, text) for text in texts)
    return list(dict.fromkeys(pairs))


def match_session(
    gold_ops: Sequence[GoldOp],
    predicted: Sequence[MemoryOperation],
    id_map: Mapping[str, str],
    judge: Judge,
    *,
    partial: bool = False,
    session: int = 0,
) -> SessionScore:
    """Match one session (pure: every similarity comes from ``judge``).

    ``id_map`` maps gold keys (existing ids, refs of earlier matched inserts) to predicted memory
    ids; an existing id missing from it maps to itself. The returned score carries the map
    extended with this session's matched inserts; pass it to the next session of the case.
    """
    return run_match(gold_ops, predicted, id_map, judge, partial, session)


class JudgementTable:
    """Verdicts computed in one batch, looked up by :func:`match_session`."""

    def __init__(self, items: Sequence[PairItem], verdicts: Sequence[Judgement]) -> None:
        self._table = dict(zip(items, verdicts, strict=True))

    def __call__(self, side: GoldSide, text: str) -> Judgement:
        try:
            return self._table[(side, text)]
        except KeyError:
            raise KeyError(f"pair not judged: gold {side.text!r} vs predicted {text!r}") from None

    @classmethod
    async def abuild(cls, matcher: Matcher, items: Sequence[PairItem]) -> JudgementTable:
        unique = list(dict.fromkeys(items))
        return cls(unique, await matcher.ajudge(unique))


async def ascore_session(
    gold_ops: Sequence[GoldOp],
    predicted: Sequence[MemoryOperation],
    id_map: Mapping[str, str],
    matcher: Matcher,
    *,
    partial: bool = False,
    session: int = 0,
) -> SessionScore:
    """Judge the session's pairs with ``matcher`` in one batch, then :func:`match_session`."""
    table = await JudgementTable.abuild(matcher, session_pairs(gold_ops, predicted))
    return match_session(gold_ops, predicted, id_map, table, partial=partial, session=session)


def score_session(
    gold_ops: Sequence[GoldOp],
    predicted: Sequence[MemoryOperation],
    id_map: Mapping[str, str],
    matcher: Matcher,
    *,
    partial: bool = False,
    session: int = 0,
) -> SessionScore:
    return run_sync(
        ascore_session(gold_ops, predicted, id_map, matcher, partial=partial, session=session)
    )
