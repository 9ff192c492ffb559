"""The oracle baseline's gold context, and the changes it makes, as plain data.

The oracle knows nothing by itself: whoever replays a case tells it which session is running,
either with ``with oracle_context(case, session_index): ...`` around the call (the way through a
store manager, which forwards only messages and existing memories) or by putting a
:class:`GoldContext` under the ``"gold"`` key of the input (direct calls).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from harness.data.models import Case, GoldOp
from harness.errors import ConfigurationError
from harness.memory._apply import Change
from harness.memory._existing import Entry, format_validation_error
from harness.memory.schemas import Memory
from harness.scoring.gold import GoldMemory, gold_states

__all__ = ["GoldContext", "current_gold", "gold_changes", "gold_value", "oracle_context"]


@dataclass(frozen=True)
class GoldContext:
    """What the oracle needs to replay one session of a labeled case.

    ``ops``: the session's gold ops. ``before``: the gold memories before the session (gold key
    -> memory), so an update or delete of a memory the caller did not pass as ``existing`` still
    knows its kind and content. ``schema``: the case's default kind. ``id_map``: gold key
    (existing id or insert ref) -> store id, for callers that keep memories under other ids;
    a key not in it is its own id. ``schemas``: schema name -> model for structured content.
    """

    ops: tuple[GoldOp, ...]
    before: Mapping[str, GoldMemory] = field(default_factory=dict)
    schema: str = "Memory"
    id_map: Mapping[str, str] = field(default_factory=dict)
    schemas: Mapping[str, type[BaseModel]] = field(default_factory=dict)

    @classmethod
    def for_session(
        cls,
        case: Case,
        session_index: int,
        *,
        id_map: Mapping[str, str] | None = None,
        schemas: Mapping[str, type[BaseModel]] | Sequence[type[BaseModel]] | None = None,
    ) -> GoldContext:
        if not 0 <= session_index < len(case.sessions):
            raise ConfigurationError(
                f"case {case.id!r} has {len(case.sessions)} session(s); no session {session_index}"
            )
        return cls(
            ops=tuple(case.sessions[session_index].expected),
            before=gold_states(case)[session_index].memories,
            schema=case.schema_,
            id_map=dict(id_map or {}),
            schemas=schema_map(schemas),
        )

    def store_id(self, key: str) -> str:
        return self.id_map.get(key, key)

    @property
    def kinds(self) -> set[str]:
        """Every kind the context mentions (ops, memories before, the default)."""
        kinds = {self.schema, *(memory.kind for memory in self.before.values())}
        return kinds | {op.kind for op in self.ops if op.kind}


_CURRENT: ContextVar[GoldContext | None] = ContextVar("harness_oracle_gold", default=None)


@contextmanager
def oracle_context(
    case: Case,
    session_index: int,
    *,
    id_map: Mapping[str, str] | None = None,
    schemas: Mapping[str, type[BaseModel]] | Sequence[type[BaseModel]] | None = None,
) -> Iterator[GoldContext]:
    """Within the block, the oracle replays session ``session_index`` of ``case``.

    The context is a context variable: it holds in this task and in tasks and threads started
    inside the block, so concurrent cases never see each other's gold.
    """
    context = GoldContext.for_session(case, session_index, id_map=id_map, schemas=schemas)
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


def current_gold() -> GoldContext | None:
    """The context set by the innermost enclosing :func:`oracle_context`, if any."""
    return _CURRENT.get()


def schema_map(
    schemas: Mapping[str, type[BaseModel]] | Sequence[type[BaseModel]] | type[BaseModel] | None,
) -> dict[str, type[BaseModel]]:
    if schemas is None:
        return {}
    if isinstance(schemas, Mapping):
        return dict(schemas)
    if isinstance(schemas, type):
        schemas = [schemas]
    return {schema.__name__: schema for schema in schemas}


@lru_cache(maxsize=256)
def _open_model(kind: str) -> type[BaseModel]:
    """A model named ``kind`` that takes any fields: structured content of an unknown schema."""
    return create_model(kind, __config__=ConfigDict(extra="allow"))


def gold_value(kind: str, content: Any, schemas: Mapping[str, type[BaseModel]]) -> BaseModel:
    """Gold content as a value of its schema (an open model named ``kind`` if none is known)."""
    if kind == "Memory" and "Memory" not in schemas:
        schema: type[BaseModel] = Memory
    else:
        schema = schemas.get(kind) or _open_model(kind)
    if isinstance(content, str):
        if schema is not Memory:
            raise ConfigurationError(f"gold content of kind {kind!r} must be an object: {content}")
        content = {"content": content}
    try:
        return schema.model_validate(content)
    except ValidationError as exc:
        raise ConfigurationError(
            f"gold content does not match schema {kind}: {format_validation_error(exc)}"
        ) from exc


def gold_changes(
    context: GoldContext,
    entries: Sequence[Entry],
    schemas: Mapping[str, type[BaseModel]],
    *,
    step: int = 1,
) -> tuple[list[Entry], dict[str, Entry], list[Change]]:
    """Apply the session's gold ops to ``entries``: (initial entries, final entries, changes).

    An update or delete whose target is not among ``entries`` takes its current value from
    ``context.before`` and is added to the initial entries, so its operation still says what it
    replaced. Inserts get the store id of their ref.
    """
    initial = list(entries)
    final = {entry.id: entry for entry in entries}
    changes: list[Change] = []
    for op in context.ops:
        id_ = context.store_id(op.target)
        sources = tuple(op.source)
        if op.op == "insert":
            value = gold_value(op.kind or context.schema, op.content, schemas)
            final[id_] = Entry.of(id_, value)
            changes.append(Change("insert", id_, final[id_].kind, value, step, sources))
            continue
        current = final.get(id_) or _from_before(context, op, id_, schemas, initial)
        if op.op == "delete":
            final.pop(id_, None)
            changes.append(Change("delete", id_, current.kind, None, step, sources))
            continue
        value = gold_value(op.kind or current.kind, op.content, schemas)
        final[id_] = Entry.of(id_, value)
        changes.append(Change("update", id_, final[id_].kind, value, step, sources))
    return initial, final, changes


def _from_before(
    context: GoldContext,
    op: GoldOp,
    id_: str,
    schemas: Mapping[str, type[BaseModel]],
    initial: list[Entry],
) -> Entry:
    memory = context.before.get(op.target)
    if memory is None:
        raise ConfigurationError(
            f"gold {op.op} targets {op.target!r} (store id {id_!r}), which is neither among the "
            "existing memories nor in the gold state before the session"
        )
    entry = Entry.of(id_, gold_value(memory.kind, memory.content, schemas))
    initial.append(entry)
    return entry
