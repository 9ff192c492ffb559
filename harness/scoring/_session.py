"""The bookkeeping behind :func:`harness.scoring.ops.match_session` (rules documented there)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, cast

from harness.data.models import GoldOp
from harness.memory.schemas import MemoryOperation, memory_text
from harness.scoring._assign import match_accepted
from harness.scoring.matchers import GoldSide, Judgement
from harness.scoring.outcomes import CONFUSIONS, OP_TYPES, OpOutcome, Outcome, SessionScore

Judge = Callable[[GoldSide, str], Judgement]
"""Looks up the verdict on one (gold side, predicted text) pair."""


def gold_side(op: GoldOp) -> GoldSide:
    return GoldSide.of(memory_text(op.content), op.require, op.forbid)


def text_of(op: MemoryOperation) -> str:
    return memory_text(op.after)


class _Session:
    """Mutable bookkeeping of one match; one per call of :func:`run_match`."""

    def __init__(self, gold_ops, predicted, id_map, judge, partial):
        self.gold_ops: Sequence[GoldOp] = gold_ops
        self.predicted = [(i, op) for i, op in enumerate(predicted) if op.op != "none"]
        self.id_map = dict(id_map)
        self.judge: Judge = judge
        self.partial = partial
        self.gold: dict[int, OpOutcome] = {}
        self.pred: dict[int, OpOutcome] = {}

    def free(self, kind: str) -> list[tuple[int, MemoryOperation]]:
        return [(i, op) for i, op in self.predicted if op.op == kind and i not in self.pred]

    def target(self, op: GoldOp) -> str | None:
        return self.id_map.get(op.target, op.target if op.id is not None else None)

    def link(
        self,
        g: int,
        p: int,
        outcome: Outcome,
        reason: str,
        judgement: Judgement | None = None,
    ) -> None:
        gold_op, (_, pred_op) = self.gold_ops[g], self._pred(p)
        matched = outcome == "matched"
        if matched and gold_op.optional:
            outcome = "optional_matched"
        common = {
            "similarity": judgement.similarity if judgement else None,
            "key_terms": judgement.key_terms if judgement else None,
        }
        counted = outcome != "optional_matched"
        self.gold[g] = self.gold_outcome(
            g, outcome, reason, counted, partner=p, partner_id=pred_op.id, **common
        )
        self.pred[p] = _pred_outcome(
            p, pred_op, outcome, reason, counted, partner=g, partner_id=gold_op.target, **common
        )

    def gold_outcome(
        self, g: int, outcome: Outcome, reason: str, counted: bool, **extra: Any
    ) -> OpOutcome:
        op = self.gold_ops[g]
        return OpOutcome(
            side="gold",
            op=op.op,
            index=g,
            id=op.target,
            outcome=outcome,
            reason=reason,
            counted=counted,
            text=_gold_text(op),
            target=self.target(op),
            optional=op.optional,
            **extra,
        )

    def _pred(self, p: int) -> tuple[int, MemoryOperation]:
        return next(item for item in self.predicted if item[0] == p)

    def best(self, g: int, candidates: list[tuple[int, MemoryOperation]]):
        """The accepted candidate with the highest similarity (first on ties), else None."""
        side = gold_side(self.gold_ops[g])
        best = None
        for p, op in candidates:
            verdict = self.judge(side, text_of(op))
            if verdict.accepted and (best is None or _sim(verdict) > _sim(best[1])):
                best = (p, verdict)
        return best


def _pred_outcome(
    p: int, op: MemoryOperation, outcome: Outcome, reason: str, counted: bool, **extra: Any
) -> OpOutcome:
    return OpOutcome(
        side="predicted",
        op=cast(
            Literal["insert", "update", "delete"], op.op
        ),  # none ops are dropped before matching
        index=p,
        id=op.id,
        outcome=outcome,
        reason=reason,
        counted=counted,
        text=_pred_text(op),
        **extra,
    )


def _sim(judgement: Judgement) -> float:
    return -1.0 if judgement.similarity is None else judgement.similarity


def _gold_text(op: GoldOp) -> str | None:
    return None if op.content is None else memory_text(op.content)


def _pred_text(op: MemoryOperation) -> str | None:
    return None if op.after is None else memory_text(op.after)


def run_match(
    gold_ops: Sequence[GoldOp],
    predicted: Sequence[MemoryOperation],
    id_map: Mapping[str, str],
    judge: Judge,
    partial: bool,
    session: int,
) -> SessionScore:
    state = _Session(gold_ops, predicted, id_map, judge, partial)
    _match_inserts(state)
    _match_targets(state)
    _explain_updates(state)
    _close(state)
    return _finish(state, session)


def _match_inserts(state: _Session) -> None:
    gold = [(g, op) for g, op in enumerate(state.gold_ops) if op.op == "insert"]
    preds = state.free("insert")
    if not gold or not preds:
        return
    verdicts = [[state.judge(gold_side(op), text_of(p_op)) for _, p_op in preds] for _, op in gold]
    sims = [[v.similarity if v.accepted else None for v in row] for row in verdicts]
    pairs = match_accepted(sims, [not op.optional for _, op in gold])
    for row, col in pairs.items():
        g, p = gold[row][0], preds[col][0]
        state.id_map[gold[row][1].target] = preds[col][1].id
        verdict = verdicts[row][col]
        state.link(g, p, "matched", f"insert matched by content: {verdict.reason()}", verdict)


def _match_targets(state: _Session) -> None:
    for g, op in enumerate(state.gold_ops):
        if op.op == "insert":
            continue
        target = state.target(op)
        same = [(p, pop) for p, pop in state.free(op.op) if target is not None and pop.id == target]
        if op.op == "delete":
            if same:
                state.link(g, same[0][0], "matched", f"delete of {target!r} matched")
            continue
        best = state.best(g, same)
        if best is not None:
            reason = f"update of {target!r} matched: {best[1].reason()}"
            state.link(g, best[0], "matched", reason, best[1])


def _explain_updates(state: _Session) -> None:
    for g, op in enumerate(state.gold_ops):
        if op.op != "update" or op.optional or g in state.gold:
            continue
        target = state.target(op)
        side = gold_side(op)
        same = [(p, pop) for p, pop in state.free("update") if target and pop.id == target]
        if same:
            verdict = state.judge(side, text_of(same[0][1]))
            reason = f"{target!r} was updated with the wrong content: {verdict.reason()}"
            state.link(g, same[0][0], "wrong_content", reason, verdict)
            continue
        deleted = [(p, pop) for p, pop in state.free("delete") if target and pop.id == target]
        if deleted:
            reason = f"{target!r} was deleted instead of updated"
            state.link(g, deleted[0][0], "delete_instead_of_update", reason)
            continue
        best = state.best(g, state.free("insert"))
        if best is not None:
            shown = repr(target) if target else f"{op.target!r} (its insert was never matched)"
            reason = f"a new memory was inserted instead of updating {shown}: {best[1].reason()}"
            state.link(g, best[0], "duplicate_instead_of_update", reason, best[1])
            continue
        # With an unknown target (its insert was never matched) "another memory" is undefined.
        best = state.best(g, state.free("update")) if target is not None else None
        if best is not None:
            pid = state._pred(best[0])[1].id
            reason = f"{pid!r} was updated instead of {target!r}: {best[1].reason()}"
            state.link(g, best[0], "wrong_target_update", reason, best[1])


def _close(state: _Session) -> None:
    for g, op in enumerate(state.gold_ops):
        if g in state.gold:
            continue
        outcome: Outcome = "optional_unmatched" if op.optional else "missed"
        state.gold[g] = state.gold_outcome(g, outcome, _missed_reason(state, op), not op.optional)
    for p, op in state.predicted:
        if p in state.pred:
            continue
        outcome = "unlabeled" if state.partial else "spurious"
        reason = (
            "no gold op in this partially labeled session matches it (not counted)"
            if state.partial
            else "no gold op matches it"
        )
        state.pred[p] = _pred_outcome(p, op, outcome, reason, not state.partial)


def _missed_reason(state: _Session, op: GoldOp) -> str:
    prefix = "optional op not produced (not counted)" if op.optional else "not produced"
    if op.op == "insert":
        return f"{prefix}: no predicted insert states this content" + _closest(state, op)
    target = state.target(op)
    if target is None:
        reason = (
            f"{prefix}: target {op.target!r} has no predicted memory (its insert was not matched)"
        )
    else:
        reason = f"{prefix}: no predicted {op.op} of {target!r}"
    return reason + (_closest(state, op) if op.op == "update" else "")


def _closest(state: _Session, op: GoldOp) -> str:
    """The most similar leftover prediction and why it was rejected, for the reason text."""
    kinds = ("insert",) if op.op == "insert" else ("insert", "update")
    candidates = [item for kind in kinds for item in state.free(kind)]
    if not candidates:
        return ""
    side = gold_side(op)
    verdicts = [(state.judge(side, text_of(pop)), pop) for _, pop in candidates]
    verdict, pop = max(verdicts, key=lambda item: _sim(item[0]))
    return f"; closest prediction: {pop.op} {pop.id!r} ({verdict.reason()})"


def _finish(state: _Session, session: int) -> SessionScore:
    counts = {
        f"{t}_{k}": 0
        for t in OP_TYPES
        for k in ("tp", "fp", "fn", "tp_labeled", "fn_labeled", "unlabeled")
    }
    counts.update({name: 0 for name in CONFUSIONS})
    gold = [state.gold[g] for g in sorted(state.gold)]
    pred = [state.pred[p] for p in sorted(state.pred)]
    for item in gold:
        if not item.counted:
            continue
        kind = "tp" if item.outcome == "matched" else "fn"
        counts[f"{item.op}_{kind}"] += 1
        if not state.partial:
            counts[f"{item.op}_{kind}_labeled"] += 1
        if item.outcome != "matched":
            counts[item.outcome] += 1
    for item in pred:
        if item.outcome == "unlabeled":
            counts[f"{item.op}_unlabeled"] += 1
        if item.counted and item.outcome != "matched":
            counts[f"{item.op}_fp"] += 1
            if item.outcome == "spurious":
                counts["spurious"] += 1
    return SessionScore(
        session=session,
        partial=state.partial,
        nothing_expected=not state.gold_ops and not state.partial,
        gold=gold,
        predicted=pred,
        id_map=state.id_map,
        counts=counts,
    )
