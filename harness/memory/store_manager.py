"""``create_memory_store_manager``: a memory manager that reads and writes a store by itself.

One call retrieves the memories related to the conversation from the namespace (see
:mod:`harness.memory._retrieval`), lets an extractor decide what changes, applies the changes to the
store in one batch, runs the configured phases the same way, and reports every operation.

The extractor is anything with ``async ainvoke({"messages", "existing"[, "max_steps"]})``
returning an :class:`~harness.memory.manager.ExtractionResult`: an LLM
:class:`~harness.memory.manager.MemoryManager` (what :func:`create_memory_store_manager` builds from
a model) or a non-LLM baseline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from harness._async import run_sync
from harness.errors import ConfigurationError
from harness.memory._namespace import NamespaceTemplate
from harness.memory._prompt import DEFAULT_INSTRUCTIONS, normalise_messages
from harness.memory._retrieval import Retrieval, retrieve
from harness.memory._store_call import (
    REVIEW_MESSAGE,
    Call,
    StoreManagerResult,
    read_input,
    with_ids,
)
from harness.memory._store_options import (
    Extractor,
    MemoryPhase,
    checked,
    is_extractor,
    phase_extractor,
    resolve_query_model,
    resolve_retrieval,
    resolve_schemas,
)
from harness.memory._writes import Stored, StoreOperation, to_memory
from harness.memory.manager import create_memory_manager
from harness.memory.schemas import Memory
from harness.memory.store.base import BaseStore, Item, SearchMode
from harness.models.protocol import ChatModel

__all__ = [
    "DEFAULT_NAMESPACE",
    "Extractor",
    "MemoryPhase",
    "MemoryStoreManager",
    "Retrieval",
    "StoreManagerResult",
    "StoreOperation",
    "create_memory_store_manager",
]

logger = logging.getLogger(__name__)

DEFAULT_NAMESPACE: tuple[str, ...] = ("memories", "{langgraph_user_id}")

Default = str | dict[str, Any] | BaseModel


class MemoryStoreManager:
    """Keeps the memories of one namespace per call up to date; see the module docstring.

    Build it with :func:`create_memory_store_manager`, or directly around any extractor:
    ``MemoryStoreManager(extractor, store=..., namespace=("memories", "{user_id}"))``.
    """

    def __init__(
        self,
        extractor: Extractor,
        *,
        store: BaseStore | None = None,
        namespace: Sequence[str] = DEFAULT_NAMESPACE,
        schemas: Sequence[type[BaseModel]] | None = None,
        default: Default | None = None,
        default_factory: Callable[[dict[str, Any]], Default] | None = None,
        enable_inserts: bool = True,
        enable_deletes: bool = False,
        query_model: str | ChatModel | None = None,
        query_limit: int = 5,
        retrieval: Retrieval | Mapping[str, Any] | str | None = None,
        phases: Sequence[MemoryPhase | Mapping[str, Any]] | None = None,
    ) -> None:
        if not isinstance(extractor, Extractor):
            raise ConfigurationError(
                "extractor must have an async ainvoke(input) method, got "
                f"{type(extractor).__name__}"
            )
        self.extractor = extractor
        self.store = store
        self.template = NamespaceTemplate.parse(namespace)
        self.schemas = resolve_schemas(schemas, extractor)
        if default is not None and default_factory is not None:
            raise ConfigurationError("give default or default_factory, not both")
        if default_factory is not None and not callable(default_factory):
            raise ConfigurationError("default_factory must be callable: config -> default value")
        self.default = None if default is None else to_memory(default, self.schemas, "default")
        self.default_factory = default_factory
        self.enable_inserts = enable_inserts
        self.enable_deletes = enable_deletes
        if isinstance(query_limit, bool) or not isinstance(query_limit, int) or query_limit < 1:
            raise ConfigurationError(f"query_limit must be a positive integer, got {query_limit!r}")
        self.query_limit = query_limit
        self.retrieval = resolve_retrieval(retrieval, query_model)
        self.query_model = resolve_query_model(query_model, self.retrieval, extractor)
        self.phases = tuple(checked(MemoryPhase, p) for p in phases or ())
        self._phase_extractors = tuple(phase_extractor(extractor, p) for p in self.phases)

    def __repr__(self) -> str:
        return (
            f"MemoryStoreManager(extractor={self.extractor!r}, namespace={self.template.labels!r}, "
            f"schemas={list(self.schemas)})"
        )

    # -- the call ------------------------------------------------------------------------------

    def invoke(
        self, input: Any, config: Mapping[str, Any] | None = None, *, store: BaseStore | None = None
    ) -> StoreManagerResult:
        """Sync twin of :meth:`ainvoke`."""
        return run_sync(self.ainvoke(input, config, store=store))

    async def ainvoke(
        self, input: Any, config: Mapping[str, Any] | None = None, *, store: BaseStore | None = None
    ) -> StoreManagerResult:
        """Update the namespace's memories from ``input["messages"]``; report what changed.

        ``config["configurable"]`` fills the namespace template; ``store`` (else the manager's
        own) is where memories live; ``input["max_steps"]`` is passed on to the extractor.
        """
        messages, max_steps, date = read_input(input)
        turns = normalise_messages(messages)
        messages = with_ids(messages)
        store = self._store(store)
        namespace = self.template.fill(config)
        found = await retrieve(
            store,
            namespace,
            turns,
            retrieval=self.retrieval,
            query_limit=self.query_limit,
            query_model=self.query_model,
            schemas=self.schemas,
        )
        call = Call(store, namespace, turns, found, self.schemas, date)
        if found.empty and (self.default is not None or self.default_factory is not None):
            await call.write_default(self._default_value(config))
        extra: dict[str, Any] = {} if max_steps is None else {"max_steps": max_steps}
        if date is not None:
            extra["date"] = date
        allow = (self.enable_inserts, self.enable_deletes)
        await call.stage("extract", self.extractor, messages, extra, allow)
        stages = zip(self.phases, self._phase_extractors, strict=True)
        for number, (phase, extractor) in enumerate(stages, 1):
            shown = messages if phase.include_messages else [dict(REVIEW_MESSAGE)]
            allow = (phase.enable_inserts, phase.enable_deletes)
            await call.stage(f"phase-{number}", extractor, shown, extra, allow)
        return call.result()

    # -- direct access to the namespace ---------------------------------------------------------

    async def asearch(
        self,
        *,
        query: str | None = None,
        filter: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        mode: SearchMode | None = None,
        config: Mapping[str, Any] | None = None,
        store: BaseStore | None = None,
    ) -> list[Item]:
        """Search the namespace (and namespaces below it); ``mode`` defaults to retrieval's."""
        return await self._store(store).asearch(
            self.template.fill(config),
            query=query,
            filter=filter,
            limit=limit,
            offset=offset,
            mode=mode or self.retrieval.mode,
        )

    async def aget(
        self, key: str, config: Mapping[str, Any] | None = None, *, store: BaseStore | None = None
    ) -> Item | None:
        return await self._store(store).aget(self.template.fill(config), key)

    async def aput(
        self,
        key: str,
        value: Default,
        config: Mapping[str, Any] | None = None,
        *,
        store: BaseStore | None = None,
    ) -> None:
        """Store ``value`` (a string, a model or a dict, checked against the schemas) at ``key``."""
        kind, content = to_memory(value, self.schemas, f"put({key!r})")
        namespace = self.template.fill(config)
        await self._store(store).aput(namespace, key, Stored(key, kind, content).value())

    async def adelete(
        self, key: str, config: Mapping[str, Any] | None = None, *, store: BaseStore | None = None
    ) -> None:
        await self._store(store).adelete(self.template.fill(config), key)

    def search(
        self,
        *,
        query: str | None = None,
        filter: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        mode: SearchMode | None = None,
        config: Mapping[str, Any] | None = None,
        store: BaseStore | None = None,
    ) -> list[Item]:
        """Sync twin of :meth:`asearch`."""
        return run_sync(self.asearch(query=query, filter=filter, limit=limit, offset=offset,
                                     mode=mode, config=config, store=store))  # fmt: skip

    def get(
        self, key: str, config: Mapping[str, Any] | None = None, *, store: BaseStore | None = None
    ) -> Item | None:
        return run_sync(self.aget(key, config, store=store))

    def put(
        self,
        key: str,
        value: Default,
        config: Mapping[str, Any] | None = None,
        *,
        store: BaseStore | None = None,
    ) -> None:
        return run_sync(self.aput(key, value, config, store=store))

    def delete(
        self, key: str, config: Mapping[str, Any] | None = None, *, store: BaseStore | None = None
    ) -> None:
        return run_sync(self.adelete(key, config, store=store))

    # -- helpers ---------------------------------------------------------------------------------

    def _store(self, store: BaseStore | None) -> BaseStore:
        chosen = store if store is not None else self.store
        if chosen is None:
            raise ConfigurationError(
                "the store manager has no store: pass create_memory_store_manager(..., "
                "store=...) or ainvoke(..., store=...) (as ReflectionExecutor(manager, "
                "store=...) does)"
            )
        if not isinstance(chosen, BaseStore):
            raise ConfigurationError(f"store must be a BaseStore, got {type(chosen).__name__}")
        return chosen

    def _default_value(self, config: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
        if self.default is not None:
            return self.default
        assert self.default_factory is not None
        full = {**(config or {}), "configurable": dict((config or {}).get("configurable") or {})}
        return to_memory(self.default_factory(full), self.schemas, "default_factory(config)")


def create_memory_store_manager(
    model: str | ChatModel | Extractor,
    /,
    *,
    schemas: Sequence[type[BaseModel]] | None = None,
    instructions: str = DEFAULT_INSTRUCTIONS,
    default: Default | None = None,
    default_factory: Callable[[dict[str, Any]], Default] | None = None,
    enable_inserts: bool = True,
    enable_deletes: bool = False,
    query_model: str | ChatModel | None = None,
    query_limit: int = 5,
    namespace: Sequence[str] = DEFAULT_NAMESPACE,
    store: BaseStore | None = None,
    phases: Sequence[MemoryPhase | Mapping[str, Any]] | None = None,
    retrieval: Retrieval | Mapping[str, Any] | str | None = None,
) -> MemoryStoreManager:
    """A store manager around an LLM memory manager built from ``model`` (or around ``model``
    itself when it is already an extractor, such as a baseline or a configured
    :class:`~harness.memory.manager.MemoryManager`).

    Memories live in ``store`` under ``namespace``, whose ``{fields}`` are filled from
    ``config["configurable"]`` on each call. ``docs/library/store-manager.md`` covers retrieval,
    defaults, phases and the result.
    """
    if is_extractor(model):
        if instructions != DEFAULT_INSTRUCTIONS:
            raise ConfigurationError(
                "instructions configure an LLM manager; set them on the extractor you passed"
            )
        extractor: Extractor = model  # type: ignore[assignment]
    else:
        extractor = create_memory_manager(
            model,  # type: ignore[arg-type]
            schemas=schemas or (Memory,),
            instructions=instructions,
            enable_inserts=enable_inserts,
            enable_updates=True,
            enable_deletes=enable_deletes,
        )
    return MemoryStoreManager(
        extractor,
        store=store,
        namespace=namespace,
        schemas=schemas,
        default=default,
        default_factory=default_factory,
        enable_inserts=enable_inserts,
        enable_deletes=enable_deletes,
        query_model=query_model,
        query_limit=query_limit,
        retrieval=retrieval,
        phases=phases,
    )
