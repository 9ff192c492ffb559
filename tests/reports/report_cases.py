"""A tiny dataset (one case carries a planted ``<script>``) and real runs of it, for report tests.

Not a test module: the HTML, browser and notebook tests import it.
"""

from __future__ import annotations

import json
from pathlib import Path

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
