"""Hand-made runs in a real results database, with counts chosen so metrics are easy to check.

Not a test module: the compare and gate tests import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from harness.results import CaseRecord, OpRow, ResultsStore, RunRecord
from harness.results.summary import summarise

_T0 = datetime(2025, 1, 1, 12, 0, 0)


def run_record(run_id: str, *, started: int = 0, **fields) -> RunRecord:
    values = {
        "run_id": run_id,
        "name": None,
        "status": "finished",
        "dataset_path": "datasets/tiny.jsonl",
        "dataset_name": "tiny",
        "dataset_hash": "d" * 64,
        "dataset_source_hash": "d" * 64,
        "selection": {},
        "n_cases": 0,
        "repeats": 1,
        "model": "scripted/m",
        "template_name": "default",
        "template_hash": "t" * 64,
        "template_text": "Remember things.",
        "instructions_hash": "i" * 64,
        "matcher": "default",
        "matcher_threshold": 0.8,
        "state_mode": "predicted",
        "parameters": {},
        "components": {},
        "harness_version": "0.1.0",
        "git_revision": None,
        "python_version": "CPython 3.11",
        "package_versions": {},
        "schema_version": 1,
        "started_at": _T0 + timedelta(minutes=started),
    }
    values.update(fields)
    return RunRecord(**values)


def case_record(
    run_id: str,
    case_id: str,
    counts: Mapping[str, int] | None,
    *,
    tags: Sequence[str] = (),
    case_hash: str | None = None,
    repeat: int = 0,
    error: str | None = None,
    tokens: int = 100,
    cost: float | None = 0.001,
    ops: Sequence[OpRow] = (),
) -> CaseRecord:
    return CaseRecord(
        run_id=run_id,
        case_id=case_id,
        repeat=repeat,
        split="test",
        tags=list(tags),
        case_hash=case_hash or f"h-{case_id}",
        status="error" if error else "ok",
        error_type="ModelError" if error else None,
        error=error,
        n_sessions=1,
        latency_s=0.5,
        input_tokens=tokens,
        output_tokens=tokens // 10,
        cost_usd=cost,
        n_calls=1,
        retries=0,
        cached_calls=0,
        counts=None if error else dict(counts or {}),
        retrieval=None if error else {},
        timings={"total_s": 0.5},
        finished_at=_T0,
        ops=list(ops),
    )


def op_row(run_id: str, case_id: str, *, side: str, op: str, outcome: str, reason: str,
           content: str | None = None, session: int = 0, index: int = 0,
           ref: str | None = None) -> OpRow:  # fmt: skip
    return OpRow(
        run_id=run_id,
        case_id=case_id,
        repeat=0,
        session_index=session,
        side=side,
        op_index=index,
        op=op,
        memory_id=None,
        ref=ref,
        kind="Memory",
        content=content,
        optional=False,
        outcome=outcome,
        counted=True,
        partner_index=None,
        partner_id=None,
        similarity=None,
        key_terms_ok=None,
        key_terms=None,
        reason=reason,
    )


def add_run(store: ResultsStore, run: RunRecord, cases: Sequence[CaseRecord]) -> RunRecord:
    """Record a run and its cases, then finish it the way the runner does."""
    run.n_cases = len({c.case_id for c in cases})
    store.create_run(run)
    store.write_cases(cases)
    if run.status == "finished":
        rows = summarise(store.case_results(run.run_id), run_id=run.run_id, n_resamples=200)
        store.finish_run(run.run_id, rows, {})
    return run


def update_counts(tp: int, fn: int = 0, fp: int = 0, sessions: int = 1) -> dict[str, int]:
    """Counts of a case whose gold ops are all updates."""
    return {
        "update_tp": tp,
        "update_fn": fn,
        "update_fp": fp,
        "sessions": sessions,
        "exact_sessions": int(fn == 0 and fp == 0) * sessions,
    }
