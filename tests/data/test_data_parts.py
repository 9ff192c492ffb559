"""Smaller parts: error rendering, JSON-Schema models, the schema registry, pair files, exports."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import harness.data
import harness.data.importers
from harness.data import load_pairs, load_schemas, pair_stats
from harness.data._errors import problems_from, render_path
from harness.data._jsonschema_model import model_from_json_schema
from harness.data.models import Case, GoldOp
from harness.errors import DatasetError


def _problems(model: type[BaseModel], value: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(value, strict=True)
    return problems_from(caught.value, model)


def test_render_path() -> None:
    assert render_path(("sessions", 0, "expected", 1, "id")) == "sessions[0].expected[1].id"
    assert render_path(("require", 2, 0)) == "require[2][0]"
    assert render_path(()) == ""


def test_union_errors_fold_into_one_problem() -> None:
    op = {"op": "insert", "ref": "g", "content": 3, "require": [["a", "b"], 5, ["c", None]]}
    assert _problems(GoldOp, op) == [
        ("content", "should be a string or an object, got a number"),
        ("require[1]", "should be a string or a list of strings, got a number"),
        ("require[2][1]", "should be a string, got null"),
    ]


def test_model_rule_and_literal_messages() -> None:
    assert _problems(GoldOp, {"op": "delete", "id": "m", "ref": "g"}) == [
        ("", "a delete needs exactly one of 'id' or 'ref' as its target")
    ]
    assert _problems(GoldOp, {"op": "upsert", "ref": "g"}) == [
        ("op", "should be 'insert', 'update' or 'delete', got 'upsert'")
    ]
    session = {"messages": [], "partail": True}
    assert _problems(Case, {"id": "c", "sessions": [session]}) == [
        ("sessions[0].messages", "should not be empty"),
        ("sessions[0].partail", "unknown field (did you mean 'partial'?)"),
    ]


def test_model_from_json_schema_maps_types_and_requiredness() -> None:
    model = model_from_json_schema(
        "Trip",
        {
            "type": "object",
            "description": "A planned trip.",
            "properties": {
                "city": {"type": "string", "description": "Where to."},
                "nights": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "mode": {"enum": ["train", "plane"]},
                "budget": {"type": ["number", "null"]},
                "stay": {"type": "object", "properties": {"hotel": {"type": "string"}}},
            },
            "required": ["city", "nights"],
            "additionalProperties": False,
        },
    )
    trip = model(city="Oslo", nights=2, mode="train", stay={"hotel": "Grand"})
    assert trip.tags is None and trip.stay.hotel == "Grand"
    assert model.__doc__ == "A planned trip."
    assert model.model_fields["city"].description == "Where to."
    for bad in ({"city": "Oslo"}, {"city": "Oslo", "nights": 1, "mode": "car"}):
        with pytest.raises(ValidationError):
            model.model_validate(bad)
    with pytest.raises(ValidationError):
        model(city="Oslo", nights=1, extra=1)


def test_load_schemas_reads_header_and_schemas_py(tmp_path: Path) -> None:
    (tmp_path / "schemas.py").write_text(
        "from pydantic import BaseModel\n"
        "class Pet(BaseModel):\n    name: str\n"
        "SCHEMAS = {'Pet': Pet}\n"
    )
    header = {"header": {"schemas": {"Trip": {"type": "object", "properties": {}}}}}
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(header) + "\n")
    registry = load_schemas(path)
    assert registry.names == ["Memory", "Pet", "Trip"]
    assert registry.validate("Pet", {"name": 3}) == [("name", "should be a string, got a number")]
    assert registry.validate("Memory", "a plain string") == []
    unknown = "unknown schema 'Nope' (known: Memory, Pet, Trip)"
    assert registry.validate("Nope", {}) == [("", unknown)]
    with pytest.raises(KeyError, match="unknown schema 'Nope'"):
        registry.model("Nope")


def test_pair_file_checks_and_stats(tmp_path: Path) -> None:
    rows = [
        {"id": "p1", "a": "User prefers dark mode", "b": "User likes dark themes", "same": True,
         "require": ["dark"], "forbid": ["light"]},
        {"id": "p2", "a": "User prefers dark mode", "b": "User prefers light mode", "same": False,
         "require": ["dark"], "forbid": ["light"], "tags": ["changed-value"]},
        {"id": "p3", "a": "User lives in NYC", "b": "User lives in New York", "same": True,
         "require": ["NYC"]},
    ]  # fmt: skip
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    pairs = load_pairs(path)
    stats = pair_stats(pairs)
    assert (stats.pairs, stats.same, stats.different) == (3, 2, 1)
    assert stats.same_rejected_by_key_terms == 1  # p3: "New York" lacks the term "NYC"
    assert stats.different_caught_by_key_terms == 1  # p2
    assert stats.tags == {"changed-value": 1}

    rows[2]["require"] = ["Boston"]
    rows.append(dict(rows[0]))
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(DatasetError) as caught:
        load_pairs(path)
    assert caught.value.problems == [
        f"{path}:3: require[0]: the gold side 'a' lacks 'Boston'",
        f"{path}:4: id: duplicate pair id 'p1' (first at line 1)",
    ]


@pytest.mark.parametrize("package", [harness.data, harness.data.importers])
def test_every_exported_name_imports(package) -> None:
    fresh = importlib.import_module(package.__name__)
    for name in fresh.__all__:
        assert getattr(fresh, name) is not None, name
