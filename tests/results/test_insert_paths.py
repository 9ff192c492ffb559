"""Rows inserted through an Arrow table read back exactly as rows inserted as parameters.

Large batches go through Arrow, small ones as statement parameters (see ``insert_rows``); every
table a run writes is filled both ways from the same records, with the awkward values (None,
non-ASCII text, lists holding None, nested JSON, integers and floats, a naive UTC timestamp),
and read back column by column.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from harness.results import open_results
from harness.results import tables as tables_module
from harness.results.records import (
    AnswerRow,
    CallRow,
    CaseRecord,
    FinalRow,
    MetricRow,
    OpRow,
    QueryRow,
    columns,
)

T0 = datetime(2025, 3, 30, 1, 30, 15, 123456)


def _case(i: int) -> CaseRecord:
    key = {"run_id": "r1", "case_id": f"case-{i:05d} é", "repeat": i % 3}
    ops = [
        OpRow(**key, session_index=s, side="gold" if s % 2 else "predicted", op_index=s,
              op="insert", memory_id=None if s else "m1", ref="g1", kind="Memory",
              content="Zoë likes tea \u2615", optional=bool(s), outcome="matched", counted=True,
              partner_index=None if s else 0, partner_id="p1", similarity=0.1 * s,
              key_terms_ok=None if s else False, key_terms=None, reason="matched",
              source=None if s else ["t1", "t2"])
        for s in range(3)
    ]  # fmt: skip
    final = [
        FinalRow(**key, side="gold", memory_id="m1", content="tea", outcome="matched",
                 partner_id=None, similarity=None, reason=None)
    ]  # fmt: skip
    queries = [
        QueryRow(**key, query_index=q, query_id=None if q else "q0", query="Where?",
                 state="gold", mode="vector", relevance="ids", relevant=["m1"], n_relevant=1,
                 retrieved=["m1", "m2"], retrieved_refs=["g1", None], recall_at_1=1.0,
                 recall_at_3=1, recall_at_5=0.5, recall_at_10=1.0, mrr=1 / 3, ndcg_at_1=0.0,
                 ndcg_at_3=0.25, ndcg_at_5=1.0, ndcg_at_10=1.0, latency_s=None if q else 0.002)
        for q in range(2)
    ]  # fmt: skip
    calls = [
        CallRow(**key, session_index=None, call_index=0, model="scripted/x", purpose="extract",
                input_tokens=300, output_tokens=20, cost_usd=None, latency_s=0.5, retries=0,
                cached=True, error=None, cache_key="k" * 64)
    ]  # fmt: skip
    answers = [
        AnswerRow(**key, query_index=0, query_id="q0", question="Where?", gold_answer=None,
                  category="single-hop", kind="answer", question_date=None,
                  context_source="memories", search_mode="vector", retrieved=["m1"],
                  context=[{"id": "m1", "text": "tea", "score": 0.5, "source": [], "x": None}],
                  context_tokens=3, answer_model="scripted/a", answer="tea", answer_error=None,
                  search_latency_s=0.0, answer_latency_s=1.0, f1=None, bleu1=0.5, em=1.0,
                  declined=False, verdict="correct")
    ]  # fmt: skip
    return CaseRecord(
        **key, split="test", tags=["a", "ü"] if i % 2 else [], case_hash="c" * 64, status="ok",
        error_type=None, error=None, n_sessions=2, latency_s=0.25 * i, input_tokens=10,
        output_tokens=2, cost_usd=None if i % 2 else 0.001, n_calls=1, retries=0,
        cached_calls=1, counts={"insert_tp": i}, retrieval=None, timings={"total_s": 0.5},
        finished_at=T0, ops=ops, final_state=final, queries=queries, calls=calls,
        answer_counts={"qa_n": 1.0}, answers=answers,
    )  # fmt: skip


def _all_rows(store) -> dict[str, list[tuple]]:
    out = {}
    for cls in (CaseRecord, OpRow, FinalRow, QueryRow, CallRow, AnswerRow, MetricRow):
        names = ", ".join(columns(cls))
        out[cls.TABLE] = store.query(f"SELECT {names} FROM {cls.TABLE} ORDER BY ALL")
    return out


def _write(monkeypatch, min_values: int):
    monkeypatch.setattr(tables_module, "ARROW_MIN_VALUES", min_values)
    store = open_results(":memory:")
    store.write_cases([_case(i) for i in range(40)])
    metrics = [MetricRow("r1", f"m{i}", None if i % 2 else i / 7, None, 1.5, i) for i in range(30)]
    with store._transaction() as con:
        tables_module.insert_rows(con, MetricRow, metrics)
    return store


def test_arrow_and_parameter_inserts_store_the_same_values(monkeypatch):
    with _write(monkeypatch, 10**9) as by_params, _write(monkeypatch, 0) as by_arrow:
        params, arrow = _all_rows(by_params), _all_rows(by_arrow)
    assert {table: len(rows) for table, rows in params.items()} == {
        "case_results": 40, "ops": 120, "final_state": 40, "queries": 80, "llm_calls": 40,
        "answers": 40, "run_metrics": 30,
    }  # fmt: skip
    for table in params:
        assert arrow[table] == params[table], table


def _metrics(monkeypatch, min_values: int, rows: list[MetricRow]) -> list[dict]:
    monkeypatch.setattr(tables_module, "ARROW_MIN_VALUES", min_values)
    with open_results(":memory:") as store:
        with store._transaction() as con:
            tables_module.insert_rows(con, MetricRow, rows)
        return store.query("SELECT metric, value, n FROM run_metrics ORDER BY metric")


def test_values_arrow_would_change_fall_back_to_parameters(monkeypatch):
    # Floats where DuckDB wants an integer: DuckDB rounds 2.7 to 3, a plain Arrow cast would
    # truncate it to 2; a text where it wants a number fails the Arrow conversion outright.
    rows = [MetricRow("r1", "a", 0.5, None, None, n=2.7), MetricRow("r1", "b", 1, None, None, 2)]
    by_params = _metrics(monkeypatch, 10**9, rows)
    assert by_params == [
        {"metric": "a", "value": 0.5, "n": 3}, {"metric": "b", "value": 1.0, "n": 2},
    ]  # fmt: skip
    assert _metrics(monkeypatch, 0, rows) == by_params
    text = [MetricRow("r1", "c", "0.25", None, None, 1)]  # type: ignore[arg-type]
    assert _metrics(monkeypatch, 0, text) == _metrics(monkeypatch, 10**9, text)


def test_large_batches_take_the_arrow_path(monkeypatch):
    used = []
    original = tables_module._insert_arrow
    monkeypatch.setattr(
        tables_module, "_insert_arrow", lambda *a: used.append(len(a[3])) or original(*a)
    )
    with open_results(":memory:") as store:
        store.write_cases([_case(0)])  # a handful of values: parameters
        assert used == []
        store.write_cases([_case(i) for i in range(1, 6)])
        # 5 cases: ops (15 rows x 21 values) and queries (10 x 23) reach 200 values, the rest not
        assert sorted(used) == [10, 15]
        used.clear()
        store.write_cases([_case(i) for i in range(6, 106)])
        assert sorted(used) == [100, 100, 100, 100, 200, 300]  # every table


@pytest.mark.parametrize("count", [1, 40])
def test_a_batch_either_way_reads_back_as_records(monkeypatch, count):
    with open_results(":memory:") as store:
        store.write_cases([_case(i) for i in range(count)])
        assert [op.source for op in store.ops("r1")][:3] == [["t1", "t2"], None, None]
        assert store.answers("r1")[0].context[0] == {
            "id": "m1", "text": "tea", "score": 0.5, "source": [], "x": None,
        }  # fmt: skip
