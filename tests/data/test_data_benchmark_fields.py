"""The real-benchmark fields: speaker names, session dates, answers, categories, abstention."""

from __future__ import annotations

import json

import pytest

from harness.data import load_dataset
from harness.data.importers import write_cases
from harness.errors import DatasetError


def _benchmark_case(case_factory, **query):
    case = case_factory("lc-1")
    session = case["sessions"][0]
    session["date"] = "2023-05-08T13:56"
    session["messages"][0]["name"] = "Caroline"
    case["sessions"].append(
        {
            "date": "2023-05-25",
            "messages": [{"id": "t3", "role": "user", "name": "Melanie", "content": "Hi!"}],
        }
    )
    case["queries"] = [
        {
            "query": "When did Caroline switch themes?",
            "relevant_messages": ["t1"],
            "answer": "8 May 2023",
            "category": "temporal",
            "question_date": "2023-06-01T09:00:00Z",
            **query,
        }
    ]
    return case


def test_fields_load_and_round_trip_through_the_writer(tmp_path, write_jsonl, case_factory):
    dataset = load_dataset(write_jsonl([_benchmark_case(case_factory)]))
    case = dataset.case("lc-1")
    assert case.sessions[0].messages[0].name == "Caroline"
    assert case.sessions[0].messages[1].name is None
    assert [s.date for s in case.sessions] == ["2023-05-08T13:56", "2023-05-25"]
    query = case.queries[0]
    assert (query.answer, query.category, query.abstention) == ("8 May 2023", "temporal", False)
    assert query.question_date == "2023-06-01T09:00:00Z"  # kept as written, not re-printed

    again = write_cases(list(dataset), tmp_path / "again.jsonl")
    assert again.content_hash == dataset.content_hash
    row = json.loads((tmp_path / "again.jsonl").read_text().splitlines()[0])
    assert row["queries"][0]["category"] == "temporal"
    assert "abstention" not in row["queries"][0]  # the default is not written


def test_an_answer_only_query_is_valid_and_not_scored_for_retrieval(write_jsonl, case_factory):
    case = _benchmark_case(case_factory, relevant_messages=[], abstention=True)
    query = load_dataset(write_jsonl([case])).case("lc-1").queries[0]
    assert query.abstention is True
    assert query.scored_for_retrieval is False


def test_a_query_with_neither_relevance_nor_answer_is_refused(write_jsonl, case_factory):
    case = _benchmark_case(case_factory, relevant_messages=[])
    del case["queries"][0]["answer"]
    with pytest.raises(DatasetError) as caught:
        load_dataset(write_jsonl([case]))
    assert "'relevant', 'relevant_messages', 'relevant_sessions' or an 'answer'" in str(
        caught.value
    )


def test_relevant_sessions_must_name_sessions_of_the_case(write_jsonl, case_factory):
    case = _benchmark_case(case_factory, relevant_messages=[])
    case["sessions"][0]["id"] = "s1"
    case["queries"][0]["relevant_sessions"] = ["s1", "s9"]
    with pytest.raises(DatasetError) as caught:
        load_dataset(write_jsonl([case]))
    assert "queries[0].relevant_sessions[1]" in str(caught.value)
    assert "no session with id 's9'" in str(caught.value)


@pytest.mark.parametrize(
    ("where", "bad"),
    [("sessions[1].date", "May 25, 2023"), ("queries[0].question_date", "2023/05/20 (Sat) 02:21")],
)
def test_dates_must_be_iso_8601_and_errors_name_the_field(write_jsonl, case_factory, where, bad):
    case = _benchmark_case(case_factory)
    if where.startswith("sessions"):
        case["sessions"][1]["date"] = bad
    else:
        case["queries"][0]["question_date"] = bad
    with pytest.raises(DatasetError) as caught:
        load_dataset(write_jsonl([case]))
    text = str(caught.value)
    assert where in text
    assert "not an ISO 8601 date" in text


def test_abstention_must_be_a_boolean(write_jsonl, case_factory):
    case = _benchmark_case(case_factory, abstention="maybe")
    with pytest.raises(DatasetError, match=r"queries\[0\]\.abstention"):
        load_dataset(write_jsonl([case]))
