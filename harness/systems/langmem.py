"""LangMem (``langmem``) as a system under test, on any litellm model via ``langchain-litellm``.

``harness run --system langmem -m MODEL`` replays the dataset through LangMem's own
``create_memory_manager`` with its default instructions, the run's schemas and
``enable_inserts``/``enable_updates``/``enable_deletes``, on ``ChatLiteLLM(model=MODEL)``. The
harness's store manager retrieves the memories it is shown, exactly as for this project's
manager, and applies its decisions to the run's store.

LangMem returns the memories it kept, changed or created (``RemoveDoc`` for deletions), not
operations: the operations are **derived by diffing** that list against the memories it was
shown (recorded as ``operations: diffed``). Its model calls bypass the harness's response cache
and usage accounting (tokens and cost show as unknown). Install with
``pip install 'memory-harness[langmem]'``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from harness.memory._existing import Entry
from harness.memory._prompt import Turn
from harness.memory.manager import ExtractionResult
from harness.memory.schemas import Memory, RemoveDoc
from harness.systems import _convert, _peer
from harness.systems.custom import AdaptedSystem, OpsSource

__all__ = ["SYSTEM", "LangMemSystem", "missing_packages"]

PACKAGES = {"langmem": "langmem", "langchain_litellm": "langchain-litellm"}


def missing_packages() -> list[str]:
    return _peer.missing(PACKAGES)


class LangMemSystem(AdaptedSystem):
    """LangMem's memory manager on a litellm model, adapted (see the module docstring)."""

    operations: OpsSource = "diffed"
    usage_known = False
    """It calls its model itself: runs record its tokens, cost and calls as unknown (n/a)."""

    def __init__(
        self,
        model: str,
        schemas: tuple[type[BaseModel], ...] = (Memory,),
        *,
        enable_inserts: bool = True,
        enable_updates: bool = True,
        enable_deletes: bool = True,
        temperature: float | None = 0.0,
    ) -> None:
        super().__init__(schemas, label="langmem")
        _peer.register_providers()
        from langchain_litellm import ChatLiteLLM

        with warnings.catch_warnings():
            # trustcall (LangMem's extractor) imports langgraph's Send the old way: a warning
            # about a third party's import that the user can do nothing about
            warnings.filterwarnings("ignore", message="Importing Send from langgraph.constants")
            from langmem import create_memory_manager
            from langmem.knowledge.extraction import Memory as LangMemMemory

        self.model = model
        chat = ChatLiteLLM(model=model, temperature=temperature)
        offered = [LangMemMemory if schema is Memory else schema for schema in self.schemas]
        self.manager = create_memory_manager(
            chat,
            schemas=offered,
            enable_inserts=enable_inserts,
            enable_updates=enable_updates,
            enable_deletes=enable_deletes,
        )

    @classmethod
    def for_run(
        cls, model: str, schemas: tuple[type[BaseModel], ...], settings: Mapping[str, Any]
    ) -> LangMemSystem:
        return cls(model, schemas, **_peer.settings_for(settings))

    def __repr__(self) -> str:
        return f"LangMemSystem(model={self.model!r}, schemas=[{', '.join(self.schema_map)}])"

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "model": self.model,
            "instructions": "langmem default",
            "packages": _peer.versions(list(PACKAGES.values())),
        }

    async def _decide(
        self, turns: tuple[Turn, ...], entries: tuple[Entry, ...], date: str | None, seed: str
    ) -> ExtractionResult:
        request = {
            "messages": [{"role": turn.role, "content": turn.text} for turn in turns],
            "existing": [(entry.id, entry.kind, entry.content) for entry in entries],
        }
        returned = await self.manager.ainvoke(request)
        pairs = [(str(item.id), self._ours(item.content)) for item in returned]
        shown = _convert.Shown(entries, self.schema_map, seed, "langmem returned")
        changes = _convert.changes_from_memories(pairs, shown)
        return self.finish(entries, changes)

    def _ours(self, value: Any) -> Any:
        """LangMem's content as this project's types (its RemoveDoc and Memory are its own)."""
        name = type(value).__name__
        if name == "RemoveDoc":
            return RemoveDoc(json_doc_id=str(value.json_doc_id))
        schema = self.schema_map.get(name)
        if schema is None or not isinstance(value, BaseModel):
            return value
        return schema.model_validate(value.model_dump(mode="json"))


SYSTEM = LangMemSystem
