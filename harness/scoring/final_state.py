"""Final-state F1: the memories a run ends with against the gold final memories.

Gold and predicted memories are paired one-to-one by content (the same exact assignment as
inserts), each gold memory judged with the key terms of the op that last wrote it. A gold memory
whose optional update may or may not have happened accepts either version. Optional gold memories
never count: matched, they consume their partner; unmatched, they are no miss. When a session of
the case is partially labeled, the gold final state is not exhaustive either, so unmatched
predicted memories are not counted as false positives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from harness.memory.schemas import memory_text
from harness.scoring._assign import match_accepted
from harness.scoring.gold import GoldMemory, GoldState
from harness.scoring.matchers import Judgement, Matcher, PairItem
from harness.scoring.ops import Judge

PredictedMemories = Mapping[str, Any] | Iterable[tuple[str, Any]]
"""Predicted final memories: ``{id: content}`` or ``(id, content)`` pairs (content as str, dict or
pydantic model, read with :func:`~harness.memory.schemas.memory_text`)."""


FinalOutcome = Literal[
    "matched", "optional_matched", "optional_unmatched", "missed", "spurious", "unlabeled"
]


@dataclass(frozen=True)
class FinalMemoryOutcome:
    """One gold or predicted final memory and what became of it."""

    side: Literal["gold", "predicted"]
    id: str
    text: str
    outcome: FinalOutcome
    partner_id: str | None = None
    similarity: float | None = None
    reason: str = ""


@dataclass
class FinalStateScore:
    tp: int
    fp: int
    fn: int
    gold: list[FinalMemoryOutcome]
    predicted: list[FinalMemoryOutcome]

    @property
    def mapping(self) -> dict[str, str]:
        """Gold memory key -> the predicted memory that states it (matched memories only).

        This is the relevance map for end-to-end retrieval: a query's relevant gold memory is
        found when the predicted memory holding the same fact is retrieved, whatever id the
        system gave it (a duplicate insert included).
        """
        return {item.id: item.partner_id for item in self.gold if item.partner_id is not None}


def predicted_texts(memories: PredictedMemories) -> list[tuple[str, str]]:
    items = memories.items() if isinstance(memories, Mapping) else memories
    return [(str(mid), memory_text(content)) for mid, content in items]


Candidates = Mapping[str, Sequence[int]]
"""Per gold memory key, the columns of the predicted memories worth judging (see
:func:`afinal_candidates`); every other pair counts as rejected."""


def final_state_pairs(
    gold: GoldState, predicted: list[tuple[str, str]], candidates: Candidates | None = None
) -> list[PairItem]:
    """The (gold side, predicted text) pairs final-state matching looks up: every pair, or
    only the ``candidates``."""
    pairs: list[PairItem] = []
    for memory in gold.memories.values():
        columns = range(len(predicted)) if candidates is None else candidates[memory.key]
        pairs.extend((side, predicted[col][1]) for side in memory.sides for col in columns)
    return pairs


async def afinal_candidates(
    matcher: Matcher, gold: GoldState, predicted: list[tuple[str, str]]
) -> Candidates | None:
    """The matcher's shortlist of the final state's pairs, per gold memory (None: judge all)."""
    memories = list(gold.memories.values())
    sides = [side.text for memory in memories for side in memory.sides]
    shortlist = await matcher.ashortlist(sides, [text for _, text in predicted])
    if shortlist is None:
        return None
    candidates: dict[str, Sequence[int]] = {}
    row = 0
    for memory in memories:
        rows = shortlist[row : row + len(memory.sides)]
        row += len(memory.sides)
        candidates[memory.key] = rows.any(axis=0).nonzero()[0].tolist()
    return candidates


def _best(memory: GoldMemory, text: str, judge: Judge) -> Judgement:
    """The verdict of the best-accepted version of ``memory`` (the current one when none is)."""
    verdicts = [judge(side, text) for side in memory.sides]
    accepted = [v for v in verdicts if v.accepted]
    if not accepted:
        return verdicts[0]
    return max(accepted, key=lambda v: -1.0 if v.similarity is None else v.similarity)


def match_final_state(
    gold: GoldState,
    predicted: PredictedMemories,
    judge: Judge,
    *,
    partial: bool = False,
    candidates: Candidates | None = None,
) -> FinalStateScore:
    """Pair gold and predicted final memories and count TP/FP/FN (pure).

    ``partial``: the gold state is not exhaustive (a session of the case is partially labeled),
    so unmatched predicted memories are ``unlabeled`` rather than false positives.
    ``candidates``: only these pairs are judged (a matcher's shortlist); the rest are rejected.
    """
    memories = list(gold.memories.values())
    preds = predicted_texts(predicted)
    verdicts: list[dict[int, Judgement]] = []
    sims: list[list[float | None]] = []
    for memory in memories:
        columns = range(len(preds)) if candidates is None else candidates[memory.key]
        judged = {col: _best(memory, preds[col][1], judge) for col in columns}
        verdicts.append(judged)
        row: list[float | None] = [None] * len(preds)
        for col, verdict in judged.items():
            if verdict.accepted:
                row[col] = verdict.similarity
        sims.append(row)
    pairs = match_accepted(sims, [not memory.optional for memory in memories]) if preds else {}
    gold_out = [
        _gold_outcome(m, pairs.get(row), preds, verdicts[row]) for row, m in enumerate(memories)
    ]
    partners = {col: gold_out[row] for row, col in pairs.items()}
    pred_out = [
        _predicted_outcome(mid, text, partners.get(col), partial)
        for col, (mid, text) in enumerate(preds)
    ]
    return FinalStateScore(
        tp=sum(item.outcome == "matched" for item in gold_out),
        fp=sum(item.outcome == "spurious" for item in pred_out),
        fn=sum(item.outcome == "missed" for item in gold_out),
        gold=gold_out,
        predicted=pred_out,
    )


def _gold_outcome(
    memory: GoldMemory, col: int | None, preds: list[tuple[str, str]], row: Mapping[int, Judgement]
) -> FinalMemoryOutcome:
    if col is None:
        outcome: FinalOutcome = "optional_unmatched" if memory.optional else "missed"
        return FinalMemoryOutcome("gold", memory.key, memory.text, outcome)
    matched: FinalOutcome = "optional_matched" if memory.optional else "matched"
    verdict = row[col]
    return FinalMemoryOutcome(
        "gold",
        memory.key,
        memory.text,
        matched,
        preds[col][0],
        verdict.similarity,
        verdict.reason(),
    )


def _predicted_outcome(
    mid: str, text: str, partner: FinalMemoryOutcome | None, partial: bool
) -> FinalMemoryOutcome:
    if partner is None:
        return FinalMemoryOutcome("predicted", mid, text, "unlabeled" if partial else "spurious")
    return FinalMemoryOutcome(
        "predicted", mid, text, partner.outcome, partner.id, partner.similarity, partner.reason
    )
