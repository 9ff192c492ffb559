"""Turning pydantic validation errors into ``field.path: reason`` pairs a dataset author can act on.

Pydantic reports a value that fits no member of a union once per member, with the member's type
in the location (``content.str``, ``content.dict[str,any]``). Those are folded into one problem:
the member matching the value's JSON type explains itself, otherwise the allowed forms are listed.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Sequence
from typing import Any, cast

from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]

_TYPE_WORDS = {
    "string_type": "a string",
    "bool_type": "true or false",
    "int_type": "an integer",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def json_type(value: Any) -> str:
    """How a JSON author would name the type of ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def render_path(loc: Iterable[str | int]) -> str:
    """``("sessions", 0, "expected", 1, "id")`` -> ``sessions[0].expected[1].id``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@functools.cache
def field_names(*models: type[BaseModel]) -> frozenset[str]:
    """Every field name and alias of ``models`` and the models nested in them."""
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()
    todo = list(models)
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
            todo.extend(_nested_models(info.annotation))
    return frozenset(names)


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        found.extend(_nested_models(arg))
    return found


def problems_from(error: ValidationError, model: type[BaseModel]) -> list[tuple[str, str]]:
    """``(field path, reason)`` for every error of validating ``model``, unions folded."""
    errors = error.errors(include_url=False)
    for err in errors:
        if err["type"] == "extra_forbidden" and err["loc"]:
            err["ctx"] = {"known": _known_fields(model, err["loc"][:-1])}
    return _render(cast(list[dict[str, Any]], errors), field_names(model))


def _render(errors: Sequence[dict[str, Any]], fields: frozenset[str]) -> list[tuple[str, str]]:
    order: list[tuple[str, Any]] = []
    groups: dict[Loc, list[tuple[int, dict[str, Any]]]] = {}
    for err in errors:
        at = _tag_index(err, fields)
        if at is None:
            order.append(("problem", (render_path(err["loc"]), _reason(err))))
            continue
        prefix = tuple(err["loc"][:at])
        if prefix not in groups:
            groups[prefix] = []
            order.append(("union", prefix))
        groups[prefix].append((at, err))
    out: list[tuple[str, str]] = []
    for kind, item in order:
        if kind == "union":
            out.extend(_render_union(item, groups[item], fields))
        else:
            out.append(item)
    return out


def _tag_index(err: dict[str, Any], fields: frozenset[str]) -> int | None:
    """Position of the first union-member tag in the error's location, if any."""
    loc = err["loc"]
    last = len(loc) - 1
    for index, part in enumerate(loc):
        if not isinstance(part, str) or part in fields:
            continue
        if index == last and err["type"] == "extra_forbidden":
            return None
        return index
    return None


def _render_union(
    prefix: Loc, members: list[tuple[int, dict[str, Any]]], fields: frozenset[str]
) -> list[tuple[str, str]]:
    tags: dict[str, list[dict[str, Any]]] = {}
    value: Any = None
    for at, err in members:
        tag = str(err["loc"][at])
        stripped = {**err, "loc": err["loc"][:at] + err["loc"][at + 1 :]}
        tags.setdefault(tag, []).append(stripped)
        if len(err["loc"]) == at + 1:
            value = err.get("input")
    for tag, errs in tags.items():
        if _tag_matches(tag, value) and any(len(e["loc"]) > len(prefix) for e in errs):
            return _render(errs, fields)
    forms = " or ".join(dict.fromkeys(_tag_words(tag) for tag in tags))
    return [(render_path(prefix), f"should be {forms}, got {json_type(value)}")]


def _tag_matches(tag: str, value: Any) -> bool:
    kinds = {"str": str, "dict": dict, "list": list}
    for prefix, kind in kinds.items():
        if tag.startswith(prefix):
            return isinstance(value, kind)
    return False


def _tag_words(tag: str) -> str:
    if tag == "str":
        return "a string"
    if tag == "list[str]":
        return "a list of strings"
    if tag.startswith("list"):
        return "a list"
    if tag.startswith("dict"):
        return "an object"
    return tag


def _reason(err: dict[str, Any]) -> str:
    kind, msg, value = err["type"], err["msg"], err.get("input")
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1]) if err["loc"] else ""
        return "unknown field" + _suggestion(name, err)
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind in _TYPE_WORDS:
        return f"should be {_TYPE_WORDS[kind]}, got {json_type(value)}"
    if kind == "too_short" and isinstance(value, list | str) and not value:
        return "should not be empty"
    if kind == "literal_error":
        return f"{msg.removeprefix('Input ')}, got {_short(value)}"
    return msg.removeprefix("Input ")


def _known_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the model found at ``loc`` under ``model`` (empty when it cannot be told)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            args = getattr(current, "__args__", ())
            current = args[0] if args else None
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            nested = _nested_models(current)
            current = nested[0] if len(nested) == 1 else None
        if current is None:
            return []
        info = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if info is None:
            return []
        current = info.annotation
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        nested = _nested_models(current)
        current = nested[0] if len(nested) == 1 else None
    if current is None:
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _suggestion(name: str, err: dict[str, Any]) -> str:
    close = difflib.get_close_matches(name, err.get("ctx", {}).get("known", ()), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 40 else text[:37] + "..."
