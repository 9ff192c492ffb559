"""A pydantic model from a small JSON Schema, so header-declared schemas can drive a memory manager.

Only what memory schemas need is mapped: an object with typed properties (string, integer,
number, boolean, null, arrays, nested objects, ``enum``, ``anyOf``/``oneOf``/type lists) and
``required``. Anything else becomes ``Any``; dataset content itself is validated against the JSON
Schema with ``jsonschema``, so the mapping never decides whether a label is valid.
"""

from __future__ import annotations

from types import GenericAlias
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
}


def model_from_json_schema(name: str, schema: dict[str, Any]) -> type[BaseModel]:
    """Build a pydantic model named ``name`` whose fields mirror ``schema['properties']``."""
    required = set(schema.get("required", ()))
    fields: dict[str, Any] = {}
    for prop, spec in schema.get("properties", {}).items():
        spec = spec if isinstance(spec, dict) else {}
        annotation = _annotation(f"{name}_{prop}", spec)
        info = Field(description=spec.get("description"))
        if prop not in required:
            annotation = annotation | None
            info = Field(default=spec.get("default"), description=spec.get("description"))
        fields[prop] = (annotation, info)
    extra: Literal["forbid", "ignore"] = (
        "forbid" if schema.get("additionalProperties") is False else "ignore"
    )
    model = create_model(name, __config__=ConfigDict(extra=extra), **fields)
    model.__doc__ = schema.get("description") or f"A {name} memory."
    return model


def _annotation(name: str, spec: dict[str, Any]) -> Any:
    if spec.get("enum"):
        return Literal.__getitem__(tuple(spec["enum"]))  # a Literal built at run time
    for key in ("anyOf", "oneOf"):
        if isinstance(spec.get(key), list):
            members = [_annotation(name, s) for s in spec[key] if isinstance(s, dict)]
            return Union[tuple(members)] if members else Any  # noqa: UP007
    kind = spec.get("type")
    if isinstance(kind, list):
        members = [_annotation(name, {**spec, "type": k}) for k in kind]
        return Union[tuple(members)] if members else Any  # noqa: UP007
    if kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "array":
        items = spec.get("items")
        return (
            GenericAlias(list, (_annotation(name, items),))
            if isinstance(items, dict)
            else list[Any]
        )
    if kind == "object":
        if isinstance(spec.get("properties"), dict):
            return model_from_json_schema(name, spec)
        return dict[str, Any]
    return Any
