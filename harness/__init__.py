"""memory-harness: a LangMem-style memory library and a harness that measures it.

Public names are loaded on first use, so importing ``harness`` (and running the CLI) stays fast.
"""

from __future__ import annotations

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

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
