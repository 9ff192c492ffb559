"""Gold ops fed back as predictions must score exactly 1.0 on every extraction metric."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.data import detect_kind, load_dataset, load_pairs
from harness.scoring import aggregate, check_key_terms, get_matcher, score_case
from harness.scoring.gold import gold_states

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
CASE_FILES = sorted(p for p in DATASETS.glob("*.jsonl") if detect_kind(p) == "cases")
PERFECT = [
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
]


def _bundled_cases():
    return [case for path in CASE_FILES for case in load_dataset(path)]


def _assert_perfect(scores):
    metrics = aggregate(scores, n_resamples=0)
    for name in PERFECT:
        assert metrics.values[name] == 1.0, name
    assert metrics.values["nothing_to_store_fpr"] in (0.0, None)
    assert sum(metrics.confusions.values()) == 0


def test_bundled_datasets_exist():
    assert CASE_FILES, "no bundled case files found"


def test_oracle_is_perfect_on_the_fixture(fixture_cases, f1_matcher, oracle):
    scores = []
    for case, _, _ in fixture_cases:
        predicted, final = oracle(case)
        scores.append(score_case(case, predicted, final, f1_matcher))
    _assert_perfect(scores)


@pytest.mark.parametrize("matcher_name", ["exact", "token_f1"])
def test_oracle_is_perfect_on_bundled_data(matcher_name, oracle):
    matcher = get_matcher(matcher_name)
    scores = []
    for case in _bundled_cases():
        predicted, final = oracle(case)
        scores.append(score_case(case, predicted, final, matcher))
    _assert_perfect(scores)


@pytest.mark.slow
def test_oracle_is_perfect_with_the_default_matcher(oracle):
    matcher = get_matcher()  # embedding (real MiniLM) + key terms, calibrated threshold
    scores = []
    for case in _bundled_cases():
        predicted, final = oracle(case)
        scores.append(score_case(case, predicted, final, matcher))
    _assert_perfect(scores)


def test_every_gold_content_passes_its_own_key_terms():
    """Else even a perfect prediction would be rejected (and the oracle could not score 1.0)."""
    failures = []
    for case in _bundled_cases():
        for state in gold_states(case)[1:]:
            for memory in state.memories.values():
                check = check_key_terms(memory.text, memory.require, memory.forbid)
                if not check.ok:
                    failures.append(f"{case.id}/{memory.key}: {check.describe()}")
    assert failures == []


def test_every_pair_gold_side_passes_its_own_key_terms():
    failures = []
    for pair in load_pairs(DATASETS / "matcher_pairs.jsonl"):
        check = check_key_terms(pair.a, pair.require, pair.forbid)
        if not check.ok:
            failures.append(f"{pair.id}: {check.describe()}")
    assert failures == []
