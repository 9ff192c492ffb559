"""State modes and the oracle on the bundled data.

``chain.jsonl`` has one case: session 0 should insert "User has a dog named Rex" (g1), session 1
should update g1 to "... Max". The scripted model misses the insert, then updates the dog when it
is shown one, else states the new fact as an insert.

- predicted state: session 1 finds no dog, so it inserts: gold update g1 is explained as
  ``duplicate_instead_of_update`` (update FN, insert FP); with the missed insert: insert FN 1.
- gold state: the store is reset to the gold state before session 1, so the dog is there and
  the update matches (update TP 1); only session 0's insert is missed. Exact sessions: 1 of 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from runner_helpers import DATA, results, run

from harness.runner import RunConfig

CHAIN = DATA / "chain.jsonl"
BUNDLED = Path(__file__).resolve().parents[2] / "datasets" / "core.jsonl"
PERFECT = (
    "insert_f1",
    "update_f1",
    "delete_f1",
    "micro_precision",
    "micro_recall",
    "micro_f1",
    "exact_session_accuracy",
    "final_precision",
    "final_recall",
    "final_f1",
)


def _case_counts(db, run_id):
    with results(db) as store:
        [case] = store.case_results(run_id)
    return {key: value for key, value in case.counts.items() if value}


def test_predicted_state_carries_a_missed_insert_into_the_next_session(db_path, tiny_model):
    config = RunConfig(dataset=str(CHAIN), model=tiny_model.model, matcher="exact")
    result = run(config, db_path)
    assert _case_counts(db_path, result.run_id) == {
        "insert_fn": 1,
        "insert_fp": 1,
        "update_fn": 1,
        "insert_fn_labeled": 1,  # both sessions are fully labeled
        "update_fn_labeled": 1,
        "missed": 1,
        "duplicate_instead_of_update": 1,
        "sessions": 2,
        "labeled_sessions": 2,
        "final_tp": 1,
    }
    assert result.metrics["update_recall"].value == 0.0


def test_gold_state_isolates_each_session(db_path, tiny_model):
    config = RunConfig(dataset=str(CHAIN), model=tiny_model.model, matcher="exact", state="gold")
    result = run(config, db_path)
    assert _case_counts(db_path, result.run_id) == {
        "insert_fn": 1,
        "update_tp": 1,
        "insert_fn_labeled": 1,
        "update_tp_labeled": 1,
        "missed": 1,
        "sessions": 2,
        "labeled_sessions": 2,
        "exact_sessions": 1,
        "final_tp": 1,
    }
    assert result.metrics["update_f1"].value == 1.0
    with results(db_path) as store:
        ops = store.ops(result.run_id)
        run_row = store.get_run(result.run_id)
    update = next(o for o in ops if o.side == "predicted")
    assert (update.op, update.memory_id, update.outcome) == ("update", "g1", "matched")
    assert run_row.state_mode == "gold"


def test_the_oracle_is_perfect_in_gold_state_too(db_path):
    config = RunConfig(dataset=str(CHAIN), model="baseline/oracle", matcher="exact", state="gold")
    result = run(config, db_path)
    for name in PERFECT:
        if result.metrics[name].value is not None:
            assert result.metrics[name].value == 1.0, name


@pytest.mark.slow
def test_the_oracle_scores_1_on_the_bundled_data(tmp_path):
    db = tmp_path / "results.duckdb"
    config = RunConfig(dataset=str(BUNDLED), model="baseline/oracle", n_resamples=0)
    result = run(config, db)  # the default matcher: MiniLM embeddings plus key terms
    assert result.errors == 0 and result.recorded > 200
    for name in PERFECT:
        assert result.metrics[name].value == 1.0, name
    assert result.metrics["nothing_to_store_fpr"].value == 0.0
    with results(db) as store:
        queries = store.queries(result.run_id)
    assert queries
    by_state = {"end_to_end": {}, "gold": {}}
    for q in queries:
        by_state[q.state][(q.case_id, q.query_index, q.mode)] = q
    assert by_state["end_to_end"].keys() == by_state["gold"].keys()
    for key, e2e in by_state["end_to_end"].items():
        gold = by_state["gold"][key]
        if key[2] == "vector":  # exact search: the same memories in the same order
            assert e2e.retrieved_refs == gold.retrieved, key
        # BM25 ties and not-yet-indexed rows may swap neighbours, never change what is found
        assert set(e2e.retrieved_refs) == set(gold.retrieved), key
        assert e2e.recall_at_10 == gold.recall_at_10, key
    for mode in ("vector", "fts", "hybrid"):
        assert result.metrics[f"e2e_{mode}_recall@10"].value == pytest.approx(
            result.metrics[f"gold_{mode}_recall@10"].value
        )
