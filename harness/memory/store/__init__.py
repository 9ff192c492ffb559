"""Memory stores: LanceDB on disk or in memory, behind one LangGraph-like API.

``LanceStore`` and ``InMemoryStore`` are imported on first use (LanceDB takes about a second to
import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports
from harness.memory.store.base import BaseStore, Item, ItemVersion, SearchMode

__all__ = ["BaseStore", "InMemoryStore", "Item", "ItemVersion", "LanceStore", "SearchMode"]


_LAZY = {
    "InMemoryStore": "harness.memory.store.inmemory",
    "LanceStore": "harness.memory.store.lance",
}
# Only the lookup hook: the eager names above already show in the default ``dir()``.
__getattr__ = lazy_exports(__name__, _LAZY, __all__)[0]


if TYPE_CHECKING:  # pragma: no cover
    from harness.memory.store.inmemory import InMemoryStore
    from harness.memory.store.lance import LanceStore
