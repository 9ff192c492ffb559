"""Helpers for the dataset tests: small valid cases and a writer for JSONL files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def make_case(case_id: str, **fields: Any) -> dict[str, Any]:
    """A small valid case: one existing memory updated in session 1, an insert, a query."""
    case: dict[str, Any] = {
        "id": case_id,
        "tags": ["preference", "update"],
        "existing": [{"id": "m1", "content": "User prefers light mode"}],
        "sessions": [
            {
                "messages": [
                    {"id": "t1", "role": "user", "content": "Dark mode is easier on my eyes now."},
                    {"id": "t2", "role": "assistant", "content": "Noted!"},
                ],
                "expected": [
                    {
                        "op": "update",
                        "id": "m1",
                        "content": "User prefers dark mode",
                        "require": ["dark"],
                        "forbid": ["light"],
                    },
                    {
                        "op": "insert",
                        "ref": "g1",
                        "content": "User has tired eyes",
                        "optional": True,
                    },
                ],
            }
        ],
        "queries": [{"query": "Which theme does the user like?", "relevant": ["m1"]}],
    }
    case.update(fields)
    return case


@pytest.fixture
def case_factory() -> Callable[..., dict[str, Any]]:
    return make_case


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write records (dicts are dumped, strings written as they are) to a file under tmp_path."""

    def write(records: list[Any], name: str = "cases.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write
