"""Hostile dataset files: every one is refused with file:line and a reason, never a traceback."""

from __future__ import annotations

import os

import pytest

from harness.data import load_dataset
from harness.errors import ConfigurationError, DatasetError
from harness.runner.config import resolve_dataset_path

CASE = (
    '{"id": "c1", "sessions": [{"messages": [{"id": "t1", "role": "user", "content": "hi"}], '
    '"expected": []}]}'
)

HOSTILE_LINES = {
    "nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "integer of 5000 digits": ('{"id": ' + "9" * 5000 + "}", "4300 digits"),
    "lone surrogate": (CASE.replace('"hi"', '"\\ud800"'), r"lone surrogate escape \(\\ud800\)"),
    "duplicate key": (CASE.replace('"id": "c1"', '"id": "c1", "id": "c2"'), "duplicate key 'id'"),
    "nested duplicate key": (
        CASE.replace('"role": "user"', '"role": "user", "role": "assistant"'),
        "duplicate key 'role'",
    ),
}


_INSERT = '"expected": [{"op": "insert", "ref": "g1", "content": "User x"}]'
BAD_IDS = {
    "empty message id": (CASE.replace('"id": "t1"', '"id": ""'), "messages[0].id: must not be"),
    "message id with a NUL": (CASE.replace('"t1"', '"t\\u00001"'), "messages[0].id: must not c"),
    "empty ref": (
        CASE.replace('"expected": []', _INSERT.replace('"g1"', '""')),
        "expected[0].ref: must not be empty",
    ),
    "ref with a line break": (
        CASE.replace('"expected": []', _INSERT.replace('"g1"', '"g\\n1"')),
        "expected[0].ref: must not contain control characters",
    ),
    "empty session id": (CASE.replace('{"messages"', '{"id": " ", "messages"'), "sessions[0].id"),
}


@pytest.mark.parametrize("name", list(BAD_IDS))
def test_ids_the_runner_cannot_use_are_refused_by_the_validator(tmp_path, name):
    """These passed `datasets validate`; an empty ref then failed every case of the run."""
    line, reason = BAD_IDS[name]
    path = tmp_path / "ids.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert [p for p in info.value.problems if p.startswith(f"{path}:1:") and reason in p], (
        info.value.problems
    )


@pytest.mark.parametrize("name", list(HOSTILE_LINES))
def test_a_hostile_line_is_refused_with_file_and_line(tmp_path, name):
    line, reason = HOSTILE_LINES[name]
    path = tmp_path / "hostile.jsonl"
    path.write_text(CASE.replace("c1", "ok") + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert any(f"{path}:2:" in p for p in info.value.problems), info.value.problems
    assert any(__import__("re").search(reason, p) for p in info.value.problems), info.value.problems


def test_a_key_that_looks_duplicated_only_inside_strings_is_fine(tmp_path):
    path = tmp_path / "fine.jsonl"
    path.write_text(CASE.replace('"hi"', '"\\"id\\": \\"c2\\", id:"') + "\n", encoding="utf-8")
    [case] = load_dataset(path)
    assert case.sessions[0].messages[0].content == '"id": "c2", id:'


def test_a_folder_is_named_a_folder(tmp_path):
    with pytest.raises(DatasetError, match="is a folder, not a dataset file"):
        load_dataset(tmp_path)
    with pytest.raises(ConfigurationError, match="is a folder, not a file"):
        resolve_dataset_path(str(tmp_path))


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match="not a regular file"):
        load_dataset(fifo)  # opening it would wait for a writer for ever
    with pytest.raises(ConfigurationError, match="is a named pipe, not a file"):
        resolve_dataset_path(str(fifo))


def test_a_line_over_the_length_limit_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    from harness.data import _lines

    monkeypatch.setattr(_lines, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "long.jsonl"
    path.write_text('{"id": "' + "x" * 5000 + '"}\n' + CASE + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert info.value.problems == [f"{path}:1: line longer than 1,000 bytes"]


def test_the_report_of_a_run_whose_dataset_is_now_a_device_does_not_read_it():
    from pathlib import Path

    from harness.reports._report_cases import read_cases

    found, note = read_cases(Path("/dev/zero"), {"c1"})  # endless: would fill the memory
    assert found == {} and "not a regular file" in note


@pytest.mark.parametrize(
    ("before", "after", "problem"),
    [
        ('"id": "c1"', '"id": ""', "id: must not be empty"),
        ('"id": "c1"', '"id": "c\\n1"', "id: must not contain control characters"),
        ('"id": "c1"', '"id": "c1", "existing": [{"id": " ", "content": "x"}]',
         "existing[0].id: must not be empty"),
    ],
)  # fmt: skip
def test_ids_the_runner_cannot_use_are_refused_by_the_loader(tmp_path, before, after, problem):
    """What ``datasets validate`` accepts, the run must be able to use."""
    path = tmp_path / "ids.jsonl"
    path.write_text(CASE.replace(before, after) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    [found] = info.value.problems
    assert found.startswith(f"{path}:1: {problem}")
