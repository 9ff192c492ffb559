"""Mem0 OSS (``mem0ai``) as a system under test: litellm as its LLM, a local store, our embedder.

``harness run --system mem0 -m MODEL`` builds one ``mem0.Memory`` per run with

- ``litellm`` as its LLM provider on ``MODEL`` (so ``scripted/...`` and ``local/...`` work too);
- its local Qdrant vector store and its history database in a temporary folder, removed when
  the run ends;
- this project's embedder (ONNX MiniLM by default, or the run's ``--embedder``) passed in, so
  no torch or hosted embedding API is involved;
- telemetry off (``MEM0_TELEMETRY=False``); the settings Mem0 writes when imported go to a
  temporary folder (unless ``MEM0_DIR`` is set), so nothing is written to the home folder.

Each call shows Mem0 the memories the harness's store manager retrieved: they are written into
a fresh Mem0 user scope, ``Memory.add(messages, user_id=scope)`` runs, and the scope is read
back and removed. Mem0 does report events, but only for what it added, so the operations are
**derived by diffing** the scope before and after the call (recorded as ``operations: diffed``):
a memory that appeared is an insert, one whose text changed an update, one that disappeared a
delete. Mem0 2.x extracts additively (it does not rewrite or remove memories while adding), so
expect updates and deletes to score as missed. Its model calls bypass the harness's response
cache and usage accounting. Calls are serialised (Mem0's local store is single-writer). Install
with ``pip install 'memory-harness[mem0]'``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sys
import threading
import uuid
import weakref
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from harness._scratch import owned_folder
from harness.errors import ConfigurationError
from harness.memory._existing import Entry
from harness.memory._prompt import Turn
from harness.memory.manager import ExtractionResult
from harness.memory.schemas import Memory, memory_text
from harness.systems import _convert, _peer
from harness.systems.custom import AdaptedSystem, OpsSource

__all__ = ["SYSTEM", "Mem0System", "missing_packages"]

PACKAGES = {"mem0": "mem0ai"}
_SCOPE_NAMESPACE = uuid.UUID("5b0f7a52-8d9e-4c55-9b8f-0d6f1f3c2e11")


def missing_packages() -> list[str]:
    return _peer.missing(PACKAGES)


class Mem0System(AdaptedSystem):
    """Mem0's ``Memory`` with a local store, adapted (see the module docstring)."""

    operations: OpsSource = "diffed"
    usage_known = False
    """It calls its model itself: runs record its tokens, cost and calls as unknown (n/a)."""

    def __init__(
        self,
        model: str,
        schemas: tuple[type[BaseModel], ...] = (Memory,),
        *,
        embedder: str | None = None,
        temperature: float | None = 0.0,
    ) -> None:
        super().__init__(schemas, label="mem0")
        if "Memory" not in self.schema_map:
            raise ConfigurationError(
                f"mem0 stores plain text memories; the case uses {', '.join(self.schema_map)}"
            )
        self.model = model
        self.folder = str(owned_folder("mem0"))  # a run sweeps it if this process is killed
        # Removed by close(), else when the system is collected or the interpreter exits.
        self._remove_folder = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        self._lock = threading.Lock()
        self.memory = _build_memory(model, self.folder, embedder, temperature)

    @classmethod
    def for_run(
        cls, model: str, schemas: tuple[type[BaseModel], ...], settings: Mapping[str, Any]
    ) -> Mem0System:
        options = {key: settings[key] for key in ("embedder", "temperature") if key in settings}
        return cls(model, schemas, **options)

    def close(self) -> None:
        """Remove the temporary folder now (Mem0's threads may keep the system alive a while)."""
        self._remove_folder()

    def __repr__(self) -> str:
        return f"Mem0System(model={self.model!r})"

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "model": self.model,
            "vector_store": "qdrant (local, temporary folder)",
            "embedder": self.memory.embedding_model.name,
            "packages": _peer.versions(list(PACKAGES.values())),
        }

    async def _decide(
        self, turns: tuple[Turn, ...], entries: tuple[Entry, ...], date: str | None, seed: str
    ) -> ExtractionResult:
        messages = [{"role": turn.role, "content": turn.text} for turn in turns]
        after = await asyncio.to_thread(self._add, messages, entries, seed)
        shown = _convert.Shown(entries, self.schema_map, seed, "mem0 left in its store")
        changes = _convert.changes_from_state(after, shown)
        return self.finish(entries, changes)

    def _add(self, messages: list[dict[str, str]], entries: tuple[Entry, ...], seed: str):
        """Seed a fresh scope with ``entries``, let Mem0 add ``messages``, read the scope back
        (as ``[(our id or Mem0's, text)]``) and remove it."""
        scope = str(uuid.uuid5(_SCOPE_NAMESPACE, f"{seed}:{uuid.uuid4()}"))
        ours = {str(uuid.uuid5(_SCOPE_NAMESPACE, entry.id)): entry.id for entry in entries}
        texts = [memory_text(entry.content) for entry in entries]
        with self._lock:
            if entries:
                self.memory.vector_store.insert(
                    vectors=self.memory.embedding_model.embed_batch(texts, "add"),
                    ids=list(ours),
                    payloads=[_payload(text, scope) for text in texts],
                )
            try:
                self.memory.add(messages, user_id=scope)
                found = self.memory.get_all(filters={"user_id": scope}, top_k=1000)["results"]
            finally:
                self.memory.delete_all(user_id=scope)
        return [(ours.get(item["id"], item["id"]), item["memory"]) for item in found]


def _payload(text: str, scope: str) -> dict[str, Any]:
    """What Mem0 stores with a memory it adds itself (its hash lets it skip duplicates)."""
    return {"data": text, "hash": hashlib.md5(text.encode()).hexdigest(), "user_id": scope}


def _import_mem0() -> Any:
    """Import Mem0 with telemetry off and its settings folder (``MEM0_DIR``, written on import)
    in a temporary folder removed right after, unless the user set one."""
    os.environ["MEM0_TELEMETRY"] = "False"
    folder = None
    if "mem0.memory.main" not in sys.modules and "MEM0_DIR" not in os.environ:
        folder = str(owned_folder("mem0-settings"))
        os.environ["MEM0_DIR"] = folder
    try:
        import mem0.memory.main as mem0_main
        import mem0.memory.telemetry as mem0_telemetry
    finally:
        if folder is not None:
            del os.environ["MEM0_DIR"]
            shutil.rmtree(folder, ignore_errors=True)
    mem0_telemetry.MEM0_TELEMETRY = False  # in case Mem0 was imported earlier with it on
    mem0_main.MEM0_TELEMETRY = False
    return mem0_main


def _build_memory(model: str, folder: str, embedder: str | None, temperature: float | None):
    _peer.register_providers()
    mem0_main = _import_mem0()
    ours = _Mem0Embedder(embedder)
    config = {
        "llm": {"provider": "litellm", "config": {"model": model, "temperature": temperature}},
        # A placeholder Mem0 can build without network or key; replaced by ours right after.
        "embedder": {"provider": "openai",
                     "config": {"api_key": "unused", "embedding_dims": ours.dims}},
        "vector_store": {
            "provider": "qdrant",
            "config": {"path": os.path.join(folder, "qdrant"), "collection_name": "memories",
                       "embedding_model_dims": ours.dims, "on_disk": True},
        },
        "history_db_path": os.path.join(folder, "history.db"),
    }  # fmt: skip
    memory = mem0_main.Memory.from_config(config)
    memory.embedding_model = ours
    return memory


class _Mem0Embedder:
    """This project's embedder behind Mem0's ``EmbeddingBase`` interface."""

    def __init__(self, name: str | None) -> None:
        from harness.models.embeddings import get_embedder

        self.embedder = get_embedder(name)
        self.name = self.embedder.name
        self.dims = self.embedder.dims

    def embed(self, text: str, memory_action: str | None = None) -> list[float]:
        return self.embedder.embed([text])[0].tolist()

    def embed_batch(self, texts: list[str], memory_action: str = "add") -> list[list[float]]:
        return [vector.tolist() for vector in self.embedder.embed(list(texts))]


SYSTEM = Mem0System
