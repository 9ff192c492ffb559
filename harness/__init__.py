"""memory-harness: a LangMem-style memory library and a harness that measures it.

Public names are loaded on first use, so importing ``harness`` (and running the CLI) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "create_memory_manager": "harness.memory.manager",
    "create_memory_store_manager": "harness.memory.store_manager",
    "MemoryStoreManager": "harness.memory.store_manager",
    "MemoryPhase": "harness.memory.store_manager",
    "Memory": "harness.memory.schemas",
    "ExtractedMemory": "harness.memory.schemas",
    "RemoveDoc": "harness.memory.schemas",
    "MemoryOperation": "harness.memory.schemas",
    "HarnessError": "harness.errors",
    "ReflectionExecutor": "harness.memory.reflection",
    "BaseStore": "harness.memory.store",
    "InMemoryStore": "harness.memory.store",
    "LanceStore": "harness.memory.store",
    "Item": "harness.memory.store",
    "ItemVersion": "harness.memory.store",
}

__all__ = [
    "BaseStore",
    "ExtractedMemory",
    "HarnessError",
    "InMemoryStore",
    "Item",
    "ItemVersion",
    "LanceStore",
    "Memory",
    "MemoryOperation",
    "MemoryPhase",
    "MemoryStoreManager",
    "ReflectionExecutor",
    "RemoveDoc",
    "__version__",
    "create_memory_manager",
    "create_memory_store_manager",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.errors import HarnessError
    from harness.memory.manager import create_memory_manager
    from harness.memory.reflection import ReflectionExecutor
    from harness.memory.schemas import ExtractedMemory, Memory, MemoryOperation, RemoveDoc
    from harness.memory.store import BaseStore, InMemoryStore, Item, ItemVersion, LanceStore
    from harness.memory.store_manager import (
        MemoryPhase,
        MemoryStoreManager,
        create_memory_store_manager,
    )
