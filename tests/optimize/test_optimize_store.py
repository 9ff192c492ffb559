"""The optimizer's tables in a real results database (DuckDB file)."""

from __future__ import annotations

from datetime import datetime

import pytest

from harness.errors import ConfigurationError
from harness.optimize._schema import LATEST_VERSION
from harness.optimize.store import (
    CandidateRow,
    OptimizationRow,
    OptimizeStore,
    ProposalRow,
    ScoreRow,
)
from harness.results.db import open_results

NOW = datetime(2025, 1, 2, 3, 4, 5)


def _optimization(opt_id="opt-1", name="tune"):
    return OptimizationRow(
        opt_id=opt_id, name=name, status="running", phase="search", config={"seed": 1},
        dataset_path="d.jsonl", dataset_hash="h", start_template="default", start_hash="s",
        metric="micro_f1", splits={"train": ["a"], "dev": [], "test": ["t"]}, stop_reason=None,
        winner_id=None, out_path=None, result=None, harness_version="0.1.0", git_revision=None,
        started_at=NOW,
    )  # fmt: skip


def _spend(iteration, calls):
    return {
        "iteration": iteration, "step": "propose", "candidate_id": None, "run_id": None,
        "calls": calls, "cached_calls": 1, "cost_usd": 0.5, "unpriced_calls": 0,
        "input_tokens": 10, "output_tokens": 2, "max_call_cost": 0.5, "bound_calls": 1,
        "recorded_at": NOW,
    }  # fmt: skip


@pytest.fixture
def db(tmp_path):
    return tmp_path / "results.duckdb"


def test_tables_live_beside_the_results_schema_and_migrate_once(db):
    with open_results(db) as results:
        OptimizeStore.of(results).close()
        OptimizeStore.of(results).close()
        tables = {r["table_name"] for r in results.query(
            "SELECT table_name FROM information_schema.tables")}  # fmt: skip
        versions = results.query("SELECT version FROM optimize_migrations")
    assert {"runs", "case_results", "optimizations", "opt_candidates", "opt_scores",
            "opt_proposals", "opt_spend", "opt_candidate_scores"} <= tables  # fmt: skip
    assert [row["version"] for row in versions] == [LATEST_VERSION]


def test_a_newer_optimizer_schema_is_refused(db):
    with open_results(db) as results:
        OptimizeStore.of(results).close()
        results.query("INSERT INTO optimize_migrations VALUES (99, 'future', now())")
        with pytest.raises(ConfigurationError, match="optimizer schema version 99"):
            OptimizeStore.of(results)


def test_rows_round_trip(db):
    with open_results(db) as results:
        store = OptimizeStore.of(results)
        store.create(_optimization())
        candidate = CandidateRow("opt-1", "c0", None, 0, "evaluated", "hash", "text {{ x }}", NOW)
        score = ScoreRow("opt-1", "c0", "a", "train", "start", "ok", 0.5, {"insert_tp": 1},
                         None, "run-1")  # fmt: skip
        proposal = ProposalRow("opt-1", 1, "c0", ["a"], "scripted/p",
                               [{"role": "user", "content": "hi"}], "reply", "invalid",
                               "syntax error", None, 0.0, None, NOW)  # fmt: skip
        store.record(candidates=[candidate], scores=[score], proposals=[proposal])
        assert store.candidates("opt-1") == [candidate]
        assert store.scores("opt-1", split="train") == [score]
        assert store.scores("opt-1", split="dev") == []
        assert store.proposals("opt-1") == [proposal]
        assert store.find("tune").splits == {"train": ["a"], "dev": [], "test": ["t"]}
        store.update("opt-1", status="finished", result={"test": None})
        assert store.get("opt-1").result == {"test": None}
        with pytest.raises(ValueError, match=r"optimizations: unknown columns \['nonsense'\]"):
            store.update("opt-1", nonsense=1)
        assert store.get("opt-1").status == "finished"
        with pytest.raises(ConfigurationError, match="no optimization with id or name 'x'"):
            store.find("x")
        store.close()


def test_a_failed_write_leaves_nothing_behind(db):
    with open_results(db) as results:
        store = OptimizeStore.of(results)
        store.create(_optimization())
        good = CandidateRow("opt-1", "c0", None, 0, "evaluated", "h", "t", NOW)
        duplicate = CandidateRow("opt-1", "c0", None, 0, "evaluated", "h", "t", NOW)
        with pytest.raises(Exception, match=r"(?i)constraint"):
            store.record(candidates=[good, duplicate])
        assert store.candidates("opt-1") == []
        store.close()


def test_spend_rows_are_numbered_and_summed(db):
    with open_results(db) as results:
        store = OptimizeStore.of(results)
        store.create(_optimization())
        store.create(_optimization("opt-2", "other"))
        first = store.add_spend("opt-1", _spend(0, 4))
        second = store.add_spend("opt-1", _spend(1, 3))
        store.add_spend("opt-2", _spend(0, 100))
        assert (first.seq, second.seq) == (1, 2)
        spent = store.spent("opt-1")
        assert (spent.calls, spent.cached_calls) == (7, 2)
        assert spent.cost_usd == pytest.approx(1.0)
        store.close()
