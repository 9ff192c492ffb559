"""Turn the ``existing`` argument, in any of its forms, into typed entries with stable ids.

Accepted items: a string (a ``Memory``; its id is derived from the text, so the same text gets
the same id on every call), an ``(id, model)`` pair (``ExtractedMemory`` results passed back
included; deletions among them are skipped), an ``(id, kind, dict)`` triple (validated against
the schema named ``kind``) and a mapping ``{"id", "content", "kind"?}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.errors import ConfigurationError
from harness.memory.schemas import Memory, RemoveDoc

ID_NAMESPACE = uuid.UUID("5b0c7f4e-2d1a-4c53-9a53-6d2f4b8e9c11")
"""Namespace of every id the manager derives (string memories, inserted memories)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One live memory: its id, schema name, validated value and JSON form."""

    id: str
    kind: str
    value: BaseModel
    content: dict[str, Any]

    @classmethod
    def of(cls, id: str, value: BaseModel) -> Entry:
        return cls(id, type(value).__name__, value, value.model_dump(mode="json"))


def string_memory_id(text: str, occurrence: int = 0) -> str:
    """The stable id of a string memory; repeats of one text get one id per occurrence."""
    key = text if occurrence == 0 else f"{text}\x00{occurrence}"
    return str(uuid.uuid5(ID_NAMESPACE, key))


def format_validation_error(exc: ValidationError) -> str:
    """``field: reason`` for each problem, joined by ``; `` (short enough for a tool reply)."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(object)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def normalise_existing(
    existing: Iterable[Any] | None, schemas: Mapping[str, type[BaseModel]]
) -> tuple[Entry, ...]:
    """Entries for ``existing`` in the given order; ConfigurationError names any bad item."""
    if existing is None:
        return ()
    if isinstance(existing, str | bytes | Mapping) or not isinstance(existing, Iterable):
        raise ConfigurationError(
            f"existing must be a list of memories, got {type(existing).__name__}"
        )
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    text_counts: dict[str, int] = {}
    for position, item in enumerate(existing):
        entry = _entry(item, position, schemas, text_counts)
        if entry is None:
            continue
        if entry.id in seen:
            raise ConfigurationError(
                f"existing[{position}]: id {entry.id!r} is used twice "
                f"(also by existing[{seen[entry.id]}])"
            )
        seen[entry.id] = position
        entries.append(entry)
    return tuple(entries)


def _entry(
    item: Any, position: int, schemas: Mapping[str, type[BaseModel]], text_counts: dict[str, int]
) -> Entry | None:
    where = f"existing[{position}]"
    if isinstance(item, str):
        occurrence = text_counts.get(item, 0)
        text_counts[item] = occurrence + 1
        return Entry.of(string_memory_id(item, occurrence), Memory(content=item))
    if isinstance(item, Mapping):
        unknown = set(item) - {"id", "content", "kind"}
        if unknown or "id" not in item or "content" not in item:
            raise ConfigurationError(
                f"{where}: a mapping needs 'id' and 'content' (and optionally 'kind'), "
                f"got keys {sorted(item)}"
            )
        return _typed(item["id"], item.get("kind"), item["content"], where, schemas)
    if isinstance(item, tuple | list) and len(item) in (2, 3):
        if len(item) == 3:
            id_, kind, content = item
            if not isinstance(kind, str):
                raise ConfigurationError(f"{where}: the kind of a triple must be a schema name")
            return _typed(id_, kind, content, where, schemas)
        id_, content = item
        return _typed(id_, None, content, where, schemas)
    raise ConfigurationError(
        f"{where}: expected a string, an (id, model) pair or an (id, kind, dict) triple, "
        f"got {type(item).__name__}"
    )


def _typed(
    id_: Any, kind: str | None, content: Any, where: str, schemas: Mapping[str, type[BaseModel]]
) -> Entry | None:
    if not isinstance(id_, str) or not id_:
        raise ConfigurationError(f"{where}: the id must be a non-empty string, got {id_!r}")
    if isinstance(content, RemoveDoc):
        return None  # a deletion from an earlier result: the memory is gone
    if isinstance(content, BaseModel):
        if kind is not None and kind != type(content).__name__:
            raise ConfigurationError(
                f"{where} (id {id_!r}): kind {kind!r} does not match the {type(content).__name__} "
                "given as content"
            )
        return Entry.of(id_, content)
    if kind is None:
        kind = _default_kind(content, id_, where, schemas)
    schema = Memory if kind == "Memory" and "Memory" not in schemas else schemas.get(kind)
    if schema is None:
        raise ConfigurationError(
            f"{where} (id {id_!r}): unknown kind {kind!r}; the manager's schemas are "
            f"{sorted(schemas)}"
        )
    if isinstance(content, str) and schema is Memory:
        content = {"content": content}
    if not isinstance(content, Mapping):
        raise ConfigurationError(
            f"{where} (id {id_!r}): content must be a dict or a {kind}, got "
            f"{type(content).__name__}"
        )
    try:
        return Entry.of(id_, schema.model_validate(dict(content)))
    except ValidationError as exc:
        raise ConfigurationError(
            f"{where} (id {id_!r}): content does not match schema {kind}: "
            f"{format_validation_error(exc)}"
        ) from exc


def _default_kind(
    content: Any, id_: str, where: str, schemas: Mapping[str, type[BaseModel]]
) -> str:
    if isinstance(content, str):
        return "Memory"
    if len(schemas) == 1:
        return next(iter(schemas))
    raise ConfigurationError(
        f"{where} (id {id_!r}): the manager has several schemas; name the kind with an "
        "(id, kind, dict) triple"
    )
