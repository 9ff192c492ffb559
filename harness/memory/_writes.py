"""How memories look in the store, and the pure planning of the writes one extraction causes.

A memory is stored as ``{"kind": <schema name>, "content": <dict>, "source": [message ids]}``,
plus ``"date"``: the data time of the conversation that last wrote it (the session date given
to the store manager, not the wall clock), when one was given. ``source`` lists only the
messages the extractor cited; a write citing none has no sources.
:func:`plan_stage` turns an extractor's operations into store writes and explicit
:class:`StoreOperation` records, enforcing the store manager's own flags (so an injected
extractor cannot insert or delete when that is switched off) and reporting each operation by what
it really did to the store (an "update" of a key that does not exist is an insert).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.errors import ConfigurationError
from harness.memory._existing import format_validation_error
from harness.memory.schemas import Memory, MemoryOperation, RejectedCall

logger = logging.getLogger(__name__)

Namespace = tuple[str, ...]
PutEntry = tuple[Namespace, str, dict[str, Any] | None]


class StoreOperation(MemoryOperation):
    """A :class:`MemoryOperation` applied to the store: ``id`` is the item key.

    ``namespace`` is where it was written; ``stage`` says which part of the call did it:
    ``"default"`` (the configured default value), ``"extract"`` (the main extraction) or
    ``"phase-N"`` (the N-th phase, counting from 1).
    """

    namespace: tuple[str, ...]
    stage: str = "extract"


@dataclass(frozen=True, slots=True)
class Stored:
    """A memory as the store manager works with it: key, schema name, content, provenance."""

    key: str
    kind: str
    content: dict[str, Any]
    source: tuple[str, ...] = ()
    date: str | None = None

    def value(self) -> dict[str, Any]:
        value = {"kind": self.kind, "content": self.content, "source": list(self.source)}
        if self.date is not None:
            value["date"] = self.date
        return value


@dataclass(frozen=True, slots=True)
class StagePlan:
    """One stage's writes (a ``None`` value deletes), operations, refusals and resulting state."""

    writes: tuple[PutEntry, ...]
    operations: tuple[StoreOperation, ...]
    rejected: tuple[RejectedCall, ...]
    state: Mapping[str, Stored]


def to_memory(
    value: Any, schemas: Mapping[str, type[BaseModel]], where: str
) -> tuple[str, dict[str, Any]]:
    """``(kind, content)`` for a user-given value: a string (a ``Memory``), a model, or a dict.

    A dict is either content for the only schema, or a stored value ``{"kind", "content"}``.
    """
    if isinstance(value, BaseModel):
        kind = type(value).__name__
        if kind not in schemas:
            raise ConfigurationError(f"{where}: {kind} is not one of the schemas {sorted(schemas)}")
        return kind, value.model_dump(mode="json")
    if isinstance(value, str):
        if "Memory" not in schemas:
            raise ConfigurationError(
                f"{where}: a string is a Memory, but the schemas are {sorted(schemas)}; "
                "give an instance of one of them"
            )
        return "Memory", Memory(content=value).model_dump(mode="json")
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{where}: expected a string, a pydantic model or a dict, got {type(value).__name__}"
        )
    if "kind" in value and "content" in value:
        kind, content = value["kind"], value["content"]
    elif len(schemas) == 1:
        kind, content = next(iter(schemas)), value
    else:
        raise ConfigurationError(
            f"{where}: with several schemas a dict must be {{'kind': ..., 'content': ...}} "
            "(or pass a model instance)"
        )
    parsed = parse_content(kind, content, schemas)
    if isinstance(parsed, str):
        raise ConfigurationError(f"{where}: {parsed}")
    return kind, parsed


def parse_content(
    kind: Any, content: Any, schemas: Mapping[str, type[BaseModel]]
) -> dict[str, Any] | str:
    """Validated JSON content, or a string saying why it does not fit the schemas."""
    schema = schemas.get(kind) if isinstance(kind, str) else None
    if schema is None:
        return f"kind {kind!r} is not one of the schemas {sorted(schemas)}"
    if isinstance(content, str) and schema is Memory:
        content = {"content": content}
    if not isinstance(content, Mapping):
        return f"content must be a dict, got {type(content).__name__}"
    try:
        return schema.model_validate(dict(content)).model_dump(mode="json")
    except ValidationError as exc:
        return f"content does not match {kind}: {format_validation_error(exc)}"


def read_stored(
    key: str, value: Mapping[str, Any], schemas: Mapping[str, type[BaseModel]]
) -> Stored | str:
    """The memory an item holds, or a string saying why it is not one the manager can use."""
    kind = value.get("kind")
    if kind is None and len(schemas) == 1:
        kind = next(iter(schemas))
    parsed = parse_content(kind, value.get("content", value), schemas)
    if isinstance(parsed, str):
        return parsed
    assert isinstance(kind, str)  # parse_content accepts only a schema's name
    source = value.get("source")
    return Stored(
        key, kind, parsed, tuple(source) if isinstance(source, list) else (), _date(value)
    )


def _date(value: Mapping[str, Any]) -> str | None:
    date = value.get("date")
    return date if isinstance(date, str) else None


def raw_stored(key: str, value: Mapping[str, Any]) -> Stored:
    """An item's memory without validation (a target the extractor named that was not shown)."""
    content = value.get("content", value)
    kind = value.get("kind")
    return Stored(
        key,
        kind if isinstance(kind, str) else "",
        dict(content) if isinstance(content, Mapping) else {"content": content},
        tuple(value.get("source") or ()),
        _date(value),
    )


def plan_stage(
    namespace: Namespace,
    state: Mapping[str, Stored],
    operations: Sequence[MemoryOperation],
    *,
    stage: str,
    allow_inserts: bool,
    allow_deletes: bool,
    message_ids: Collection[str],
    schemas: Mapping[str, type[BaseModel]],
    date: str | None = None,
) -> StagePlan:
    """Apply ``operations`` to ``state`` in order; ``state`` must hold every key they target.

    Written content is validated against ``schemas``; sources not among ``message_ids`` are
    dropped (none are invented: a write citing no message has no sources). ``date`` is the data
    time recorded on every written memory.
    """
    current = dict(state)
    writes: list[PutEntry] = []
    done: list[StoreOperation] = []
    rejected: list[RejectedCall] = []
    for op in operations:
        if op.op == "none":
            continue
        before = current.get(op.id)
        refusal = _refusal(op, before, allow_inserts, allow_deletes)
        content = None
        if refusal is None and op.op != "delete":
            content = parse_content(op.kind, op.after, schemas)
            refusal = content if isinstance(content, str) else None
        if refusal is not None:
            rejected.append(_rejected(op, refusal))
            logger.info("store manager refused %s of %r: %s", op.op, op.id, refusal)
            continue
        source = tuple(dict.fromkeys(s for s in op.source if s in message_ids))
        if op.op == "delete":
            assert before is not None
            del current[op.id]
            writes.append((namespace, op.id, None))
            done.append(_record(namespace, "delete", op, before, None, source, stage))
            continue
        assert isinstance(content, dict)
        after = current[op.id] = Stored(op.id, op.kind, content, source, date)
        writes.append((namespace, op.id, after.value()))
        kind = "insert" if before is None else "update"
        done.append(_record(namespace, kind, op, before, after, source, stage))
    return StagePlan(tuple(writes), tuple(done), tuple(rejected), current)


def _refusal(
    op: MemoryOperation, before: Stored | None, allow_inserts: bool, allow_deletes: bool
) -> str | None:
    if op.op == "delete":
        if not allow_deletes:
            return "deletes are disabled"
        return None if before is not None else f"no memory with key {op.id!r}"
    if op.after is None:
        return f"{op.op} of {op.id!r} has no content"
    if before is None and not allow_inserts:
        return "inserts are disabled" if op.op == "insert" else f"no memory with key {op.id!r}"
    return None


def _rejected(op: MemoryOperation, reason: str) -> RejectedCall:
    arguments = {"id": op.id, "kind": op.kind, "content": op.after}
    return RejectedCall(name=op.op, arguments=arguments, reason=reason, step=op.step)


def _record(
    namespace: Namespace,
    op: str,
    given: MemoryOperation,
    before: Stored | None,
    after: Stored | None,
    source: tuple[str, ...],
    stage: str,
) -> StoreOperation:
    return StoreOperation(
        op=op,  # type: ignore[arg-type]
        id=given.id,
        kind=after.kind if after is not None else before.kind if before is not None else given.kind,
        before=before.content if before is not None else None,
        after=after.content if after is not None else None,
        step=given.step,
        source=list(source),
        namespace=namespace,
        stage=stage,
    )


def net_operations(operations: Sequence[StoreOperation]) -> list[StoreOperation]:
    """One operation per memory for a whole call: its state before the call against after it.

    A memory inserted and deleted within the call is left out (its versions stay in the store's
    history); one changed and changed back is reported as an update.
    """
    by_key: dict[tuple[Namespace, str], list[StoreOperation]] = {}
    for op in operations:
        by_key.setdefault((op.namespace, op.id), []).append(op)
    net: list[StoreOperation] = []
    for ops in by_key.values():
        first, last = ops[0], ops[-1]
        if first.before is None and last.after is None:
            continue
        if first.before is None:
            kind = "insert"
        elif last.after is None:
            kind = "delete"
        else:
            kind = "update"
        sources = dict.fromkeys(s for op in ops for s in op.source)
        net.append(
            last.model_copy(update={"op": kind, "before": first.before, "source": list(sources)})
        )
    return net
