"""LoCoMo and LongMemEval importers on hand-written samples shaped like the real files."""

from __future__ import annotations

import json
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
    }
    # session_3 is empty in the source and is not replayed
    assert [s.id for s in case.sessions] == ["session_1", "session_2"]
    first, second = case.sessions
    assert all(s.partial for s in case.sessions)
    assert first.date == "2023-03-12T16:05"
    assert first.metadata == {"session": 1, "date_time": "4:05 pm on 12 March, 2023"}
    assert [m.id for m in first.messages] == ["D1:1", "D1:2", "D1:3", "D1:4"]
    assert {m.role for m in first.messages} == {"user"}
    assert [m.name for m in first.messages[:2]] == ["Priya", "Tomas"]
    assert first.messages[2].content.endswith(
        "[shares an image: a photo of a red bridge over a river at sunset]"
    )
    assert [(op.op, op.ref, op.content) for op in first.expected] == [
        ("insert", "s1-e1", "Priya moves to Porto.")
    ]
    assert [op.ref for op in second.expected] == ["s2-e1", "s2-e2"]


def test_locomo_questions_become_queries(tmp_path: Path) -> None:
    result = import_locomo(SAMPLES / "locomo_sample.json")
    queries = result.cases[0].queries
    # qa[4] has no evidence and is skipped; the unknown evidence id of qa[2] is dropped
    assert [q.id for q in queries] == ["qa-0", "qa-1", "qa-2", "qa-3"]
    assert queries[0].relevant_messages == ["D1:3"] and queries[0].answer == "Porto"
    assert queries[1].relevant_messages == ["D1:4", "D2:2"]
    assert queries[1].answer == "6"
    assert queries[2].relevant_messages == ["D2:1"]
    assert queries[3].answer is None
    assert queries[3].category == "5"  # LoCoMo's category number, as text
    assert queries[3].metadata == {"adversarial_answer": "Biscuit"}
    assert result.warnings == [
        "locomo-conv-901 qa[2]: evidence D7:40 names no turn",
        "locomo-conv-901 qa[4]: no usable evidence; question skipped",
        f"{SAMPLES / 'locomo_sample.json'}: item 1 session_1[2]: dia_id D1:2 repeats; "
        "this turn is D1:2#2",
    ]
    assert [m.id for m in result.cases[1].sessions[0].messages] == ["D1:1", "D1:2", "D1:2#2"]


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
    assert query.answer == "3"
    assert (query.category, query.abstention) == ("knowledge-update", False)
    assert query.question_date == "2023-06-10T09:12"
    assert query.metadata == {
        "question_date": "2023/06/10 (Sat) 09:12",
        "answer_session_ids": ["answer_9c1e_1", "answer_9c1e_2"],
    }


def test_longmemeval_answer_session_without_marks_counts_whole_session() -> None:
    result = import_longmemeval(SAMPLES / "longmemeval_sample.json")
    (query,) = result.cases[1].queries
    assert query.relevant_messages == ["answer_44a0:0", "answer_44a0:1"]


def test_longmemeval_question_without_evidence_keeps_an_answer_only_query() -> None:
    result = import_longmemeval(SAMPLES / "longmemeval_sample.json")
    abstention = result.cases[2]
    assert abstention.tags == ["longmemeval", "single-session-user", "abstention"]
    (query,) = abstention.queries
    assert query.abstention is True
    assert query.relevant_messages == [] and not query.scored_for_retrieval
    assert query.answer
    assert result.warnings == ["lme-q-91c2e4_abs: no evidence turns or sessions; answer-level only"]


@pytest.mark.parametrize(
    ("importer", "sample"),
    [
        (import_locomo, "locomo_sample.json"),
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
