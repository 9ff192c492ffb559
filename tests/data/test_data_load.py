"""Loading valid files: models, content hash, splits and selections."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from harness.data import load_dataset, split_for_id, split_of
from harness.data.models import Case
from harness.errors import DatasetError

# The hash of tests/data/samples/hash_reference.jsonl. If this changes, the canonical form changed:
# bump HASH_VERSION in harness/data/_lines.py, since every recorded run refers to the old value.
REFERENCE_HASH = "803cad02f2bfae936bc48223cd1181892620eeb22397ae8e3666b924e4d071d9"
SAMPLES = Path(__file__).parent / "samples"


def test_valid_file_loads_every_case(write_jsonl, case_factory) -> None:
    path = write_jsonl(
        ["// a comment line", case_factory("a"), "", "   // indented comment", case_factory("b")]
    )
    dataset = load_dataset(path)
    assert [case.id for case in dataset] == ["a", "b"]
    assert len(dataset) == 2
    assert dataset.lines == {"a": 2, "b": 5}
    case = dataset.case("b")
    assert isinstance(case, Case)
    assert case.sessions[0].expected[0].target == "m1"
    assert case.sessions[0].expected[1].optional is True
    assert dataset.schemas.names == ["Memory"]
    assert dataset.source_hash == dataset.content_hash
    with pytest.raises(KeyError, match="no case with id 'zz'"):
        dataset.case("zz")


def test_design_example_with_structured_header_schema(write_jsonl, case_factory) -> None:
    header = {
        "header": {
            "description": "tasks",
            "schemas": {
                "Task": {
                    "type": "object",
                    "description": "A task the user must do.",
                    "properties": {
                        "title": {"type": "string"},
                        "due": {"type": "string"},
                        "priority": {"type": "integer", "enum": [1, 2, 3]},
                    },
                    "required": ["title"],
                    "additionalProperties": False,
                }
            },
        }
    }
    good = case_factory(
        "task-1",
        schema="Task",
        existing=[{"id": "m1", "content": {"title": "file taxes", "priority": 2}}],
        sessions=[
            {
                "messages": [{"id": "t1", "role": "user", "content": "Taxes are due May 1."}],
                "expected": [
                    {"op": "update", "id": "m1", "content": {"title": "file taxes", "due": "May 1"}}
                ],
            }
        ],
        queries=[],
    )
    dataset = load_dataset(write_jsonl([header, good]))
    assert dataset.header is not None and dataset.header.description == "tasks"
    assert dataset.schemas.names == ["Memory", "Task"]
    task = dataset.schemas.model("Task")
    assert task.__doc__ == "A task the user must do."
    assert task(title="x").priority is None
    assert dataset.schemas.json_schema("Task")["required"] == ["title"]

    bad = json.loads(json.dumps(good))
    bad["id"] = "task-2"
    bad["existing"][0]["content"] = {"title": "file taxes", "priority": 5, "owner": "me"}
    with pytest.raises(DatasetError) as caught:
        load_dataset(write_jsonl([header, good, bad], name="bad.jsonl"))
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "existing[0].content: Additional properties are not allowed ('owner' was unexpected)",
        "existing[0].content.priority: 5 is not one of [1, 2, 3]",
    ]


def test_schemas_py_next_to_the_file_is_used(tmp_path: Path, write_jsonl, case_factory) -> None:
    (tmp_path / "schemas.py").write_text(
        "from pydantic import BaseModel\n"
        "class Pref(BaseModel):\n"
        "    category: str\n"
        "    preference: str\n"
        "SCHEMAS = {'Pref': Pref}\n"
    )
    content = {"category": "ui", "preference": "dark mode"}
    case = case_factory("p1", schema="Pref", existing=[], queries=[])
    case["sessions"][0]["expected"] = [{"op": "insert", "ref": "g1", "content": content}]
    dataset = load_dataset(write_jsonl([case]))
    assert dataset.schemas.names == ["Memory", "Pref"]
    assert dataset.schemas.model("Pref").__name__ == "Pref"


def test_broken_schemas_py_is_a_clear_error(tmp_path: Path, write_jsonl, case_factory) -> None:
    path = write_jsonl([case_factory("a")])
    (tmp_path / "schemas.py").write_text("SCHEMAS = {'X': 1}\n")
    with pytest.raises(DatasetError, match=r"schemas.py: SCHEMAS\['X'\] is not a pydantic model"):
        load_dataset(path)
    (tmp_path / "schemas.py").write_text("def broken(:\n")
    with pytest.raises(DatasetError, match=r"schemas\.py: import failed: SyntaxError"):
        load_dataset(path)
    (tmp_path / "schemas.py").write_text("NOTHING = 1\n")
    with pytest.raises(DatasetError, match=r"schemas\.py: defines no SCHEMAS dict"):
        load_dataset(path)


def test_memory_content_may_be_string_or_object(write_jsonl, case_factory) -> None:
    case = case_factory("m", existing=[{"id": "m1", "content": {"content": "User prefers light"}}])
    assert load_dataset(write_jsonl([case])).cases[0].existing[0].content == {
        "content": "User prefers light"
    }
    case["existing"][0]["content"] = {"text": "User prefers light"}
    with pytest.raises(DatasetError) as caught:
        load_dataset(write_jsonl([case], name="bad.jsonl"))
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "existing[0].content.text: unknown field (Memory has: content)",
        "existing[0].content.content: missing required field",
    ]


def test_update_of_a_ref_from_an_earlier_session_and_queries_on_refs(
    write_jsonl, case_factory
) -> None:
    case = case_factory(
        "chain",
        existing=[],
        sessions=[
            {
                "messages": [{"id": "t1", "role": "user", "content": "My exam is on Tuesday."}],
                "expected": [
                    {"op": "insert", "ref": "exam", "content": "User has an exam Tuesday"}
                ],
            },
            {
                "messages": [{"id": "t2", "role": "user", "content": "It moved to Friday."}],
                "expected": [
                    {
                        "op": "update",
                        "ref": "exam",
                        "content": "User's exam is Friday",
                        "require": ["Friday"],
                        "forbid": ["Tuesday"],
                        "source": ["t1", "t2"],
                    }
                ],
            },
            {
                "messages": [{"id": "t3", "role": "user", "content": "Nice weather."}],
                "expected": [],
            },
        ],
        queries=[{"query": "When is the exam?", "relevant": ["exam"], "relevant_messages": ["t2"]}],
    )
    dataset = load_dataset(write_jsonl([case]))
    assert [len(s.expected) for s in dataset.cases[0].sessions] == [1, 1, 0]


# --- content hash -------------------------------------------------------------------------


def test_hash_ignores_formatting_key_order_comments_and_case_order(
    write_jsonl, case_factory
) -> None:
    a, b = case_factory("a"), case_factory("b", tags=["other"])
    plain = load_dataset(write_jsonl([a, b], name="plain.jsonl")).content_hash
    reordered_keys = {key: a[key] for key in reversed(list(a))}
    pretty = [
        "// heading",
        json.dumps(b, indent=None, separators=(" , ", " : ")),
        "",
        json.dumps(reordered_keys, ensure_ascii=True),
    ]
    assert load_dataset(write_jsonl(pretty, name="pretty.jsonl")).content_hash == plain
    assert len(plain) == 64 and int(plain, 16) >= 0


def test_hash_changes_with_any_value(write_jsonl, case_factory) -> None:
    base = load_dataset(write_jsonl([case_factory("a")], name="base.jsonl")).content_hash
    changed = case_factory("a")
    changed["sessions"][0]["expected"][0]["forbid"] = ["light", "pale"]
    other = load_dataset(write_jsonl([changed], name="changed.jsonl")).content_hash
    assert other != base
    header = {"header": {"description": "same cases, new header"}}
    with_header = write_jsonl([header, case_factory("a")], name="header.jsonl")
    assert load_dataset(with_header).content_hash not in (base, other)


def test_hash_reference_value_is_stable_and_follows_the_documented_definition() -> None:
    path = SAMPLES / "hash_reference.jsonl"
    dataset = load_dataset(path)
    assert dataset.content_hash == REFERENCE_HASH

    def canonical(value: object) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    header, cases = records[0]["header"], records[1:]
    case_hashes = sorted(hashlib.sha256(canonical(case)).hexdigest() for case in cases)
    text = b"memory-harness-dataset-v1\nheader:" + canonical(header)
    text += b"".join(b"\n" + h.encode() for h in case_hashes)
    assert hashlib.sha256(text).hexdigest() == REFERENCE_HASH
    assert dataset.case_hashes == {
        case["id"]: hashlib.sha256(canonical(case)).hexdigest() for case in cases
    }


def test_selection_hash_equals_the_hash_of_a_file_holding_just_those_cases(
    write_jsonl, case_factory
) -> None:
    cases = [case_factory(f"c{n}", tags=["even" if n % 2 == 0 else "odd"]) for n in range(6)]
    full = load_dataset(write_jsonl(cases, name="full.jsonl"))
    even = full.select(tags=["even"])
    alone = load_dataset(write_jsonl(cases[0::2], name="even.jsonl"))
    assert [c.id for c in even] == ["c0", "c2", "c4"]
    assert even.content_hash == alone.content_hash != full.content_hash
    assert even.source_hash == full.content_hash
    assert even.selection == {"tags": ["even"]}


# --- splits and selection -----------------------------------------------------------------


def test_split_by_id_is_fixed_and_roughly_60_20_20() -> None:
    assert [split_for_id(f"case-{n}") for n in range(8)] == [
        "train",
        "dev",
        "train",
        "train",
        "dev",
        "dev",
        "train",
        "test",
    ]
    counts = Counter(split_for_id(f"id-{n}") for n in range(20_000))
    assert abs(counts["train"] / 20_000 - 0.6) < 0.02
    assert abs(counts["dev"] / 20_000 - 0.2) < 0.02
    assert abs(counts["test"] / 20_000 - 0.2) < 0.02


def test_split_field_overrides_the_hash(write_jsonl, case_factory) -> None:
    hashed = split_for_id("pinned")
    forced = "test" if hashed != "test" else "train"
    dataset = load_dataset(write_jsonl([case_factory("pinned", split=forced), case_factory("x")]))
    assert split_of(dataset.case("pinned")) == forced
    assert [c.id for c in dataset.split(forced)] == ["pinned"] + (
        ["x"] if split_for_id("x") == forced else []
    )
    assert sum(dataset.split_counts().values()) == 2


def test_select_by_tags_ids_and_limit(write_jsonl, case_factory) -> None:
    cases = [case_factory(f"c{n}", tags=[f"t{n % 3}", "all"]) for n in range(9)]
    dataset = load_dataset(write_jsonl(cases))
    assert [c.id for c in dataset.select(tags=["t1", "t2"], limit=3)] == ["c1", "c2", "c4"]
    assert [c.id for c in dataset.select(exclude_tags=["t0", "t1"])] == ["c2", "c5", "c8"]
    assert [c.id for c in dataset.select(ids=["c7", "c3"])] == ["c3", "c7"]
    assert len(dataset.select(limit=0)) == 0
    splits = [dataset.split(name) for name in ("train", "dev", "test")]
    assert sorted(c.id for part in splits for c in part) == sorted(c["id"] for c in cases)
    with pytest.raises(DatasetError, match="no case with id nope"):
        dataset.select(ids=["nope"])
    with pytest.raises(DatasetError, match="unknown split 'val'"):
        dataset.select(split="val")  # type: ignore[arg-type]
