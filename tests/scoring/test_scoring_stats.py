"""Case-level bootstrap intervals and paired tests."""

from __future__ import annotations

import numpy as np
import pytest

from harness.scoring.metrics import ratio
from harness.scoring.stats import (
    bootstrap,
    bootstrap_matrix,
    count_matrix,
    defined_cases,
    named_columns,
    paired_bootstrap,
    permutation_test,
    resample_weights,
)

ACCURACY = {"accuracy": lambda c: ratio(c["hits"], c["n"])}


def _rows(n_cases: int, rate: float, seed: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, size=n_cases)
    hits = rng.binomial(sizes, rate)
    return [{"hits": int(h), "n": int(s)} for h, s in zip(hits, sizes, strict=True)]


def test_resample_weights_are_draw_counts():
    chunks = list(resample_weights(n_cases=7, n_resamples=5, seed=3))
    weights = np.vstack(chunks)
    assert weights.shape == (5, 7)
    assert (weights.sum(axis=1) == 7).all() and (weights >= 0).all()
    assert np.array_equal(weights, np.round(weights))


def test_point_estimate_is_the_ratio_of_sums():
    rows = [{"hits": 1, "n": 1}, {"hits": 0, "n": 3}]
    assert bootstrap(rows, ACCURACY, n_resamples=10)["accuracy"].value == pytest.approx(1 / 4)


def test_single_case_gives_a_degenerate_interval():
    estimate = bootstrap([{"hits": 2, "n": 5}], ACCURACY, n_resamples=50)["accuracy"]
    assert (estimate.value, estimate.low, estimate.high) == (0.4, 0.4, 0.4)


def test_count_matrix_fills_missing_counts_with_zero_in_the_given_order():
    names, matrix = count_matrix([{"n": 2, "hits": 1}, {"n": 3}], ["n", "hits", "other"])
    assert names == ["n", "hits", "other"]
    assert matrix.tolist() == [[2.0, 1.0, 0.0], [3.0, 0.0, 0.0]]
    assert count_matrix([{"b": 1}, {"a": 2}])[0] == ["a", "b"]  # sorted union by default
    assert count_matrix([])[1].shape == (0, 0)


def test_a_prebuilt_matrix_gives_the_same_estimates_and_defined_counts():
    rows = [*_rows(30, 0.6, seed=5), {"hits": 0, "n": 0}, {"hits": 0, "n": 0}]
    names, matrix = count_matrix(rows)
    direct = bootstrap(rows, ACCURACY, n_resamples=200, seed=4)
    assert bootstrap_matrix(names, matrix, ACCURACY, n_resamples=200, seed=4) == direct
    # the two cases without a question are left out of n: 30 of 32, counted by hand
    assert defined_cases(ACCURACY["accuracy"], named_columns(names, matrix)) == 30


def test_seeded_and_deterministic():
    rows = _rows(60, 0.7, seed=0)
    first = bootstrap(rows, ACCURACY, n_resamples=500, seed=11)["accuracy"]
    again = bootstrap(rows, ACCURACY, n_resamples=500, seed=11)["accuracy"]
    other = bootstrap(rows, ACCURACY, n_resamples=500, seed=12)["accuracy"]
    assert first == again
    assert first.interval != other.interval


def test_interval_contains_the_estimate_and_shrinks_with_more_cases():
    small = bootstrap(_rows(100, 0.7, seed=1), ACCURACY, n_resamples=1000)["accuracy"]
    large = bootstrap(_rows(10_000, 0.7, seed=2), ACCURACY, n_resamples=1000)["accuracy"]
    for estimate in (small, large):
        assert estimate.low <= estimate.value <= estimate.high
    # Width scales with 1/sqrt(cases): 100x the cases -> about a tenth of the width.
    assert (large.high - large.low) < (small.high - small.low) / 4
    assert 0.68 < large.value < 0.72


def test_undefined_metrics_have_no_interval():
    estimate = bootstrap([{"hits": 0, "n": 0}], ACCURACY, n_resamples=20)["accuracy"]
    assert (estimate.value, estimate.interval) == (None, None)
    assert bootstrap([], ACCURACY)["accuracy"].value is None


def test_identical_runs_do_not_differ():
    rows = _rows(50, 0.6, seed=4)
    paired = paired_bootstrap(rows, rows, ACCURACY, n_resamples=300)["accuracy"]
    assert (paired.diff, paired.low, paired.high, paired.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert permutation_test(rows, rows, ACCURACY, n_permutations=300)["accuracy"] == 1.0


def test_a_clearly_better_run_is_detected():
    better = [{"hits": 4, "n": 4} for _ in range(80)]
    worse = [{"hits": 2, "n": 4} for _ in range(80)]
    paired = paired_bootstrap(better, worse, ACCURACY, n_resamples=500, seed=5)["accuracy"]
    assert paired.diff == pytest.approx(0.5)
    assert paired.low == pytest.approx(0.5) and paired.high == pytest.approx(0.5)
    assert paired.p_value == 0.0
    p_value = permutation_test(better, worse, ACCURACY, n_permutations=999, seed=5)["accuracy"]
    # No random swap of 80 cases reproduces a 0.5 gap: p = 1 / (1 + 999).
    assert p_value == pytest.approx(1 / 1000)


def test_a_noisy_difference_has_an_interval_around_it():
    a, b = _rows(400, 0.75, seed=6), _rows(400, 0.70, seed=7)
    paired = paired_bootstrap(a, b, ACCURACY, n_resamples=1000, seed=0)["accuracy"]
    assert paired.low < paired.diff < paired.high
    assert paired.diff == pytest.approx(paired.a - paired.b)


def test_paired_runs_must_cover_the_same_cases():
    with pytest.raises(ValueError, match="same cases"):
        paired_bootstrap({"c1": {"hits": 1, "n": 1}}, {"c2": {"hits": 1, "n": 1}}, ACCURACY)
    with pytest.raises(ValueError, match="same cases"):
        permutation_test([{"hits": 1, "n": 1}], [], ACCURACY)


def test_mappings_are_aligned_by_case_id():
    a = {"c1": {"hits": 1, "n": 1}, "c2": {"hits": 0, "n": 1}}
    b = {"c2": {"hits": 0, "n": 1}, "c1": {"hits": 1, "n": 1}}
    assert paired_bootstrap(a, b, ACCURACY, n_resamples=50)["accuracy"].high == 0.0


def test_small_sample_flags_by_hand():
    from harness.scoring.stats import small_sample

    assert small_sample(19) == "19 cases (fewer than 20)"
    assert small_sample(20) is None
    assert small_sample(5) == "5 cases (fewer than 20)"  # cases are the clusters: said once
    assert small_sample(0) is None  # nothing computed, nothing to flag
    # a per-category figure: 40 questions from 9 conversations
    assert small_sample(40, 9, unit="questions") == "interval from 9 cases (fewer than 10)"
    assert small_sample(40, 10, unit="questions") is None
    assert small_sample(12, 12, unit="questions") == "12 questions (fewer than 20)"
