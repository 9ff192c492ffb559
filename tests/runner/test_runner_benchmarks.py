"""Imported benchmarks through the whole runner: provenance-defined retrieval and honest n/a.

The sample is the hand-written per-conversation LoCoMo files in ``tests/data/samples/locomo_v2``
(two conversations, three sessions, seven observations, five questions). Every session is
partial (observations are not exhaustive labels).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from runner_helpers import results, run

from harness.data.importers import import_locomo, write_cases
from harness.runner import RunConfig

SAMPLE = Path(__file__).parents[1] / "data" / "samples" / "locomo_v2"


@pytest.fixture(scope="module")
def locomo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("locomo") / "locomo.jsonl"
    write_cases(import_locomo(SAMPLE).cases, out)
    return out


def _config(dataset: Path, model: str) -> RunConfig:
    return RunConfig(dataset=str(dataset), model=model, matcher="exact", n_resamples=0)


def test_oracle_finds_the_evidence_in_the_gold_state(locomo, tmp_path):
    result = run(_config(locomo, "baseline/oracle"), tmp_path / "r.duckdb")
    assert result.errors == 0
    # observations carry their dia_ids, so gold memories are relevant by provenance
    assert result.metrics["gold_vector_recall@10"].value > 0
    assert result.metrics["e2e_vector_recall@10"].value > 0
    assert result.metrics["insert_recall"].value == 1.0
    # every session is partial: nothing to compute precision or exact sessions on
    assert result.metrics["insert_precision"].value is None
    assert result.metrics["exact_session_accuracy"].value is None
    assert result.metrics["exact_session_accuracy"].n == 0


def test_noop_reports_na_not_perfect_on_unlabeled_sessions(locomo, tmp_path):
    result = run(_config(locomo, "baseline/noop"), tmp_path / "r.duckdb")
    for name in ("insert_precision", "micro_precision", "exact_session_accuracy"):
        assert result.metrics[name].value is None, name
    assert result.metrics["insert_recall"].value == 0.0  # 7 observations, none stored
    assert result.metrics["insert_f1"].value is None


def test_heuristic_predictions_on_unlabeled_sessions_are_counted_per_op_type(locomo, tmp_path):
    db = tmp_path / "r.duckdb"
    result = run(_config(locomo, "baseline/heuristic"), db)
    with results(db) as store:
        rows = store.case_results(result.run_id)
    unlabeled = sum(row.counts["insert_unlabeled"] for row in rows)
    assert unlabeled > 0
    assert sum(row.counts["insert_fp"] for row in rows) == 0  # not counted as spurious
    assert sum(row.counts["labeled_sessions"] for row in rows) == 0
    assert result.metrics["insert_precision"].value is None
