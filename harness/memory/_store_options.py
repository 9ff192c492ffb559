"""The options of a store manager that need checking or resolving once, when it is built."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import ConfigurationError
from harness.memory._existing import format_validation_error
from harness.memory._retrieval import Retrieval
from harness.memory.manager import ExtractionResult, MemoryManager, create_memory_manager
from harness.memory.schemas import Memory
from harness.models import get_model
from harness.models.protocol import ChatModel

M = TypeVar("M", bound=BaseModel)


@runtime_checkable
class Extractor(Protocol):
    """What a store manager delegates decisions to: a ``MemoryManager`` or a baseline.

    ``input`` is ``{"messages": [...], "existing": [(key, kind, content), ...]}`` plus
    ``"max_steps"`` when the caller gave one; the result's ``operations`` (and, if present,
    ``rejected`` and ``usage``) are what the store manager reads.
    """

    async def ainvoke(self, input: Mapping[str, Any]) -> ExtractionResult: ...


class MemoryPhase(BaseModel):
    """A further pass over the memories after the main extraction, with its own instructions.

    Each phase sees the memories the call worked on (as the earlier stages left them) and, if
    ``include_messages``, the conversation; its changes are applied before the next phase runs.
    The flags govern the phase alone (a clean-up phase may delete although the main pass cannot).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    instructions: str = Field(min_length=1)
    include_messages: bool = True
    enable_inserts: bool = True
    enable_deletes: bool = False


def checked(model: type[M], value: Any) -> M:
    """``model.model_validate(value)``, failing as a ConfigurationError that names the fields."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise ConfigurationError(
            f"invalid {model.__name__}: {format_validation_error(exc)}"
        ) from exc


def resolve_schemas(schemas: Any, extractor: Any) -> dict[str, type[BaseModel]]:
    """The memory types by name: those given, else the extractor's, else ``Memory``.

    Given schemas must agree with an extractor that has its own, or it would be shown memories
    it cannot read.
    """
    if isinstance(schemas, type):
        schemas = (schemas,)
    own = getattr(extractor, "schemas", None)
    chosen = tuple(schemas or own or (Memory,))
    for schema in chosen:
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise ConfigurationError(f"schemas must be pydantic model classes, got {schema!r}")
    names = {schema.__name__: schema for schema in chosen}
    if own and schemas and set(names) != {schema.__name__ for schema in own}:
        raise ConfigurationError(
            f"schemas {sorted(names)} differ from the extractor's "
            f"{sorted(schema.__name__ for schema in own)}"
        )
    return names


def is_extractor(model: Any) -> bool:
    """True for an object to delegate to as it is (not a model string or chat model)."""
    return not isinstance(model, str | ChatModel) and isinstance(model, Extractor)


def resolve_retrieval(
    given: Retrieval | Mapping[str, Any] | str | None, query_model: Any
) -> Retrieval:
    """The retrieval settings: a name (``"conversation"``), a dict, a ``Retrieval`` or None.

    None means "query_model" when a query model is given, else "conversation"; naming another
    source together with a query model is a contradiction and an error.
    """
    if given is None:
        return Retrieval(source="query_model" if query_model is not None else "conversation")
    retrieval = checked(Retrieval, {"source": given} if isinstance(given, str) else given)
    if query_model is not None and retrieval.source != "query_model":
        raise ConfigurationError(
            f"query_model is set but the retrieval source is {retrieval.source!r}; "
            "drop one of them or use retrieval='query_model'"
        )
    return retrieval


def resolve_query_model(
    query_model: str | ChatModel | None, retrieval: Retrieval, extractor: Any
) -> ChatModel | None:
    """The model that writes search queries: the one given, else the extractor's own."""
    if retrieval.source != "query_model":
        return None
    if query_model is not None:
        return get_model(query_model)
    if isinstance(extractor, MemoryManager):
        return extractor.model
    raise ConfigurationError(
        "retrieval 'query_model' needs query_model=... (the extractor has no model to use)"
    )


def phase_extractor(extractor: Any, phase: MemoryPhase) -> MemoryManager:
    """The extractor's model and schemas with the phase's instructions and flags."""
    if not isinstance(extractor, MemoryManager):
        raise ConfigurationError(
            "phases run the LLM memory manager with other instructions, but the extractor is a "
            f"{type(extractor).__name__}, not a MemoryManager"
        )
    return create_memory_manager(
        extractor.model,
        schemas=extractor.schemas,
        instructions=phase.instructions,
        enable_inserts=phase.enable_inserts,
        enable_updates=True,
        enable_deletes=phase.enable_deletes,
        max_steps=extractor.max_steps,
        max_repairs=extractor.max_repairs,
        config=extractor.config,
    )
