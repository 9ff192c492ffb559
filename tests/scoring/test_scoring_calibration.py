"""Threshold calibration and pair-set evaluation, and the stored calibration being current."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.data import load_pairs
from harness.data.models import MatcherPair
from harness.scoring import get_matcher
from harness.scoring.calibration import (
    best_threshold,
    calibrate,
    calibrate_file,
    evaluate,
    load_calibration,
    markdown_tables,
)

PAIRS_FILE = Path(__file__).resolve().parents[2] / "datasets" / "matcher_pairs.jsonl"


def test_threshold_between_the_classes():
    # Negatives at 0.2 and 0.4, positives at 0.6 and 0.8: midpoint of the gap.
    assert best_threshold([0.2, 0.4, 0.6, 0.8], [False, False, True, True]) == pytest.approx(0.5)


def test_ties_go_to_the_lowest_run_of_best_intervals():
    # Accuracy per interval: accept all 1/3, above 0.1 -> 2/3, above 0.5 -> 1/3, none -> 2/3.
    # Best: "above 0.1" and "none", not adjacent: the lower one wins, midpoint (0.1 + 0.5) / 2.
    assert best_threshold([0.1, 0.5, 0.9], [False, True, False]) == pytest.approx(0.3)


def test_a_plateau_takes_its_midpoint():
    # Two pairs tie at 0.5 with opposite labels, so moving past 0.5 keeps 3/4 correct: the
    # best run spans (0.2, 0.8] and the threshold is its midpoint.
    threshold = best_threshold([0.2, 0.5, 0.5, 0.8], [False, True, False, True])
    assert threshold == pytest.approx(0.5)


def test_reject_everything_lies_just_above_the_top_score():
    threshold = best_threshold([0.3, 0.7], [False, False])
    assert threshold > 0.7 and threshold == math.nextafter(0.7, math.inf)


def test_gates_first_then_accuracy_without_them():
    # Scores 0.3 (neg), 0.6 (pos), 0.9 (neg whose gate fails, so it is always rejected).
    # Gated accuracy: all -> 2/3 (0.3 wrong), above 0.3 -> 3/3, above 0.6 -> 2/3, none -> 2/3.
    assert best_threshold([0.3, 0.6, 0.9], [False, True, False], [True, True, False]) == (
        pytest.approx(0.45)
    )
    # A gated tie is broken by accuracy without the gates: with the 0.6 negative vetoed, both
    # "above 0.3" and "above 0.6" are perfect; without gates only "above 0.6" is (3/3 vs 2/3).
    scores, labels, gates = [0.3, 0.6, 0.9], [False, False, True], [True, False, True]
    assert best_threshold(scores, labels, gates) == pytest.approx(0.75)
    assert best_threshold([], []) == 0.5


def _pair(pid, a, b, same, require=(), forbid=(), tags=()):
    return MatcherPair(
        id=pid, a=a, b=b, same=same, require=list(require), forbid=list(forbid), tags=list(tags)
    )


TINY = [
    # token F1 by hand (SQuAD tokens):
    _pair("t1", "User likes green tea", "User likes green tea a lot", True, ["green"],
          tags=["paraphrase"]),  # 4 shared of 4/5 tokens -> F1 8/9
    _pair("t2", "User likes green tea", "User likes black tea", False, ["green"], ["black"],
          tags=["changed-value"]),  # 3 of 4/4 -> F1 0.75, key terms fail
    _pair("t3", "User likes green tea", "Green tea is what the user likes", True, ["green"],
          tags=["reordered"]),  # 4 shared of 4/6 tokens -> F1 0.8
    _pair("t4", "User lives in Oslo", "User works in Oslo", False, ["lives"],
          tags=["different-attribute"]),  # 3 of 4/4 -> 0.75, "lives" missing
    _pair("t5", "User lives in Oslo", "User's sister owns a boat", False,
          tags=["unrelated"]),  # user only: 1 of 4/5 -> F1 2/9
]  # fmt: skip


def test_calibrate_and_evaluate_a_tiny_set():
    matcher = get_matcher("token_f1")
    result = calibrate(matcher, TINY)
    # With key terms t2/t4 (0.75) are vetoed, so "above 2/9" and "above 0.75" both get 5/5.
    # Without key terms only "above 0.75" does (it rejects the 0.75 negatives), so the tie
    # goes there: midpoint (0.75 + 0.8) / 2.
    assert result.threshold == pytest.approx(0.775)
    assert result.with_key_terms.accuracy == 1.0
    # Without key terms the same cut (0.75, 0.8] is best too: accuracy 5/5.
    assert result.without_key_terms.threshold == pytest.approx(0.775)
    report = evaluate(matcher.with_options(threshold=0.7, key_terms=False), TINY)
    # At 0.7 without key terms: t1, t3 accepted (TP 2); t2, t4 accepted (FP 2); t5 rejected.
    assert (report.tp, report.fp, report.tn, report.fn) == (2, 2, 1, 0)
    assert report.accuracy == pytest.approx(3 / 5)
    assert report.precision == pytest.approx(0.5) and report.recall == 1.0
    assert report.f1 == pytest.approx(4 / 6)
    assert report.per_tag["changed-value"].accuracy == 0.0
    assert report.per_tag["unrelated"].accuracy == 1.0
    assert report.errors == ["t2", "t4"]


@pytest.mark.slow
def test_stored_calibration_is_current():
    """Re-calibrate on the shipped pairs: the committed numbers must match (re-run
    ``harness matchers calibrate`` after changing the pairs or a matcher)."""
    stored = load_calibration()
    assert stored is not None
    assert stored.pairs_hash == load_pairs(PAIRS_FILE).content_hash, "pairs changed"
    fresh = calibrate_file(PAIRS_FILE)
    assert set(fresh.matchers) == set(stored.matchers)
    for name, entry in fresh.matchers.items():
        old = stored.matchers[name]
        assert entry.threshold == pytest.approx(old.threshold, abs=1e-6), name
        for variant in ("with_key_terms", "without_key_terms"):
            new_report, old_report = getattr(entry, variant), getattr(old, variant)
            assert new_report.threshold == pytest.approx(old_report.threshold, abs=1e-6)
            counts = ("tp", "fp", "tn", "fn")
            assert [getattr(new_report, c) for c in counts] == [
                getattr(old_report, c) for c in counts
            ], f"{name} {variant}"
    embedding = stored.matchers["embedding"]
    # The design's warning holds: cosine alone is weak on hard negatives; key terms lift it.
    assert embedding.without_key_terms.accuracy < 0.62
    assert embedding.with_key_terms.accuracy > embedding.without_key_terms.accuracy + 0.1


def test_docs_show_the_stored_calibration():
    page = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"
    assert markdown_tables(load_calibration()) in page.read_text(encoding="utf-8"), (
        "docs/scoring.md calibration tables differ from calibration.json: paste "
        "harness.scoring.calibration.markdown_tables(load_calibration())"
    )
