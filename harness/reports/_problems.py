"""Why a case lost points, in one line per wrong op: for gate summaries and test failures.

Each line names the session, the side (gold op not found, or predicted op not wanted), the op,
its content, the error class and the scorer's reason, e.g.::

    s1 gold update m1 "User prefers dark mode" / predicted insert "User likes dark mode":
    duplicate_instead_of_update: a new memory was inserted instead of updating 'm1' ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from harness.results.records import CaseRecord, OpRow

GOOD_OUTCOMES = frozenset({"matched", "optional_matched", "optional_unmatched", "unlabeled"})


def _short(text: str | None, limit: int) -> str:
    if text is None:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _op_text(row: OpRow, *, with_target: bool = True) -> str:
    target = row.ref if row.side == "gold" else row.memory_id
    shown = (
        f" {target}"
        if with_target and target and (row.op != "insert" or row.side == "gold")
        else ""
    )
    content = f' "{_short(row.content, 60)}"' if row.content else ""
    return f"{row.op}{shown}{content}"


def describe_op(row: OpRow, partner: OpRow | None = None, *, width: int = 200) -> str:
    """One line for a wrong op, with the op it was confused with (pure)::

    s1 gold update m1 "User prefers dark mode" / predicted insert "User likes dark mode":
    duplicate_instead_of_update: a new memory was inserted instead of updating 'm1' ...
    """
    ops = f"{row.side} {_op_text(row)}"
    if partner is not None:
        ops += f" / {partner.side} {_op_text(partner, with_target=False)}"
    return f"s{row.session_index + 1} {ops}: {row.outcome}: {_short(row.reason, width)}"


def _wrong_op_lines(ops: Sequence[OpRow], prefix: Callable[[int], str]) -> list[str]:
    by_key = {(r.repeat, r.session_index, r.side, r.op_index): r for r in ops}
    lines = []
    for row in ops:
        if row.outcome in GOOD_OUTCOMES or not row.counted:
            continue
        other = "predicted" if row.side == "gold" else "gold"
        partner = None
        if row.partner_index is not None:
            partner = by_key.get((row.repeat, row.session_index, other, row.partner_index))
        if partner is not None and partner.outcome == row.outcome and row.side == "predicted":
            continue  # shown with its gold op
        lines.append(prefix(row.repeat) + describe_op(row, partner))
    return lines


def problem_lines(
    records: Sequence[CaseRecord], ops: Iterable[OpRow], *, limit: int = 8
) -> list[str]:
    """What went wrong in one case (every repeat): errors first, then wrong ops."""
    repeats = len(records) > 1

    def prefix(repeat: int) -> str:
        return f"r{repeat} " if repeats else ""

    lines = [
        f"{prefix(r.repeat)}error: {r.error_type}: {_short(r.error, 200)}"
        for r in records
        if r.status != "ok"
    ]
    lines += _wrong_op_lines(list(ops), prefix)
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
