"""A tiny dataset (one case carries a planted ``<script>``) and real runs of it, for report tests.

Not a test module: the HTML, browser and notebook tests import it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from harness.results import CaseRecord, OpRow, RunRecord

INJECTION = "<script>window.__pwned = 1; document.title = 'pwned';</script>"

CASES = [
    {
        "id": "inject-001",
        "tags": ["fact", "adversarial"],
        "sessions": [
            {
                "messages": [
                    {
                        "id": "s1m1",
                        "role": "user",
                        "content": f"{INJECTION} I moved to Lisbon last month.",
                    },
                    {"id": "s1m2", "role": "assistant", "content": "Welcome to Lisbon!"},
                ],
                "expected": [
                    {
                        "op": "insert",
                        "ref": "g1",
                        "content": "User lives in Lisbon",
                        "require": ["Lisbon"],
                    }
                ],
            }
        ],
        "queries": [{"query": "Where does the user live?", "relevant": ["g1"]}],
    },
    {
        "id": "corr-001",
        "tags": ["update", "fact"],
        "existing": [
            {"id": "m1", "content": "User lives in Lyon"},
            {"id": "m2", "content": "User has a dog named Biscuit"},
        ],
        "sessions": [
            {
                "messages": [
                    {
                        "id": "s1m1",
                        "role": "user",
                        "content": "Small correction: I live in Lille, not Lyon.",
                    },
                    {"id": "s1m2", "role": "assistant", "content": "Thanks, noted."},
                ],
                "expected": [
                    {
                        "op": "update",
                        "id": "m1",
                        "content": "User lives in Lille",
                        "require": ["Lille"],
                        "forbid": ["Lyon"],
                    }
                ],
            }
        ],
        "queries": [{"query": "Where does the user live?", "relevant": ["m1"]}],
    },
    {
        "id": "forget-001",
        "tags": ["delete"],
        "existing": [
            {"id": "m1", "content": "User's ex-girlfriend is named Dana"},
            {"id": "m2", "content": "User loves barbecue"},
        ],
        "sessions": [
            {
                "messages": [
                    {
                        "id": "s1m1",
                        "role": "user",
                        "content": "Please forget everything about my ex.",
                    },
                    {"id": "s1m2", "role": "assistant", "content": "Done."},
                ],
                "expected": [{"op": "delete", "id": "m1"}],
            }
        ],
        "queries": [{"query": "What food does the user like?", "relevant": ["m2"]}],
    },
    {
        "id": "nothing-001",
        "tags": ["nothing"],
        "sessions": [
            {
                "messages": [
                    {"id": "s1m1", "role": "user", "content": "What's 17 times 23?"},
                    {"id": "s1m2", "role": "assistant", "content": "391."},
                ],
                "expected": [],
            }
        ],
    },
]


def write_dataset(path: Path) -> Path:
    path.write_text("".join(json.dumps(case) + "\n" for case in CASES), encoding="utf-8")
    return path


def record_runs(db: Path, dataset: Path) -> list[str]:
    """Oracle, heuristic and noop over the tiny dataset, through the real runner."""
    from harness.runner import RunConfig, run_dataset

    return [
        run_dataset(
            RunConfig(
                dataset=str(dataset),
                model=model,
                n_resamples=50,
                concurrency=2,
                search_modes=["hybrid"],
            ),
            db=db,
        )
        for model in ("baseline/oracle", "baseline/heuristic", "baseline/noop")
    ]


# -- hand-made runs over the tiny dataset, with counts chosen so every number is easy to check ----

_T0 = datetime(2025, 1, 1, 12, 0, 0)


def run_record(run_id: str, dataset: Path, *, minutes: int, **fields: Any) -> RunRecord:
    values: dict[str, Any] = {
        "run_id": run_id, "name": None, "status": "finished", "dataset_path": str(dataset),
        "dataset_name": "tiny", "dataset_hash": "d" * 64, "dataset_source_hash": "d" * 64,
        "selection": {}, "n_cases": 4, "repeats": 1, "model": "scripted/m",
        "template_name": "default", "template_hash": "t" * 64, "template_text": "Remember.",
        "instructions_hash": "i" * 64, "matcher": "default", "matcher_threshold": 0.56,
        "state_mode": "predicted", "parameters": {}, "components": {},
        "harness_version": "0.1.0", "git_revision": None, "python_version": "3.11",
        "package_versions": {}, "schema_version": 1,
        "started_at": _T0 + timedelta(minutes=minutes),
        "finished_at": _T0 + timedelta(minutes=minutes, seconds=90),
    }  # fmt: skip
    values.update(fields)
    return RunRecord(**values)


def op(run_id: str, case_id: str, side: str, index: int, kind: str, outcome: str, **fields):
    values: dict[str, Any] = {
        "run_id": run_id, "case_id": case_id, "repeat": 0, "session_index": 0, "side": side,
        "op_index": index, "op": kind, "memory_id": None, "ref": None, "kind": "Memory",
        "content": None, "optional": False, "outcome": outcome, "counted": True,
        "partner_index": None, "partner_id": None, "similarity": None, "key_terms_ok": None,
        "key_terms": None, "reason": f"{outcome} because of the test",
    }  # fmt: skip
    values.update(fields)
    return OpRow(**values)


def case(
    run_id: str,
    case_id: str,
    counts: dict[str, int],
    ops: list[OpRow],
    *,
    hashes: dict[str, str],
    latency: float = 1.0,
    error: str | None = None,
) -> CaseRecord:
    spec = next(c for c in CASES if c["id"] == case_id)
    full = {"sessions": 1, "exact_sessions": 0, **counts}
    return CaseRecord(
        run_id=run_id, case_id=case_id, repeat=0, split="test", tags=list(spec["tags"]),
        case_hash=hashes[case_id], status="error" if error else "ok",
        error_type="ModelError" if error else None, error=error, n_sessions=1,
        latency_s=latency, input_tokens=100, output_tokens=10, cost_usd=0.002, n_calls=1,
        retries=0, cached_calls=0, counts=None if error else full, retrieval=None if error else {},
        timings={"total_s": latency}, finished_at=_T0, ops=[] if error else ops,
    )  # fmt: skip


def hand_made_db(folder: Path) -> tuple[Path, Path]:
    """Runs ``run-a`` (good) and ``run-b`` (bad) over the tiny dataset; returns (db, dataset).

    Run A: inject-001 insert matched; corr-001 update with the wrong content; forget-001 delete
    matched; nothing-001 nothing. Run B: inject-001 insert missed and a spurious insert carrying
    the planted script; corr-001 a duplicate insert instead of the update; forget-001 an error;
    nothing-001 a spurious insert.
    """
    from harness.data._lines import record_hash
    from harness.results import open_results
    from harness.results.summary import summarise

    dataset = write_dataset(folder / "tiny.jsonl")
    hashes = {c["id"]: record_hash(c) for c in CASES}
    a, b = "run-a", "run-b"
    runs = {
        a: [
            case(a, "inject-001", {"insert_tp": 1, "exact_sessions": 1}, [
                op(a, "inject-001", "gold", 0, "insert", "matched", ref="g1", partner_index=0,
                   content="User lives in Lisbon", similarity=0.91),
                op(a, "inject-001", "predicted", 0, "insert", "matched", memory_id="p1",
                   partner_index=0, content="User moved to Lisbon", similarity=0.91),
            ], latency=1.0, hashes=hashes),
            case(a, "corr-001", {"update_fn": 1, "update_fp": 1, "wrong_content": 1}, [
                op(a, "corr-001", "gold", 0, "update", "wrong_content", ref="m1", partner_index=0,
                   content="User lives in Lille", reason="'m1' was updated with the wrong content"),
                op(a, "corr-001", "predicted", 0, "update", "wrong_content", memory_id="m1",
                   partner_index=0, content="User lives in Lyon",
                   reason="'m1' was updated with the wrong content"),
            ], latency=2.0, hashes=hashes),
            case(a, "forget-001", {"delete_tp": 1, "exact_sessions": 1}, [
                op(a, "forget-001", "gold", 0, "delete", "matched", ref="m1", partner_index=0),
                op(a, "forget-001", "predicted", 0, "delete", "matched", memory_id="m1",
                   partner_index=0),
            ], latency=3.0, hashes=hashes),
            case(a, "nothing-001", {"exact_sessions": 1, "empty_sessions": 1}, [],
                 latency=4.0, hashes=hashes),
        ],
        b: [
            case(b, "inject-001", {"insert_fn": 1, "insert_fp": 1, "missed": 1, "spurious": 1}, [
                op(b, "inject-001", "gold", 0, "insert", "missed", ref="g1",
                   content="User lives in Lisbon", reason="not produced"),
                op(b, "inject-001", "predicted", 0, "insert", "spurious", memory_id="p9",
                   content=INJECTION, reason="no gold op matches it"),
            ], hashes=hashes),
            case(b, "corr-001", {"update_fn": 1, "insert_fp": 1,
                                 "duplicate_instead_of_update": 1}, [
                op(b, "corr-001", "gold", 0, "update", "duplicate_instead_of_update", ref="m1",
                   partner_index=1, content="User lives in Lille"),
                op(b, "corr-001", "predicted", 1, "insert", "duplicate_instead_of_update",
                   memory_id="p2", partner_index=0, content="User lives in Lille now"),
            ], hashes=hashes),
            case(b, "forget-001", {}, [], error="rate limited", hashes=hashes),
            case(b, "nothing-001", {"insert_fp": 1, "spurious": 1, "empty_sessions": 1,
                                    "empty_sessions_fp": 1}, [
                op(b, "nothing-001", "predicted", 0, "insert", "spurious", memory_id="p3",
                   content="User asked a sum"),
            ], hashes=hashes),
        ],
    }  # fmt: skip
    db = folder / "hand.duckdb"
    with open_results(db) as store:
        for minutes, (run_id, records) in enumerate(runs.items()):
            store.create_run(run_record(run_id, dataset, minutes=minutes))
            store.write_cases(records)
            rows = summarise(store.case_results(run_id), run_id=run_id, n_resamples=100)
            store.finish_run(run_id, rows, {})
            ended = _T0 + timedelta(minutes=minutes, seconds=90)  # finish_run stamps "now"
            store.connection.execute(
                "UPDATE runs SET finished_at = ? WHERE run_id = ?", [ended, run_id]
            )
    return db, dataset
