"""The memory library: schemas, the memory manager and friends.

Names load on first use, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "DEFAULT_INSTRUCTIONS": "harness.memory.manager",
    "ExtractionResult": "harness.memory.manager",
    "MemoryManager": "harness.memory.manager",
    "MemoryState": "harness.memory.manager",
    "create_memory_manager": "harness.memory.manager",
    "MemoryPhase": "harness.memory.store_manager",
    "MemoryStoreManager": "harness.memory.store_manager",
    "Retrieval": "harness.memory.store_manager",
    "StoreManagerResult": "harness.memory.store_manager",
    "StoreOperation": "harness.memory.store_manager",
    "create_memory_store_manager": "harness.memory.store_manager",
    "ExtractedMemory": "harness.memory.schemas",
    "Memory": "harness.memory.schemas",
    "MemoryOperation": "harness.memory.schemas",
    "RejectedCall": "harness.memory.schemas",
    "RemoveDoc": "harness.memory.schemas",
    "memory_text": "harness.memory.schemas",
}

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "ExtractedMemory",
    "ExtractionResult",
    "Memory",
    "MemoryManager",
    "MemoryOperation",
    "MemoryPhase",
    "MemoryState",
    "MemoryStoreManager",
    "RejectedCall",
    "RemoveDoc",
    "Retrieval",
    "StoreManagerResult",
    "StoreOperation",
    "create_memory_manager",
    "create_memory_store_manager",
    "memory_text",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

if TYPE_CHECKING:  # pragma: no cover
    from harness.memory.manager import (
        DEFAULT_INSTRUCTIONS,
        ExtractionResult,
        MemoryManager,
        MemoryState,
        create_memory_manager,
    )
    from harness.memory.schemas import (
        ExtractedMemory,
        Memory,
        MemoryOperation,
        RejectedCall,
        RemoveDoc,
        memory_text,
    )
    from harness.memory.store_manager import (
        MemoryPhase,
        MemoryStoreManager,
        Retrieval,
        StoreManagerResult,
        StoreOperation,
        create_memory_store_manager,
    )
