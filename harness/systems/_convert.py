"""What another memory system returned, as this project's changes: pure functions over plain data.

Three shapes are understood, each against the memories the system was shown (``entries``):

Each takes the returned value and a :class:`Shown`: the memories shown, their schemas, the seed
of inserted ids and the name errors give the returned value.

- **operations** (:func:`changes_from_ops`): ``{"op": "insert", "content": ...}``,
  ``{"op": "update", "id": ..., "content": ...}``, ``{"op": "delete", "id": ...}`` (an optional
  ``kind`` names the schema; ``source`` lists message ids), or :class:`MemoryOperation` records;
- **the new state** (:func:`changes_from_state`): every memory the system keeps, as a mapping
  ``id -> content`` or ``(id, content)`` pairs; a shown memory that is missing was deleted, a
  changed one updated, an unknown id is an insert;
- **changed memories, LangMem style** (:func:`changes_from_memories`): ``(id, content)`` pairs
  of the memories a call inserted or updated, ``RemoveDoc`` content for deletions; memories not
  listed are unchanged.

The last two carry no operation, so the operations are derived by diffing against ``entries``.
Inserted memories always get ids derived from the call's input (the system's own keys for new
memories are not store ids), so a rerun gives the same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from harness.errors import ConfigurationError
from harness.memory._apply import Change
from harness.memory._existing import ID_NAMESPACE, Entry, _typed
from harness.memory.schemas import MemoryOperation, RemoveDoc

__all__ = [
    "Shown",
    "changes_from_memories",
    "changes_from_ops",
    "changes_from_state",
    "is_operation_list",
    "new_id",
]

_OPS = ("insert", "update", "delete", "none")


def new_id(seed: str, n: int, text: str) -> str:
    """The id of the ``n``-th memory a call inserts (stable for the same input)."""
    return str(uuid.uuid5(ID_NAMESPACE, f"system:{seed}:{n}:{text}"))


def is_operation_list(value: Any) -> bool:
    """True for a list of operation records (mappings with ``op``, or MemoryOperation)."""
    if isinstance(value, Mapping | str | bytes) or not isinstance(value, Sequence) or not value:
        return False
    return all(
        isinstance(item, MemoryOperation) or (isinstance(item, Mapping) and "op" in item)
        for item in value
    )


@dataclass(frozen=True)
class Shown:
    """What one call of another system was shown, and how its answer is keyed and named."""

    entries: Sequence[Entry]
    """The memories shown (their ids are the ones the answer may refer to)."""
    schemas: Mapping[str, type[BaseModel]]
    seed: str
    """Inserted memories get ids derived from it (see :func:`new_id`)."""
    where: str
    """What errors call the returned value."""

    def by_id(self) -> dict[str, Entry]:
        return {entry.id: entry for entry in self.entries}


def changes_from_ops(ops: Sequence[Any], shown: Shown) -> list[Change]:
    """Changes for explicit operation records; errors name ``where`` and the record's index."""
    by_id = shown.by_id()
    changes: list[Change] = []
    for index, raw in enumerate(ops):
        here = f"{shown.where}[{index}]"
        op = _op_fields(raw, here)
        kind = op.get("kind")
        if op["op"] == "none":
            continue
        if op["op"] == "insert":
            value = _value(kind, op.get("content"), here, shown.schemas)
            inserted = new_id(shown.seed, len(changes), _text(value))
            changes.append(Change("insert", inserted, type(value).__name__, value, 1, op["source"]))
            continue
        id_ = op.get("id")
        if not isinstance(id_, str) or not id_:
            raise ConfigurationError(f"{here}: {op['op']} needs the 'id' of a memory")
        base = by_id.get(id_)
        if base is None:
            raise ConfigurationError(f"{here}: no memory {id_!r} was shown to the system")
        if op["op"] == "delete":
            changes.append(Change("delete", id_, base.kind, None, 1, op["source"]))
            continue
        value = _value(kind or base.kind, op.get("content"), here, shown.schemas)
        changes.append(Change("update", id_, type(value).__name__, value, 1, op["source"]))
    return changes


def changes_from_state(state: Mapping[str, Any] | Iterable[Any], shown: Shown) -> list[Change]:
    """Changes that turn the shown entries into ``state`` (the whole new state of those
    memories)."""
    pairs = _pairs(state, shown.where)
    changes = _diff(pairs, shown)
    kept = {id_ for id_, _ in pairs}
    for entry in shown.entries:
        if entry.id not in kept:
            changes.append(Change("delete", entry.id, entry.kind, None, 1, ()))
    return changes


def changes_from_memories(memories: Iterable[Any], shown: Shown) -> list[Change]:
    """Changes for LangMem-style results: changed memories only, ``RemoveDoc`` for deletions."""
    pairs = _pairs(memories, shown.where)
    by_id = shown.by_id()
    deleted: list[Change] = []
    kept: list[tuple[str, Any]] = []
    for id_, content in pairs:
        if isinstance(content, RemoveDoc):
            target = content.json_doc_id or id_
            entry = by_id.get(target)
            if entry is None:
                raise ConfigurationError(
                    f"{shown.where}: no memory {target!r} was shown to the system"
                )
            deleted.append(Change("delete", target, entry.kind, None, 1, ()))
        else:
            kept.append((id_, content))
    return _diff(kept, shown) + deleted


def _diff(pairs: Sequence[tuple[str, Any]], shown: Shown) -> list[Change]:
    by_id = shown.by_id()
    changes: list[Change] = []
    for index, (id_, content) in enumerate(pairs):
        base = by_id.get(id_)
        here = f"{shown.where}[{index}]"
        entry = _typed(id_, base.kind if base else None, content, here, shown.schemas)
        if entry is None:
            continue
        if base is None:
            new = new_id(shown.seed, len(changes), _text(entry.value))
            changes.append(Change("insert", new, entry.kind, entry.value, 1, ()))
        elif entry.content != base.content:
            changes.append(Change("update", id_, entry.kind, entry.value, 1, ()))
    return changes


def _pairs(value: Any, where: str) -> list[tuple[str, Any]]:
    """``(id, content)`` pairs of a mapping, of pairs, or of ExtractedMemory-like tuples."""
    if isinstance(value, Mapping):
        return [(str(key), content) for key, content in value.items()]
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ConfigurationError(
            f"{where}: expected memories as a mapping id -> content or (id, content) pairs, "
            f"got {type(value).__name__}"
        )
    pairs = []
    for index, item in enumerate(value):
        if isinstance(item, tuple | list) and len(item) >= 2 and isinstance(item[0], str):
            pairs.append((item[0], item[1]))
        else:
            raise ConfigurationError(
                f"{where}[{index}]: expected an (id, content) pair, got {type(item).__name__}"
            )
    return pairs


def _op_fields(raw: Any, where: str) -> dict[str, Any]:
    if isinstance(raw, MemoryOperation):
        content = raw.after if raw.op in ("insert", "update") else None
        return {"op": raw.op, "id": raw.id, "kind": raw.kind, "content": content,
                "source": tuple(raw.source)}  # fmt: skip
    unknown = set(raw) - {"op", "id", "kind", "content", "source"}
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key(s) {sorted(unknown)}; an operation has op, id, content, "
            "and optionally kind and source"
        )
    if raw.get("op") not in _OPS:
        raise ConfigurationError(f"{where}: op must be one of {', '.join(_OPS)}, got {raw['op']!r}")
    source = raw.get("source") or ()
    if isinstance(source, str):
        source = (source,)
    return {**raw, "source": tuple(str(item) for item in source)}


def _value(
    kind: str | None, content: Any, where: str, schemas: Mapping[str, type[BaseModel]]
) -> BaseModel:
    if content is None:
        raise ConfigurationError(f"{where}: an insert or update needs 'content'")
    entry = _typed("new", kind, content, where, schemas)
    if entry is None:
        raise ConfigurationError(f"{where}: content must be a memory, not a RemoveDoc")
    return entry.value


def _text(value: BaseModel) -> str:
    return value.model_dump_json()
