"""Every deliberately broken file is refused with the exact ``file:line: field: reason`` list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.data import load_dataset
from harness.errors import DatasetError

BROKEN = Path(__file__).parent / "broken"

# file -> every problem the loader must report, as "line: field.path: reason", in order.
EXPECTED: dict[str, list[str]] = {
    "bad_json.jsonl": [
        "2: invalid JSON at column 30: Expecting value",
        "3: invalid JSON at column 93: Extra data",
    ],
    "missing_field.jsonl": [
        "1: sessions: missing required field",
        "2: sessions[0].messages[0].content: missing required field",
    ],
    "wrong_type.jsonl": [
        "1: tags: should be a list, got a string",
        "2: sessions[0].messages[0].content: should be a string, got a number",
        "3: sessions[0].expected[0].optional: should be true or false, got a string",
        "4: existing[0].content: should be a string or an object, got a list",
        "5: sessions[0].expected[0].require[1][1]: should be a string, got a number",
    ],
    "unknown_field.jsonl": [
        "1: sessions[0].expectd: unknown field (did you mean 'expected'?)",
    ],
    "duplicate_case_id.jsonl": [
        "4: id: duplicate case id 'same' (first at line 1)",
    ],
    "duplicate_message_id.jsonl": [
        "1: sessions[1].messages[0].id: duplicate message id 't2' "
        "(first at sessions[0].messages[1].id)",
    ],
    "update_target_missing.jsonl": [
        "1: sessions[0].expected[0].id: no existing memory has id 'm9' (ids: m1)",
    ],
    "target_deleted_earlier.jsonl": [
        "1: sessions[1].expected[0].id: memory 'm1' was already deleted "
        "(at sessions[0].expected[0])",
    ],
    "depends_on_optional.jsonl": [
        "1: queries[0].relevant[0]: 'g1' is an optional insert (at sessions[0].expected[0].ref); "
        "a query cannot depend on a memory that need not exist",
        "2: sessions[1].expected[0].ref: ref 'g1' is an optional insert "
        "(at sessions[0].expected[0].ref); a later op cannot depend on a memory that need not "
        "exist",
    ],
    "ref_before_defined.jsonl": [
        "1: sessions[0].expected[0].ref: ref 'g1' is used before its insert "
        "(at sessions[1].expected[0].ref)",
        "2: sessions[0].expected[0].ref: no insert defines ref 'g7'",
    ],
    "same_session_change.jsonl": [
        "1: sessions[0].expected[1].ref: ref 'g1' is inserted in this same session "
        "(at sessions[0].expected[0].ref); a session can only change memories that exist when "
        "it starts",
        "2: sessions[0].expected[1].id: memory 'm1' already has an op in this session "
        "(at sessions[0].expected[0]); a session gives each memory at most one op",
    ],
    "duplicate_ref.jsonl": [
        "1: sessions[0].expected[1].ref: 'g1' is already used as a ref "
        "(at sessions[0].expected[0].ref)",
        "1: sessions[0].expected[2].ref: 'm1' is already the id of an existing memory "
        "(at existing[0].id)",
    ],
    "insert_without_ref.jsonl": [
        "1: sessions[0].expected[0]: an insert needs a 'ref' label",
    ],
    "source_later_session.jsonl": [
        "1: sessions[0].expected[0].source[1]: message 't2' is in a later session "
        "(sessions[1].messages[0].id)",
        "1: sessions[0].expected[0].source[2]: no message with id 't5' in this case",
    ],
    "query_relevant_unknown.jsonl": [
        "1: queries[0].relevant[1]: no existing memory id or insert ref 'm2'",
        "1: queries[1].relevant_messages[1]: no message with id 't9' in this case",
    ],
    "unknown_schema.jsonl": [
        "1: schema: unknown schema 'Preference' (known: Memory, PreferenceMemory)",
        "2: existing[0].kind: unknown schema 'Profile' (known: Memory, PreferenceMemory)",
    ],
    "structured_invalid.jsonl": [
        "1: existing[0].content.context: missing required field",
        "1: sessions[0].expected[0].content: schema 'PreferenceMemory' needs an object, "
        "got a string",
        "2: sessions[0].expected[0].content.mood: unknown field "
        "(PreferenceMemory has: category, preference, context)",
    ],
    "key_terms_contradict.jsonl": [
        "1: sessions[0].expected[0].require[0]: the op's own content lacks 'black' or 'night', "
        "so even a perfect prediction would fail",
        "1: sessions[0].expected[0].forbid[0]: the op's own content contains 'dark'",
        "2: sessions[0].expected[0].require[1]: empty key term",
        "2: sessions[0].expected[0].require[2]: empty key term",
        "2: sessions[0].expected[0].require[3]: empty key term",
        "2: sessions[0].expected[0].forbid[0]: empty key term",
    ],
    "header_not_first.jsonl": [
        "2: header: a header line must be the first line of the file",
    ],
    "bad_header_schema.jsonl": [
        "1: header.schemas.Task: invalid JSON Schema at properties.title.type: "
        "'text' is not valid under any of the given schemas",
        "1: header.schemas.Memory: schema 'Memory' is already defined (by the harness)",
    ],
}


def test_every_broken_file_has_expectations() -> None:
    on_disk = {path.name for path in BROKEN.glob("*.jsonl")} - {"pairs_in_case_file.jsonl"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_reports_exact_problems(name: str) -> None:
    path = BROKEN / name
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert caught.value.problems == [f"{path}:{problem}" for problem in EXPECTED[name]]
    count = len(EXPECTED[name])
    assert str(caught.value).startswith(
        f"{path}: {count} problem{'s' if count > 1 else ''}; nothing was loaded"
    )


def test_pair_file_given_as_cases_is_named() -> None:
    path = BROKEN / "pairs_in_case_file.jsonl"
    with pytest.raises(DatasetError, match=r"pairs_in_case_file.jsonl:1: this is a matcher-pair"):
        load_dataset(path)


def test_every_bad_line_is_reported_not_just_the_first(tmp_path: Path) -> None:
    session = {"messages": [{"id": "t", "role": "user", "content": "x"}]}
    lines = [json.dumps({"id": f"ok-{n}", "sessions": [session]}) for n in range(5)]
    lines[1] = '{"id": "bad-1"}'
    lines[3] = "not json"
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert caught.value.problems == [
        f"{path}:2: sessions: missing required field",
        f"{path}:4: invalid JSON at column 1: Expecting value",
    ]


def test_non_utf8_line_is_reported_with_its_line(tmp_path: Path) -> None:
    session = {"messages": [{"id": "t", "role": "user", "content": "x"}]}
    good = json.dumps({"id": "a", "sessions": [session]}).encode()
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(good + b"\n" + b'{"id": "caf\xe9"}\n')
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert caught.value.problems == [f"{path}:2: not valid UTF-8 at byte 12 of the line"]


def test_empty_and_missing_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n// only a comment\n\n")
    with pytest.raises(DatasetError, match="holds no cases"):
        load_dataset(empty)
    with pytest.raises(DatasetError, match="no such dataset file"):
        load_dataset(tmp_path / "absent.jsonl")


def test_top_level_value_must_be_an_object(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl"
    path.write_text("[1, 2]\n")
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert caught.value.problems == [f"{path}:1: should be an object, got a list"]
