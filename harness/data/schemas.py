"""The structured memory schemas a dataset may name, from three places.

1. the built-in ``Memory`` (content is a plain string, or ``{"content": "..."}``);
2. the ``SCHEMAS`` dict of a ``schemas.py`` next to the dataset file (Python code: it is imported);
3. JSON Schemas in the dataset's header line ``{"header": {"schemas": {"Name": {...}}}}``.

A name may be defined once. Every entry is reachable as a pydantic model (``registry.model(name)``)
so a runner can hand it to a memory manager; content is checked with ``registry.validate``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.data._errors import json_type, problems_from
from harness.data._jsonschema_model import model_from_json_schema
from harness.data._lines import iter_records
from harness.errors import DatasetError
from harness.memory.schemas import Memory

SCHEMAS_FILE = "schemas.py"
_MODULE_CACHE: dict[tuple[str, int, int], dict[str, type[BaseModel]]] = {}


class SchemaRegistry:
    """Name -> schema, with one way to validate content whatever the schema came from."""

    def __init__(
        self,
        models: Mapping[str, type[BaseModel]],
        json_schemas: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self._models = dict(models)
        self._json_schemas = dict(json_schemas or {})
        self._validators: dict[str, Any] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self._models)

    def __contains__(self, name: object) -> bool:
        return name in self._models

    def __repr__(self) -> str:
        return f"SchemaRegistry({', '.join(self.names)})"

    def model(self, name: str) -> type[BaseModel]:
        """The pydantic model for ``name`` (built from the JSON Schema for header schemas)."""
        try:
            return self._models[name]
        except KeyError:
            raise KeyError(self.unknown(name)) from None

    def models(self) -> dict[str, type[BaseModel]]:
        return dict(self._models)

    def json_schema(self, name: str) -> dict[str, Any]:
        """The JSON Schema of ``name``: as declared in the header, else derived from the model."""
        return self._json_schemas.get(name) or self.model(name).model_json_schema()

    def unknown(self, name: str) -> str:
        return f"unknown schema '{name}' (known: {', '.join(self.names)})"

    def validate(self, name: str, content: Any) -> list[tuple[str, str]]:
        """``(path inside content, reason)`` for everything wrong with ``content`` as ``name``."""
        if name not in self._models:
            return [("", self.unknown(name))]
        if isinstance(content, str):
            if name == "Memory":
                return []
            return [("", f"schema '{name}' needs an object, got a string")]
        if name in self._json_schemas:
            return self._validate_json_schema(name, content)
        return _validate_model(self._models[name], content)

    def _validate_json_schema(self, name: str, content: Any) -> list[tuple[str, str]]:
        validator = self._validators.get(name)
        if validator is None:
            from jsonschema.validators import validator_for

            schema = self._json_schemas[name]
            validator = self._validators[name] = validator_for(schema)(schema)
        problems = []
        for error in sorted(validator.iter_errors(content), key=lambda e: list(e.absolute_path)):
            problems.append((_json_path(error.absolute_path), error.message))
        return problems


def _validate_model(model: type[BaseModel], content: Any) -> list[tuple[str, str]]:
    if not isinstance(content, dict):
        return [("", f"should be an object, got {json_type(content)}")]
    problems: list[tuple[str, str]] = []
    if model.model_config.get("extra") != "forbid":
        known = [info.alias or name for name, info in model.model_fields.items()]
        for key in content:
            if key not in known:
                problems.append((key, f"unknown field ({model.__name__} has: {', '.join(known)})"))
    try:
        model.model_validate_json(json.dumps(content), strict=True)
    except ValidationError as error:
        problems.extend(problems_from(error, model))
    return problems


def _json_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def builtin_models() -> dict[str, type[BaseModel]]:
    return {"Memory": Memory}


def build_registry(
    dataset_path: Path, header_schemas: Mapping[str, Any] | None = None
) -> tuple[SchemaRegistry, list[tuple[str, str]]]:
    """The registry for a dataset, and ``(field path, reason)`` problems of its header schemas.

    A broken ``schemas.py`` raises :class:`DatasetError` at once: nothing can be checked without it.
    """
    models = builtin_models()
    for name, model in _module_schemas(Path(dataset_path).parent / SCHEMAS_FILE).items():
        if name in models and models[name] is not model:
            raise DatasetError(
                f"{Path(dataset_path).parent / SCHEMAS_FILE}: SCHEMAS['{name}'] redefines the "
                "built-in schema; give yours another name"
            )
        models[name] = model
    problems: list[tuple[str, str]] = []
    json_schemas: dict[str, dict[str, Any]] = {}
    for name, schema in (header_schemas or {}).items():
        path = f"header.schemas.{name}"
        problem = _check_json_schema(name, schema, models)
        if problem:
            problems.append((path, problem))
            continue

        models[name] = model_from_json_schema(name, schema)
        json_schemas[name] = schema
    return SchemaRegistry(models, json_schemas), problems


def _check_json_schema(name: str, schema: Any, defined: Mapping[str, Any]) -> str | None:
    if name in defined:
        return f"schema '{name}' is already defined (by {_origin(defined[name])})"
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return "a schema must be a JSON Schema object with 'properties'"
    if schema.get("type", "object") != "object":
        return f"a schema must describe an object, not '{schema.get('type')}'"
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as error:
        where = _json_path(error.absolute_path)
        return f"invalid JSON Schema{f' at {where}' if where else ''}: {error.message}"
    return None


def _origin(model: type[BaseModel]) -> str:
    return "the harness" if model.__module__.startswith("harness.") else SCHEMAS_FILE


def load_schemas(dataset_path: str | Path) -> SchemaRegistry:
    """The registry a dataset file sees: built-ins, its ``schemas.py`` and its header schemas."""
    path = Path(dataset_path)
    header: dict[str, Any] = {}
    for record in iter_records(path):
        if isinstance(record.value, dict) and isinstance(record.value.get("header"), dict):
            header = record.value["header"].get("schemas") or {}
        break
    registry, problems = build_registry(path, header)
    if problems:
        raise DatasetError(
            f"{path}: invalid header schemas", [f"{path}:1: {p}: {r}" for p, r in problems]
        )
    return registry


def _module_schemas(path: Path) -> dict[str, type[BaseModel]]:
    """``SCHEMAS`` of the Python file at ``path`` (imported once per file version), or ``{}``."""
    if not path.is_file():
        return {}
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _MODULE_CACHE:
        _MODULE_CACHE[key] = _import_schemas(path, key[0])
    return _MODULE_CACHE[key]


def _import_schemas(path: Path, resolved: str) -> dict[str, type[BaseModel]]:
    digest = hashlib.sha256(resolved.encode()).hexdigest()[:12]
    name = f"_harness_dataset_schemas_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DatasetError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(name, None)
        raise DatasetError(f"{path}: import failed: {type(error).__name__}: {error}") from error
    schemas = getattr(module, "SCHEMAS", None)
    if not isinstance(schemas, dict):
        raise DatasetError(f"{path}: defines no SCHEMAS dict (name -> pydantic model)")
    for key, value in schemas.items():
        if not (isinstance(key, str) and isinstance(value, type) and issubclass(value, BaseModel)):
            raise DatasetError(f"{path}: SCHEMAS[{key!r}] is not a pydantic model class")
    return dict(schemas)
