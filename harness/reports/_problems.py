"""Why a case lost points, in one line per wrong op: for gate summaries and test failures.

Each line names the session, the side (gold op not found, or predicted op not wanted), the op,
its content, the error class and the scorer's reason, e.g.::

    s1 gold update m1 "User prefers dark mode": duplicate_instead_of_update: a new memory was...
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from harness.reports._records import CaseRecord, OpRow

GOOD_OUTCOMES = frozenset({"matched", "optional_matched", "optional_unmatched", "unlabeled"})


def _short(text: str | None, limit: int) -> str:
    if text is None:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_op(row: OpRow, *, width: int = 70) -> str:
    """One line for a wrong op (pure)."""
    target = f" {row.ref or row.memory_id}" if row.op != "insert" or row.side == "gold" else ""
    target = "" if target.strip() in ("", "None") else target
    content = f' "{_short(row.content, 60)}"' if row.content else ""
    reason = _short(row.reason, width * 2)
    return f"s{row.session_index + 1} {row.side} {row.op}{target}{content}: {row.outcome}: {reason}"


def problem_lines(
    records: Sequence[CaseRecord], ops: Iterable[OpRow], *, limit: int = 8
) -> list[str]:
    """What went wrong in one case (every repeat), worst first: errors, then wrong ops."""
    repeats = len(records) > 1
    lines = []
    for record in records:
        if record.status != "ok":
            prefix = f"r{record.repeat} " if repeats else ""
            lines.append(f"{prefix}error: {record.error_type}: {_short(record.error, 140)}")
    for row in ops:
        if row.outcome in GOOD_OUTCOMES or not row.counted:
            continue
        prefix = f"r{row.repeat} " if repeats else ""
        lines.append(prefix + describe_op(row))
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more"]
    return lines


def case_problems(
    store: Any, run_id: str, case_ids: Sequence[str], *, limit: int = 8
) -> dict[str, list[str]]:
    """``case id -> problem lines`` for a few cases of a recorded run."""
    wanted = set(case_ids)
    records: dict[str, list[CaseRecord]] = {}
    for record in store.case_results(run_id):
        if record.case_id in wanted:
            records.setdefault(record.case_id, []).append(record)
    return {
        case_id: problem_lines(records.get(case_id, []), store.ops(run_id, case_id), limit=limit)
        for case_id in case_ids
    }
