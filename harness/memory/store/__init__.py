"""Memory stores: LanceDB on disk, or a dict in memory, behind one LangGraph-like API.

``LanceStore`` is imported on first use (LanceDB takes about a second to import).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from harness.memory.store.base import BaseStore, Item, ItemVersion, SearchMode
from harness.memory.store.inmemory import InMemoryStore

__all__ = ["BaseStore", "InMemoryStore", "Item", "ItemVersion", "LanceStore", "SearchMode"]


def __getattr__(name: str) -> Any:
    if name == "LanceStore":
        value = importlib.import_module("harness.memory.store.lance").LanceStore
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover
    from harness.memory.store.lance import LanceStore
