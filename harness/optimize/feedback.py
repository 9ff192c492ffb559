"""What the proposer is shown about a failing case: the conversation, what should have happened,
what the model did, and how the scorer classified each difference (all pure).

Built from a :class:`~harness.data.models.Case` and the op rows the runner stored for it
(``ops`` table: gold and predicted ops with their outcome and reason), then rendered as compact
text. Long messages are shortened so one case cannot crowd the others out of the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.data.models import Case
from harness.memory.schemas import memory_text

MESSAGE_CHARS = 600
"""Longest message text shown; longer ones are cut in the middle."""


@dataclass(frozen=True)
class OpView:
    """One gold or predicted op as the proposer sees it."""

    side: str  # gold | predicted
    op: str
    key: str | None  # gold id/ref, or the predicted memory id
    content: str | None
    outcome: str
    reason: str = ""
    optional: bool = False


@dataclass(frozen=True)
class SessionView:
    index: int
    messages: tuple[tuple[str, str], ...]  # (role, text)
    gold: tuple[OpView, ...] = ()
    predicted: tuple[OpView, ...] = ()


@dataclass(frozen=True)
class CaseFeedback:
    """A case the parent template got wrong, ready to show."""

    case_id: str
    score: float
    existing: tuple[tuple[str, str], ...] = ()
    sessions: tuple[SessionView, ...] = ()
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def build_feedback(
    case: Case, op_rows: Sequence[Any], score: float, error: str | None = None
) -> CaseFeedback:
    """A case's feedback from its stored op rows (objects with the ``ops`` table's fields)."""
    sessions = []
    for s, session in enumerate(case.sessions):
        rows = [row for row in op_rows if row.session_index == s]
        gold = tuple(_view(row) for row in rows if row.side == "gold")
        if not rows:  # the case failed before it was scored: show the gold ops as they are
            gold = tuple(_unscored(op) for op in session.expected)
        sessions.append(
            SessionView(
                index=s,
                messages=tuple((m.role, m.content) for m in session.messages),
                gold=gold,
                predicted=tuple(_view(row) for row in rows if row.side == "predicted"),
            )
        )
    existing = tuple((m.id, memory_text(m.content)) for m in case.existing)
    return CaseFeedback(case.id, score, existing, tuple(sessions), error)


def _unscored(op: Any) -> OpView:
    content = None if op.content is None else memory_text(op.content)
    key = op.ref if op.op == "insert" else (op.id or op.ref)
    return OpView("gold", op.op, key, content, "not scored", optional=op.optional)


def _view(row: Any) -> OpView:
    key = row.ref if row.side == "gold" else row.memory_id
    return OpView(
        side=row.side,
        op=row.op,
        key=key,
        content=row.content,
        outcome=row.outcome,
        reason=row.reason or "",
        optional=bool(row.optional),
    )


def render_feedback(item: CaseFeedback, metric: str) -> str:
    """The case as plain text: stored memories, then each session's turns and op comparison."""
    lines = [f"### Case {item.case_id} ({metric} {item.score:.2f})"]
    if item.error:
        lines.append(f"The model failed on this case: {item.error}")
    if item.existing:
        lines.append("Memories stored before the conversation:")
        lines += [f"- [{key}] {_shorten(text)}" for key, text in item.existing]
    for session in item.sessions:
        lines.append(f"Session {session.index + 1}:")
        lines += [f"  {role}: {_shorten(text)}" for role, text in session.messages]
        lines.append("  Expected changes:" if session.gold else "  Expected changes: none")
        lines += [f"  - {_op_line(op)}" for op in session.gold]
        did = "  The model's changes:" if session.predicted else "  The model's changes: none"
        lines.append(did)
        lines += [f"  - {_op_line(op)}" for op in session.predicted]
    return "\n".join(lines)


def _op_line(op: OpView) -> str:
    target = f" [{op.key}]" if op.key else ""
    content = f' "{_shorten(op.content)}"' if op.content else ""
    optional = " (optional)" if op.optional else ""
    verdict = op.outcome.replace("_", " ")
    reason = f": {op.reason}" if op.reason and op.outcome != "matched" else ""
    return f"{op.op}{target}{content}{optional} -> {verdict}{reason}"


def _shorten(text: str, limit: int = MESSAGE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    half = (limit - 5) // 2
    return f"{text[:half]} [...] {text[-half:]}"
