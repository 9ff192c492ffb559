"""Turning one scored case into database rows (pure functions over plain data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.data.models import Case
from harness.memory.schemas import MemoryOperation
from harness.models.types import CallRecord
from harness.results.records import CallRow, FinalRow, OpRow
from harness.runner._queries import RowKey
from harness.scoring.metrics import CaseScore
from harness.scoring.outcomes import OpOutcome


@dataclass(frozen=True)
class CallTotals:
    """Sums over a case's model calls; None where unknown (see :func:`unknown_usage`)."""

    input_tokens: int | None = 0
    output_tokens: int | None = 0
    cost_usd: float | None = None
    n_calls: int | None = 0
    retries: int | None = 0
    cached_calls: int | None = 0
    model_s: float = 0.0


def unknown_usage(totals: CallTotals) -> CallTotals:
    """The totals of a case whose system calls its models itself (a peer library): the calls
    the harness saw are only part of them, so tokens, cost and call counts are unknown, not 0."""
    return CallTotals(None, None, None, None, None, None, totals.model_s)


def op_rows(
    key: RowKey, case: Case, predicted: Sequence[Sequence[MemoryOperation]], score: CaseScore
) -> list[OpRow]:
    rows: list[OpRow] = []
    for s, session in enumerate(score.sessions):
        gold_ops = case.sessions[s].expected
        for item in session.gold:
            op = gold_ops[item.index]
            kind = op.kind or case.schema_
            memory_id = item.target or (item.partner_id if item.op == "insert" else None)
            rows.append(_op_row(key, s, item, memory_id, item.id, kind, list(op.source)))
        for item in session.predicted:
            made = predicted[s][item.index]
            rows.append(
                _op_row(key, s, item, item.id, item.partner_id, made.kind, list(made.source))
            )
    return rows


def _op_row(
    key: RowKey,
    session: int,
    item: OpOutcome,
    memory_id: str | None,
    ref: str | None,
    kind: str | None,
    source: list[str],
) -> OpRow:
    terms = item.key_terms
    return OpRow(
        run_id=key.run_id,
        case_id=key.case_id,
        repeat=key.repeat,
        session_index=session,
        side=item.side,
        op_index=item.index,
        op=item.op,
        memory_id=memory_id,
        ref=ref,
        kind=kind,
        content=item.text,
        optional=item.optional,
        outcome=item.outcome,
        counted=item.counted,
        partner_index=item.partner,
        partner_id=item.partner_id,
        similarity=item.similarity,
        key_terms_ok=None if terms is None else terms.ok,
        key_terms=None if terms is None else terms.describe(),
        reason=item.reason,
        source=source,
    )


def final_rows(key: RowKey, score: CaseScore) -> list[FinalRow]:
    return [
        FinalRow(
            run_id=key.run_id,
            case_id=key.case_id,
            repeat=key.repeat,
            side=item.side,
            memory_id=item.id,
            content=item.text,
            outcome=item.outcome,
            partner_id=item.partner_id,
            similarity=item.similarity,
            reason=item.reason or None,
        )
        for item in [*score.final.gold, *score.final.predicted]
    ]


def call_rows(
    key: RowKey, calls: Sequence[CallRecord], sessions: Sequence[int | None]
) -> list[CallRow]:
    """One row per call; ``sessions[i]`` is the session call ``i`` was made in (None: none)."""
    return [
        CallRow(
            run_id=key.run_id,
            case_id=key.case_id,
            repeat=key.repeat,
            session_index=session,
            call_index=i,
            model=call.model,
            purpose=call.purpose,
            input_tokens=call.usage.input_tokens,
            output_tokens=call.usage.output_tokens,
            cost_usd=call.usage.cost_usd,
            latency_s=call.usage.latency_s,
            retries=call.usage.retries,
            cached=call.usage.cached,
            error=call.error,
            cache_key=call.cache_key,
        )
        for i, (call, session) in enumerate(zip(calls, sessions, strict=True))
    ]


def call_totals(calls: Sequence[CallRecord]) -> CallTotals:
    costs = [c.usage.cost_usd for c in calls if c.usage.cost_usd is not None]
    return CallTotals(
        input_tokens=sum(c.usage.input_tokens for c in calls),
        output_tokens=sum(c.usage.output_tokens for c in calls),
        cost_usd=sum(costs) if costs else None,
        n_calls=len(calls),
        retries=sum(c.usage.retries for c in calls),
        cached_calls=sum(1 for c in calls if c.usage.cached),
        model_s=sum(c.usage.latency_s for c in calls),
    )
