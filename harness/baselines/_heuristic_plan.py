"""The heuristic baseline's decisions, as pure functions over texts and similarities.

Given the statements and forget requests read from a conversation (:mod:`._heuristic`), the
existing memories and the cosine similarities between them, :func:`plan` decides what to insert,
update and delete; :func:`statement_value` turns a statement into a value of the memory schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

__all__ = [
    "FORGET_THRESHOLD",
    "UPDATE_THRESHOLD",
    "Decision",
    "choose_schema",
    "plan",
    "same_text",
    "statement_value",
]

UPDATE_THRESHOLD = 0.55
"""Cosine at or above which a statement updates an existing memory of the same kind."""

FORGET_THRESHOLD = 0.45
"""Cosine at or above which a forget request deletes a memory (every such memory)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """One planned change; ``statement``, ``memory``, ``forget`` index :func:`plan`'s inputs."""

    op: Literal["insert", "update", "delete"]
    statement: int | None = None
    memory: int | None = None
    forget: int | None = None
    similarity: float | None = None


def same_text(a: str, b: str) -> bool:
    """Equal up to case, punctuation and spacing: a restatement, not a change."""
    return _norm(a) == _norm(b)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def plan(
    statements: Sequence[str],
    forgets: Sequence[str | None],
    memories: Sequence[str],
    statement_sims: Sequence[Sequence[float]],
    forget_sims: Sequence[Sequence[float]],
    *,
    updatable: Sequence[bool] | None = None,
    update_threshold: float = UPDATE_THRESHOLD,
    forget_threshold: float = FORGET_THRESHOLD,
    inserts: bool = True,
    updates: bool = True,
    deletes: bool = True,
) -> list[Decision]:
    """Deletes, then updates, then inserts.

    1. A forget request deletes every memory whose similarity to its target is at least
       ``forget_threshold`` (a request without target deletes every memory).
    2. A statement equal to a live memory's text (:func:`same_text`) is already known: nothing.
    3. Statements and live, ``updatable`` (same-kind) memories at similarity >= ``update_threshold``
       are paired one-to-one, most similar pair first; each pair is an update.
    4. Every other statement is an insert. With updates disabled, a statement that would have
       been an update is dropped rather than inserted as a near-duplicate.
    """
    updatable = [True] * len(memories) if updatable is None else list(updatable)
    decisions: list[Decision] = []
    deleted: set[int] = set()
    for f, target in enumerate(forgets if deletes else ()):
        for m in range(len(memories)):
            sim = None if target is None else float(forget_sims[f][m])
            if m in deleted or (sim is not None and sim < forget_threshold):
                continue
            deleted.add(m)
            decisions.append(Decision("delete", memory=m, forget=f, similarity=sim))
    live = [m for m in range(len(memories)) if m not in deleted]
    known = {
        s for s, text in enumerate(statements) if any(same_text(text, memories[m]) for m in live)
    }
    pairs = sorted(
        (
            (-float(statement_sims[s][m]), s, m)
            for s in range(len(statements))
            for m in live
            if s not in known and updatable[m] and statement_sims[s][m] >= update_threshold
        ),
    )
    paired_statements: set[int] = set()
    paired_memories: set[int] = set()
    for negative, s, m in pairs:
        if s in paired_statements or m in paired_memories:
            continue
        paired_statements.add(s)
        paired_memories.add(m)
        if updates:
            decisions.append(Decision("update", statement=s, memory=m, similarity=-negative))
    if inserts:
        decisions.extend(
            Decision("insert", statement=s)
            for s in range(len(statements))
            if s not in known and s not in paired_statements
        )
    return decisions


# --- schemas -------------------------------------------------------------------------------------

STATEMENT_FIELDS = (
    "content",
    "statement",
    "fact",
    "preference",
    "memory",
    "text",
    "note",
    "description",
    "summary",
    "title",
    "details",
)
"""Field names that can hold a whole statement, in order of preference."""

LABEL_FIELDS = frozenset({"category", "type", "kind", "topic", "area"})
"""Fields filled with ``"general"`` when a statement is mapped onto a structured schema."""


def statement_value(
    schema: type[BaseModel], text: str, base: BaseModel | None = None
) -> BaseModel | None:
    """``text`` as a ``schema`` value, or None when the schema has no place for a statement.

    The statement goes into the first field named in :data:`STATEMENT_FIELDS`; required label
    fields (:data:`LABEL_FIELDS`) get ``"general"``, other required string fields ``""``.
    Updating (``base`` given) keeps the other fields of the memory being updated. A schema with a
    required field that is not a string cannot be filled and gives None.
    """
    fields = schema.model_fields
    target = next((name for name in STATEMENT_FIELDS if name in fields), None)
    if target is None or fields[target].annotation is not str:
        return None
    values: dict[str, Any]
    if base is not None and isinstance(base, schema):
        values = base.model_dump()
    else:
        values = {}
        for name, info in fields.items():
            if name == target or not info.is_required():
                continue
            if info.annotation is not str:
                return None
            values[name] = "general" if name in LABEL_FIELDS else ""
    values[target] = text
    try:
        return schema.model_validate(values)
    except ValidationError:
        return None


def choose_schema(schemas: Sequence[type[BaseModel]]) -> type[BaseModel] | None:
    """The schema statements are written in: ``Memory`` if offered, else the first that fits."""
    for schema in schemas:
        if schema.__name__ == "Memory":
            return schema
    for schema in schemas:
        if statement_value(schema, "probe") is not None:
            return schema
    return None
