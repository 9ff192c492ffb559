"""The whole runner on a three-case fixture, every number worked out by hand.

The scripted model (see ``scripted_fixture.SCRIPT``) answers, with the ``exact`` matcher:

- tiny-update, session 0: gold update m1 "User prefers dark mode" + insert g1 "User drinks green
  tea"; predicted the same update (TP) and the insert "User drinks tea" (not the same normal
  form: gold insert missed, FN; prediction spurious, FP). Final state: m1 matched (TP), g1
  missed (FN), "User drinks tea" spurious (FP).
- tiny-forget, session 0: gold delete m1, predicted delete m1 (TP, exact session); session 1
  expects nothing, predicted insert "User says thanks" (insert FP; a nothing-to-store session
  with a false positive). Final state: m2 matched (TP), "User says thanks" spurious (FP).
- tiny-chat: nothing expected, nothing predicted (exact, nothing-to-store, no false positive).

Totals: insert TP 0 / FP 2 / FN 1; update 1 / 0 / 0; delete 1 / 0 / 0; micro TP 2, FP 2, FN 1:
precision 2/4, recall 2/3, F1 2*2/(2*2+2+1) = 4/7. Sessions 4, exact 2 (forget s0, chat): 1/2.
Nothing-to-store sessions 2 (forget s1, chat), one with a false positive: rate 1/2. Final state
TP 2, FP 2, FN 1: F1 4/7.

Retrieval, 3 queries in each of 3 modes: end to end, "dark mode" finds m1 first and "cat" finds
m2 first (all metrics 1), while g1 ("Which tea") has no predicted partner (all 0): mean 2/3 for
every metric. Over the gold state every query finds its memory first: 1.0.
"""

from __future__ import annotations

import pytest
from runner_helpers import TINY, results, run

from harness.data import load_dataset
from harness.results import LATEST_VERSION
from harness.runner import RunConfig
from harness.scoring.catalogue import KS
from harness.templates import load_template

EXPECTED = {
    "insert_precision": 0.0,
    "insert_recall": 0.0,
    "insert_f1": 0.0,
    "update_precision": 1.0,
    "update_recall": 1.0,
    "update_f1": 1.0,
    "delete_precision": 1.0,
    "delete_recall": 1.0,
    "delete_f1": 1.0,
    "micro_precision": 0.5,
    "micro_recall": 2 / 3,
    "micro_f1": 4 / 7,
    "exact_session_accuracy": 0.5,
    "nothing_to_store_fpr": 0.5,
    "final_precision": 0.5,
    "final_recall": 2 / 3,
    "final_f1": 4 / 7,
    "error_rate": 0.0,
}
CASES_DEFINED = {  # cases whose own counts define the metric
    "insert_f1": 2,
    "update_f1": 1,
    "delete_f1": 1,
    "micro_f1": 2,
    "exact_session_accuracy": 3,
    "nothing_to_store_fpr": 2,
    "final_f1": 2,
    "error_rate": 3,
}
RANK = [*(f"recall@{k}" for k in KS), *(f"ndcg@{k}" for k in KS), "mrr"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One scripted run of the fixture, shared by the assertions below."""
    import uuid

    import scripted_fixture

    from harness.models.scripted import scripted_model

    model = scripted_model(f"tiny-{uuid.uuid4().hex[:8]}").reset()
    model.respond_with(scripted_fixture.reply)
    db = tmp_path_factory.mktemp("tiny") / "results.duckdb"
    config = RunConfig(
        dataset=str(TINY), model=model.model, matcher="exact", n_resamples=200, concurrency=3
    )
    result = run(config, db)
    return config, result, db


def test_headline_metrics_are_the_hand_computed_ones(tiny_run):
    _, result, _ = tiny_run
    assert result.status == "finished"
    assert (result.recorded, result.errors, result.bugs) == (3, 0, 0)
    for name, value in EXPECTED.items():
        assert result.metrics[name].value == pytest.approx(value), name
    for name, n in CASES_DEFINED.items():
        assert result.metrics[name].n == n, name


def test_retrieval_metrics_end_to_end_and_over_the_gold_state(tiny_run):
    _, result, _ = tiny_run
    for mode in ("vector", "fts", "hybrid"):
        for metric in RANK:
            e2e = result.metrics[f"e2e_{mode}_{metric}"]
            gold = result.metrics[f"gold_{mode}_{metric}"]
            assert e2e.value == pytest.approx(2 / 3), (mode, metric)
            assert gold.value == pytest.approx(1.0), (mode, metric)
            assert (e2e.n, gold.n) == (2, 2)


def test_totals_count_every_model_call(tiny_run):
    _, result, _ = tiny_run
    totals = {name: result.metrics[name].value for name in ("n_calls", "input_tokens")}
    assert totals == {"n_calls": 4.0, "input_tokens": 400.0}  # one call per session
    assert result.metrics["output_tokens"].value == 40.0
    assert result.metrics["retries"].value == 0.0
    assert result.metrics["cost_usd"].value is None  # scripted models are not priced


def test_run_row_records_what_was_run(tiny_run):
    config, result, db = tiny_run
    with results(db) as store:
        row = store.get_run(result.run_id)
    assert row.status == "finished" and row.finished_at is not None
    assert row.dataset_hash == load_dataset(TINY).content_hash
    assert row.template_name == "default"
    assert row.template_hash == load_template("default").content_hash
    assert (row.model, row.matcher, row.matcher_threshold) == (config.model, "exact", 1.0)
    assert row.parameters == config.model_dump(mode="json")
    assert (row.n_cases, row.repeats, row.state_mode) == (3, 1, "predicted")
    assert row.schema_version == LATEST_VERSION == 4
    assert row.components["retrieval"] == {"modes": ["vector", "fts", "hybrid"], "top_k": 10}
    assert row.metrics["metrics"]["micro_f1"]["value"] == pytest.approx(4 / 7)
    assert row.python_version and row.package_versions["duckdb"]


def test_case_rows_and_their_counts(tiny_run):
    _, result, db = tiny_run
    with results(db) as store:
        cases = {r.case_id: r for r in store.case_results(result.run_id)}
    assert set(cases) == {"tiny-update", "tiny-forget", "tiny-chat"}
    update = cases["tiny-update"]
    assert (update.status, update.split, update.tags) == ("ok", "test", ["update", "insert"])
    assert update.counts["update_tp"] == 1 and update.counts["insert_fn"] == 1
    assert update.counts["insert_fp"] == 1 and update.counts["final_fp"] == 1
    assert update.retrieval["e2e_vector_queries"] == 2
    assert update.retrieval["e2e_vector_recall@1"] == 1.0  # m1 found, g1 not
    assert update.retrieval["gold_vector_recall@1"] == 2.0
    forget = cases["tiny-forget"]
    assert (forget.counts["empty_sessions"], forget.counts["empty_sessions_fp"]) == (1, 1)
    assert forget.n_calls == 2 and forget.input_tokens == 200
    assert cases["tiny-chat"].retrieval == {}
    assert set(update.timings) >= {"total_s", "extract_s", "model_path_s", "store_s", "scoring_s"}


def test_op_rows_show_matches_and_confusions(tiny_run):
    _, result, db = tiny_run
    with results(db) as store:
        ops = store.ops(result.run_id, "tiny-update")
    rows = {(o.side, o.op): o for o in ops}
    assert len(ops) == 4
    gold_update = rows[("gold", "update")]
    assert (gold_update.ref, gold_update.memory_id, gold_update.outcome) == ("m1", "m1", "matched")
    assert gold_update.key_terms_ok is True and gold_update.similarity == 1.0
    gold_insert = rows[("gold", "insert")]
    assert (gold_insert.ref, gold_insert.outcome, gold_insert.source) == ("g1", "missed", ["a1"])
    assert "closest prediction" in gold_insert.reason
    spurious = rows[("predicted", "insert")]
    assert (spurious.outcome, spurious.content, spurious.ref) == (
        "spurious",
        "User drinks tea",
        None,
    )
    assert spurious.source == ["a1"]
    assert rows[("predicted", "update")].ref == "m1"


def test_query_and_call_rows(tiny_run):
    _, result, db = tiny_run
    with results(db) as store:
        queries = store.queries(result.run_id, "tiny-update")
        calls = store.calls(result.run_id)
        final = store.final_state(result.run_id, "tiny-forget")
    assert len(queries) == 2 * 2 * 3  # queries x states x modes
    tea = [q for q in queries if q.query_index == 1 and q.state == "end_to_end"]
    assert all(q.recall_at_10 == 0.0 and q.relevant == ["g1"] for q in tea)
    assert all("g1" not in q.retrieved_refs for q in tea)
    gold_tea = [q for q in queries if q.query_index == 1 and q.state == "gold"]
    assert all(q.retrieved[0] == "g1" and q.retrieved_refs[0] == "g1" for q in gold_tea)
    sessions = sorted((c.case_id, c.session_index) for c in calls)
    expected = [("tiny-chat", 0), ("tiny-forget", 0), ("tiny-forget", 1), ("tiny-update", 0)]
    assert sessions == expected
    assert all(c.purpose == "extract" and not c.cached and c.retries == 0 for c in calls)
    outcomes = sorted((f.side, f.memory_id, f.outcome) for f in final if f.memory_id == "m2")
    assert outcomes == [("gold", "m2", "matched"), ("predicted", "m2", "matched")]


def test_views_summarise_the_run(tiny_run):
    _, result, db = tiny_run
    with results(db) as store:
        [summary] = store.query("SELECT * FROM run_summary WHERE run_id = ?", [result.run_id])
        outcomes = store.query(
            "SELECT outcome, count(*) AS n FROM op_outcomes WHERE run_id = ? "
            "GROUP BY outcome ORDER BY outcome",
            [result.run_id],
        )
    assert summary["micro_f1"] == pytest.approx(4 / 7)
    assert summary["e2e_hybrid_recall_at_5"] == pytest.approx(2 / 3)
    assert (summary["case_repeats"], summary["errors"], summary["n_calls"]) == (3, 0, 4)
    assert summary["micro_f1_low"] <= summary["micro_f1"] <= summary["micro_f1_high"]
    assert {row["outcome"]: row["n"] for row in outcomes} == {
        "matched": 4,  # gold and predicted side of the update and the delete
        "missed": 1,
        "spurious": 2,
    }


def test_oracle_scores_perfectly_and_retrieves_as_the_gold_state(db_path):
    config = RunConfig(dataset=str(TINY), model="baseline/oracle", matcher="exact", n_resamples=0)
    result = run(config, db_path)
    for name in EXPECTED:
        if name in ("nothing_to_store_fpr", "error_rate"):
            assert result.metrics[name].value == 0.0
        else:
            assert result.metrics[name].value == 1.0, name
    with results(db_path) as store:
        queries = store.queries(result.run_id)
    e2e = {(q.case_id, q.query_index, q.mode): q for q in queries if q.state == "end_to_end"}
    gold = {(q.case_id, q.query_index, q.mode): q for q in queries if q.state == "gold"}
    assert e2e.keys() == gold.keys() and len(e2e) == 9
    for key, q in e2e.items():
        assert q.retrieved_refs == gold[key].retrieved, key


def test_a_memory_manager_object_replays_like_its_model_string(db_path, tiny_model):
    from harness import create_memory_manager
    from harness._async import run_sync
    from harness.runner.engine import arun

    manager = create_memory_manager(tiny_model.model, enable_deletes=True)
    config = RunConfig(dataset=str(TINY), matcher="exact", n_resamples=0)
    result = run_sync(arun(config, db=db_path, extractor=manager))
    for name, value in EXPECTED.items():
        assert result.metrics[name].value == pytest.approx(value), name
    with results(db_path) as store:
        row = store.get_run(result.run_id)
    assert row.model == "custom/MemoryManager" and row.components["kind"] == "custom"


def test_a_custom_oracle_object_gets_the_gold_context(db_path):
    from harness._async import run_sync
    from harness.baselines.registry import get_baseline
    from harness.runner.engine import arun

    config = RunConfig(dataset=str(TINY), matcher="exact", n_resamples=0)
    result = run_sync(arun(config, db=db_path, extractor=get_baseline("baseline/oracle")))
    assert result.errors == 0 and result.metrics["micro_f1"].value == 1.0
