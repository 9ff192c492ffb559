"""The exact assignment behind insert and final-state matching."""

from __future__ import annotations

import itertools
import random

import pytest

from harness.scoring._assign import match_accepted, max_weight_assignment


def _brute_force(weights):
    n, m = len(weights), len(weights[0])
    best = 0.0
    if n <= m:
        for cols in itertools.permutations(range(m), n):
            best = max(best, sum(max(weights[i][j], 0.0) for i, j in enumerate(cols)))
    else:
        for rows in itertools.permutations(range(n), m):
            best = max(best, sum(max(weights[i][j], 0.0) for j, i in enumerate(rows)))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_hungarian_matches_brute_force(seed):
    rng = random.Random(seed)
    n, m = rng.randint(1, 5), rng.randint(1, 5)
    weights = [[rng.choice([0.0, round(rng.random(), 3)]) for _ in range(m)] for _ in range(n)]
    pairs = max_weight_assignment(weights)
    assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
    assert all(weights[i][j] > 0 for i, j in pairs)
    assert sum(weights[i][j] for i, j in pairs) == pytest.approx(_brute_force(weights))


def test_greedy_would_be_wrong():
    # Greedy takes (0,0)=0.9 and leaves row 1 unmatched; the optimum pairs both rows.
    weights = [[0.9, 0.8], [0.7, 0.0]]
    assert sorted(max_weight_assignment(weights)) == [(0, 1), (1, 0)]


def test_required_rows_win_over_similarity():
    # Row 0 is required, row 1 optional; both only accept column 0, row 1 more strongly.
    assert match_accepted([[0.6], [0.99]], [True, False]) == {0: 0}


def test_more_matches_win_over_total_similarity():
    # One pair at 0.99 versus two pairs at 0.55 each: two matches win.
    sims = [[0.99, 0.55], [0.55, None]]
    assert match_accepted(sims, [True, True]) == {0: 1, 1: 0}


def test_rejected_pairs_are_never_matched():
    assert match_accepted([[None, None]], [True]) == {}
    assert max_weight_assignment([]) == []
