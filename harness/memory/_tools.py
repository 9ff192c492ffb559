"""The tools a memory manager offers the model, built once per manager from its schemas.

Every token here is sent on every call, so the JSON schemas are trimmed to what a model needs:
types, required fields, enums and the field descriptions the schema author wrote. Pydantic's
``title`` keys and similar decoration are dropped.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from harness.errors import ConfigurationError
from harness.models.types import ToolSpec

Action = Literal["insert", "update", "delete"]

ID_FIELD = "id"
SOURCES_FIELD = "sources"
DELETE_TOOL = "delete_memory"
_RESERVED = frozenset({ID_FIELD, SOURCES_FIELD})
_DROP_KEYS = frozenset({"title", "examples"})

_SOURCES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Ids of the messages it comes from.",
}


@dataclass(frozen=True, slots=True)
class ToolAction:
    """What calling one tool means: the action, and the schema it writes (None for deletes)."""

    name: str
    action: Action
    kind: str | None
    schema: type[BaseModel] | None


@dataclass(frozen=True, slots=True)
class Toolset:
    """Every tool a manager knows (``actions``) and the ones it offers the model (``specs``).

    Tools of disabled actions stay in ``actions`` so a call to one is rejected with a reason
    that says the action is disabled, rather than "unknown tool".
    """

    actions: Mapping[str, ToolAction]
    specs: tuple[ToolSpec, ...]
    offered: frozenset[str]
    schemas: Mapping[str, type[BaseModel]]

    def update_tool(self, kind: str) -> str | None:
        for action in self.actions.values():
            if action.action == "update" and action.kind == kind:
                return action.name
        return None


def snake_case(name: str) -> str:
    """``PreferenceMemory`` -> ``preference_memory``; ``HTTPRule`` -> ``http_rule``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"\W+", "_", name).strip("_").lower()


def build_toolset(
    schemas: Sequence[type[BaseModel]], *, inserts: bool, updates: bool, deletes: bool
) -> Toolset:
    """Tool specs for ``schemas`` and the enabled actions; raises ConfigurationError on misuse."""
    if not (inserts or updates or deletes):
        raise ConfigurationError(
            "enable_inserts, enable_updates and enable_deletes are all False: "
            "the manager could not change anything"
        )
    by_kind = _check_schemas(schemas)
    actions: dict[str, ToolAction] = {}
    specs: list[ToolSpec] = []
    offered: set[str] = set()
    for action, enabled in (("insert", inserts), ("update", updates)):
        for kind, schema in by_kind.items():
            name = f"{action}_{snake_case(kind)}"
            actions[name] = ToolAction(name, action, kind, schema)  # type: ignore[arg-type]
            if enabled:
                specs.append(_schema_tool(name, action, kind, schema))  # type: ignore[arg-type]
                offered.add(name)
    if DELETE_TOOL in actions:
        raise ConfigurationError(f"a schema's tool name collides with {DELETE_TOOL!r}")
    actions[DELETE_TOOL] = ToolAction(DELETE_TOOL, "delete", None, None)
    if deletes:
        specs.append(_delete_tool())
        offered.add(DELETE_TOOL)
    return Toolset(actions, tuple(specs), frozenset(offered), by_kind)


def _check_schemas(
    schemas: Sequence[type[BaseModel]] | type[BaseModel],
) -> dict[str, type[BaseModel]]:
    if isinstance(schemas, type):
        schemas = [schemas]
    if not schemas:
        raise ConfigurationError("schemas is empty: give at least one pydantic model class")
    by_kind: dict[str, type[BaseModel]] = {}
    names: dict[str, str] = {}
    for schema in schemas:
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise ConfigurationError(f"schemas must be pydantic model classes, got {schema!r}")
        kind = schema.__name__
        clash = _RESERVED.intersection(schema.model_fields)
        if clash:
            raise ConfigurationError(
                f"schema {kind} has a field named {sorted(clash)[0]!r}, which the update tool "
                "uses for itself; rename the field"
            )
        snake = snake_case(kind)
        if kind in by_kind or snake in names:
            raise ConfigurationError(
                f"two schemas map to the same tool names: {names.get(snake, kind)} and {kind}"
            )
        by_kind[kind] = schema
        names[snake] = kind
    return by_kind


def _schema_tool(name: str, action: Action, kind: str, schema: type[BaseModel]) -> ToolSpec:
    parameters = minimal_schema(schema.model_json_schema())
    parameters.pop("description", None)  # the docstring: already the tool description
    properties = dict(parameters.get("properties", {}))
    required = list(parameters.get("required", []))
    if action == "update":
        properties = {ID_FIELD: {"type": "string"}, **properties}
        required = [ID_FIELD, *required]
    properties[SOURCES_FIELD] = _SOURCES_SCHEMA
    parameters = {**parameters, "properties": properties, "required": required}
    return ToolSpec(name=name, description=_describe(action, kind, schema), parameters=parameters)


def _delete_tool() -> ToolSpec:
    return ToolSpec(
        name=DELETE_TOOL,
        description="Delete memory `id`: the user asked to forget it, or it is no longer true.",
        parameters={
            "type": "object",
            "properties": {ID_FIELD: {"type": "string"}},
            "required": [ID_FIELD],
        },
    )


def _describe(action: Action, kind: str, schema: type[BaseModel]) -> str:
    if action == "update":
        return f"Rewrite existing {kind} `id` with its full new content."
    doc = " ".join(inspect.cleandoc(schema.__doc__ or "").split())
    return doc or f"Save a new {kind}."


def minimal_schema(node: Any) -> Any:
    """A copy of a JSON schema without ``title``/``examples`` decoration (property names kept)."""
    if isinstance(node, list):
        return [minimal_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP_KEYS:
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {name: minimal_schema(sub) for name, sub in value.items()}
        else:
            out[key] = minimal_schema(value)
    return out
