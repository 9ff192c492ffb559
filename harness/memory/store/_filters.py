"""Filters on stored values: ``{"kind": "Memory", "content.category": {"$in": ["ui", "food"]}}``.

Keys are dotted paths into the value (``"content.category"`` is ``value["content"]["category"]``);
all conditions must hold. A condition is a plain value (exact match) or one operator dict:
``$eq``, ``$ne``, ``$in``, ``$nin``, ``$gt``, ``$gte``, ``$lt``, ``$lte``. A missing field counts
as ``None``; ordering comparisons between incomparable types are false.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import StoreError

_MISSING = None

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}
OPERATORS = frozenset({"$eq", "$ne", "$in", "$nin", *_COMPARE})


@dataclass(frozen=True)
class Condition:
    path: tuple[str, ...]
    op: str
    operand: Any


def compile_filter(filter: Mapping[str, Any] | None) -> list[Condition]:
    """Validate ``filter`` into conditions; raise StoreError naming a bad key or operator."""
    if not filter:
        return []
    if not isinstance(filter, Mapping):
        raise StoreError(f"filter must be a dict, got {type(filter).__name__}")
    conditions = []
    for key, spec in filter.items():
        if not isinstance(key, str) or not key or "" in key.split("."):
            raise StoreError(f"filter key {key!r} is not a dotted field path")
        path = tuple(key.split("."))
        if isinstance(spec, Mapping) and any(str(k).startswith("$") for k in spec):
            for op, operand in spec.items():
                conditions.append(Condition(path, _check_op(key, op, operand), operand))
        else:
            conditions.append(Condition(path, "$eq", spec))
    return conditions


def _check_op(key: str, op: Any, operand: Any) -> str:
    if op not in OPERATORS:
        supported = ", ".join(sorted(OPERATORS))
        raise StoreError(f"filter on {key!r}: unknown operator {op!r} (supported: {supported})")
    if op in ("$in", "$nin") and not isinstance(operand, list | tuple | set | frozenset):
        raise StoreError(f"filter on {key!r}: {op} needs a list, got {operand!r}")
    return op


def lookup(value: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    current: Any = value
    for part in path:
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def matches(value: Mapping[str, Any], conditions: list[Condition]) -> bool:
    """True when ``value`` satisfies every condition."""
    return all(_holds(lookup(value, c.path), c.op, c.operand) for c in conditions)


def _holds(actual: Any, op: str, operand: Any) -> bool:
    if op == "$eq":
        return actual == operand
    if op == "$ne":
        return actual != operand
    if op == "$in":
        return actual in list(operand)
    if op == "$nin":
        return actual not in list(operand)
    try:
        return bool(_COMPARE[op](actual, operand))
    except TypeError:
        return False


def kind_pushdown(conditions: list[Condition]) -> str | None:
    """SQL over the extracted ``kind`` column for conditions on a string ``kind``, else None.

    Only exact matches on strings are pushed down; every condition is still checked afterwards.
    """
    parts = []
    for c in conditions:
        if c.path != ("kind",):
            continue
        if c.op == "$eq" and isinstance(c.operand, str):
            parts.append(f"kind = {sql_str(c.operand)}")
        elif c.op == "$in" and c.operand and all(isinstance(v, str) for v in c.operand):
            parts.append(f"kind IN ({', '.join(sql_str(v) for v in sorted(c.operand))})")
    return " AND ".join(parts) or None


def sql_str(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
