"""LoCoMo and LongMemEval importers on hand-written samples shaped like the real files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from harness.data import load_dataset
from harness.data.importers import import_locomo, import_longmemeval, write_cases
from harness.data.models import Case
from harness.errors import DatasetError

SAMPLES = Path(__file__).parent / "samples"


def test_locomo_release_shape(tmp_path: Path) -> None:
    result = import_locomo(SAMPLES / "locomo_sample.json")
    assert [case.id for case in result.cases] == ["locomo-conv-901", "locomo-conv-902"]
    case = result.cases[0]
    assert case.tags == ["locomo"]
    assert case.metadata == {
        "source": "locomo",
        "sample_id": "conv-901",
        "speaker_a": "Priya",
        "speaker_b": "Tomas",
        "session_summaries": {
            "session_1": "Priya tells Tomas she moved to Porto; Tomas still climbs in Leeds.",
            "session_2": "Priya adopted a cat; Tomas celebrates six years at his climbing club.",
        },
    }
    # session_3 is empty in the source and is not replayed
    assert [s.id for s in case.sessions] == ["session_1", "session_2"]
    first, second = case.sessions
    assert all(s.partial for s in case.sessions)
    assert first.date == "2023-03-12T16:05"
    assert first.metadata == {
        "session": 1,
        "date_time": "4:05 pm on 12 March, 2023",
        "events": {"Priya": ["Priya moves to Porto."], "Tomas": []},
    }
    assert [m.id for m in first.messages] == ["D1:1", "D1:2", "D1:3", "D1:4"]
    assert {m.role for m in first.messages} == {"user"}
    assert [m.name for m in first.messages[:2]] == ["Priya", "Tomas"]
    assert first.messages[2].content.endswith(
        "[shares an image: a photo of a red bridge over a river at sunset]"
    )
    # observations are the labels, sourced by their evidence (D1:04 is read as D1:4)
    assert [(op.ref, op.content, op.source) for op in first.expected] == [
        ("s1-o1", "Priya moved to Porto last week.", ["D1:3"]),
        ("s1-o2", "Tomas lives in Leeds and climbs most weekends.", ["D1:4"]),
        ("s1-o3", "Tomas has been climbing for five years.", ["D1:4"]),
    ]
    assert [op.source for op in second.expected] == [["D2:1"], ["D2:2", "D2:3"], ["D2:3"]]
    # a conversation without observations falls back to its events (no sources)
    other = result.cases[1].sessions[0]
    assert [(op.content, op.source) for op in other.expected] == [("Ana starts cello lessons.", [])]


def test_locomo_flat_single_object(tmp_path: Path) -> None:
    result = import_locomo(SAMPLES / "locomo_flat.json")
    (case,) = result.cases
    assert case.id == "locomo-conv-903"
    # a date that does not parse is left out; the raw text stays in the metadata
    assert [s.date for s in case.sessions] == ["2023-05-08T13:56", None]
    assert case.sessions[1].metadata["date_time"] == "sometime in early summer"
    assert [op.content for s in case.sessions for op in s.expected] == [
        "Lena registers for the Berlin half marathon.",
        "Omar starts working as a nurse at a children's hospital.",
    ]
    assert [q.relevant_messages for q in case.queries] == [["D1:1"], ["D2:1"]]
    assert result.warnings == []


def test_longmemeval_sessions_in_date_order_with_turn_evidence() -> None:
    result = import_longmemeval(SAMPLES / "longmemeval_sample.json")
    assert [c.id for c in result.cases] == ["lme-q-7f3a1c", "lme-q-2b88d0", "lme-q-91c2e4_abs"]
    case = result.cases[0]
    assert case.tags == ["longmemeval", "knowledge-update"]
    assert [s.id for s in case.sessions] == [
        "ultrachat_55",
        "answer_9c1e_1",
        "sharegpt_a1",
        "answer_9c1e_2",
    ]
    assert [s.date for s in case.sessions][:2] == ["2023-04-11T08:15", "2023-05-02T08:30"]
    assert all(s.partial and not s.expected for s in case.sessions)
    assert [m.id for m in case.sessions[1].messages] == ["answer_9c1e_1:0", "answer_9c1e_1:1"]
    assert [m.role for m in case.sessions[1].messages] == ["user", "assistant"]
    (query,) = case.queries
    assert query.id == "q-7f3a1c"
    assert query.relevant_messages == ["answer_9c1e_1:0", "answer_9c1e_2:0"]
    assert query.relevant_sessions == ["answer_9c1e_1", "answer_9c1e_2"]
    assert query.answer == "3"
    assert (query.category, query.abstention) == ("knowledge-update", False)
    assert query.question_date == "2023-06-10T09:12"
    assert query.metadata == {
        "question_date": "2023/06/10 (Sat) 09:12",
        "answer_session_ids": ["answer_9c1e_1", "answer_9c1e_2"],
    }


def test_longmemeval_answer_session_without_marks_is_session_level_evidence() -> None:
    result = import_longmemeval(SAMPLES / "longmemeval_sample.json")
    (query,) = result.cases[1].queries
    # no turn is marked has_answer: the evidence is the session, not invented turns
    assert query.relevant_messages == []
    assert query.relevant_sessions == ["answer_44a0"]
    assert query.scored_for_retrieval
    assert result.warnings == ["lme-q-91c2e4_abs: no evidence turns or sessions; answer-level only"]


def test_longmemeval_question_without_evidence_keeps_an_answer_only_query() -> None:
    result = import_longmemeval(SAMPLES / "longmemeval_sample.json")
    abstention = result.cases[2]
    assert abstention.tags == ["longmemeval", "single-session-user", "abstention"]
    (query,) = abstention.queries
    assert query.abstention is True
    assert query.relevant_messages == [] and not query.scored_for_retrieval
    assert query.answer
    assert result.warnings == ["lme-q-91c2e4_abs: no evidence turns or sessions; answer-level only"]


def test_locomo_per_conversation_file_takes_its_id_from_the_file_stem() -> None:
    result = import_locomo(SAMPLES / "locomo_v2" / "77.json")
    (case,) = result.cases
    assert case.id == "locomo-77"
    assert [m.name for m in case.sessions[0].messages] == ["Nate", "Joanna", "Nate"]
    assert [s.date for s in case.sessions] == ["2022-01-21T19:31", "2022-01-29T14:01"]
    assert case.sessions[1].expected[1].source == ["D2:2", "D1:3"]
    assert case.metadata["session_summaries"]["session_2"] == (
        "Joanna submitted her screenplay to a festival."
    )
    queries = {q.id: q for q in case.queries}
    assert queries["qa-1"].relevant_messages == ["D2:1"]  # "D:2:1" normalised
    assert queries["qa-2"].relevant_messages == ["D2:2", "D1:3"]
    assert (queries["qa-3"].category, queries["qa-3"].answer) == ("5", None)
    assert result.warnings == ["locomo-77 qa[1]: evidence D:2:1 read as D2:1"]


def test_locomo_folder_zip_and_several_inputs_give_the_same_cases(tmp_path: Path) -> None:
    folder = SAMPLES / "locomo_v2"
    archive = tmp_path / "locomo10.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in sorted(folder.glob("*.json")):
            handle.write(file, f"data/multimodal_dialog/locomo10_v2/{file.name}")
        handle.writestr("__MACOSX/data/._77.json", b"not json")
    from_folder = import_locomo(folder)
    from_zip = import_locomo(archive)
    one_by_one = import_locomo([folder / "77.json", folder / "78.json"])
    assert [c.id for c in from_folder.cases] == ["locomo-77", "locomo-78"]
    assert from_zip.cases == from_folder.cases == one_by_one.cases
    combined = import_locomo([SAMPLES / "locomo_sample.json", archive])
    assert [c.id for c in combined.cases] == [
        "locomo-conv-901",
        "locomo-conv-902",
        "locomo-77",
        "locomo-78",
    ]
    written = write_cases(combined.cases, tmp_path / "all.jsonl")
    assert len(written) == 4


def test_locomo_duplicate_ids_across_inputs_are_refused_naming_both(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "77.json").write_text((SAMPLES / "locomo_v2" / "77.json").read_text())
    with pytest.raises(DatasetError) as caught:
        import_locomo([SAMPLES / "locomo_v2", copy])
    message = str(caught.value)
    assert "case id 'locomo-77'" in message
    assert str(copy / "77.json") in message
    assert str(SAMPLES / "locomo_v2" / "77.json") in message


def test_locomo_empty_folder_and_broken_zip_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"a folder without any \.json file"):
        import_locomo(tmp_path)
    bad = tmp_path / "locomo10.zip"
    bad.write_bytes(b"PK not really")
    with pytest.raises(DatasetError, match="not a zip file"):
        import_locomo(bad)


@pytest.mark.parametrize(
    ("importer", "sample"),
    [
        (import_locomo, "locomo_sample.json"),
        (import_locomo, "locomo_v2"),
        (import_locomo, "locomo_flat.json"),
        (import_longmemeval, "longmemeval_sample.json"),
    ],
)
def test_imported_files_validate_with_the_loader(tmp_path: Path, importer, sample: str) -> None:
    result = importer(SAMPLES / sample)
    out = tmp_path / "out.jsonl"
    written = write_cases(result.cases, out)
    reloaded = load_dataset(out)
    assert written.path == out
    assert written.content_hash == reloaded.content_hash
    assert [c.id for c in reloaded] == [c.id for c in result.cases]
    assert reloaded.cases == result.cases
    first_line = json.loads(out.read_text().splitlines()[0])
    assert "partial" in first_line["sessions"][0] and "schema" not in first_line


def test_write_cases_keeps_existing_files_and_never_writes_invalid_output(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    cases = import_locomo(SAMPLES / "locomo_flat.json").cases
    with pytest.raises(DatasetError, match="already exists"):
        write_cases(cases, out)
    assert out.read_text() == "precious\n"

    broken = Case.model_validate(
        {
            "id": "x",
            "sessions": [
                {
                    "messages": [{"id": "t1", "role": "user", "content": "hi"}],
                    "expected": [{"op": "delete", "id": "nowhere"}],
                }
            ],
        }
    )
    with pytest.raises(DatasetError, match="do not validate") as caught:
        write_cases([broken], out, force=True)
    assert caught.value.problems[0].endswith(
        "sessions[0].expected[0].id: no existing memory has id 'nowhere' (ids: none)"
    )
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    write_cases(cases, out, force=True)
    assert len(load_dataset(out)) == 1


def test_importer_errors_name_file_and_item(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"question_id": 1,\n  oops}')
    with pytest.raises(DatasetError, match=r"bad\.json:2: invalid JSON at column 3"):
        import_longmemeval(bad_json)
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps([{"question_id": "q1", "question": "?"}]))
    with pytest.raises(DatasetError, match=r"item 0 \(q1\): missing 'answer', 'haystack_sess"):
        import_longmemeval(missing)
    bad_date = json.loads((SAMPLES / "longmemeval_sample.json").read_text())[1]
    bad_date["haystack_dates"][0] = "yesterday"
    path = tmp_path / "date.json"
    path.write_text(json.dumps(bad_date))
    with pytest.raises(DatasetError, match="cannot read the date 'yesterday'"):
        import_longmemeval(path)
    no_sessions = tmp_path / "locomo.json"
    no_sessions.write_text(json.dumps({"sample_id": "x", "qa": []}))
    with pytest.raises(DatasetError, match="item 0: no non-empty 'session_N' lists"):
        import_locomo(no_sessions)


def test_dataset_stats_count_session_level_evidence_as_provenance_queries(tmp_path: Path) -> None:
    from harness.data.stats import dataset_stats

    out = tmp_path / "lme.jsonl"
    write_cases(import_longmemeval(SAMPLES / "longmemeval_sample.json").cases, out)
    stats = dataset_stats(load_dataset(out))
    # marked turns (q-7f3a1c) and an unmarked answer session (q-2b88d0); the _abs question has none
    assert (stats.queries, stats.queries_by_message) == (3, 2)
