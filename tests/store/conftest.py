"""Fixtures for the store tests: every conformance test runs against both stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.memory.store import BaseStore, InMemoryStore


@pytest.fixture(params=["inmemory", "lance"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BaseStore:
    if request.param == "inmemory":
        return InMemoryStore()
    from harness.memory.store import LanceStore

    return LanceStore(tmp_path / "lance")
