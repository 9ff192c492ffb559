"""The per-case Pareto front of candidates, and seeded choices made from it (all pure).

A candidate is on the front when it scores best (ties included) on at least one training case and
no other candidate dominates it (at least as good on every case, better on one). Keeping every
such candidate, not only the best average, preserves templates that fix different cases: a later
proposal can start from either and combine what both learned. Candidates with identical score
vectors are one point of the front; the oldest stands for them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

Scores = Mapping[str, Mapping[str, float]]
"""candidate id -> case id -> per-case score (candidates in creation order)."""

_EPS = 1e-9


def _complete(scores: Scores, cases: Sequence[str]) -> list[str]:
    """Candidates scored on every case, in creation order."""
    return [c for c, row in scores.items() if all(case in row for case in cases)]


def dominates(a: Mapping[str, float], b: Mapping[str, float], cases: Sequence[str]) -> bool:
    """``a`` is at least as good as ``b`` on every case and better on one."""
    better = False
    for case in cases:
        if a[case] < b[case] - _EPS:
            return False
        if a[case] > b[case] + _EPS:
            better = True
    return better


def case_winners(scores: Scores, cases: Sequence[str]) -> dict[str, list[str]]:
    """For each case, the fully scored candidates that reach the best score on it."""
    candidates = _complete(scores, cases)
    winners: dict[str, list[str]] = {}
    for case in cases:
        if not candidates:
            winners[case] = []
            continue
        best = max(scores[c][case] for c in candidates)
        winners[case] = [c for c in candidates if scores[c][case] >= best - _EPS]
    return winners


def pareto_front(scores: Scores, cases: Sequence[str]) -> dict[str, int]:
    """Front members -> the number of cases each wins (the weight of its selection)."""
    winners = case_winners(scores, cases)
    wins: dict[str, int] = {}
    for case in cases:
        for candidate in winners[case]:
            wins[candidate] = wins.get(candidate, 0) + 1
    members = [c for c in _complete(scores, cases) if c in wins]
    front: dict[str, int] = {}
    for candidate in members:
        row = scores[candidate]
        if any(dominates(scores[other], row, cases) for other in members if other != candidate):
            continue
        if any(_same(scores[kept], row, cases) for kept in front):
            continue
        front[candidate] = wins[candidate]
    return front


def _same(a: Mapping[str, float], b: Mapping[str, float], cases: Sequence[str]) -> bool:
    return all(abs(a[case] - b[case]) <= _EPS for case in cases)


def rng_for(seed: int, iteration: int, purpose: str) -> random.Random:
    """A generator that depends only on (seed, iteration, purpose), so a resumed search repeats
    exactly the choices the interrupted one would have made."""
    return random.Random(f"{seed}:{iteration}:{purpose}")


def sample_parent(front: Mapping[str, int], rng: random.Random) -> str:
    """A front member drawn with probability proportional to the cases it wins."""
    if not front:
        raise ValueError("the Pareto front is empty")
    members = list(front)
    return rng.choices(members, weights=[front[m] for m in members], k=1)[0]


def failing_cases(row: Mapping[str, float], cases: Sequence[str]) -> list[str]:
    """The cases (in the given order) where a candidate falls short of a perfect score."""
    return [case for case in cases if row[case] < 1.0 - _EPS]


def pick_minibatch(failing: Sequence[str], size: int, rng: random.Random) -> list[str]:
    """Up to ``size`` of the failing cases, drawn without replacement, in their original order."""
    if len(failing) <= size:
        return list(failing)
    chosen = set(rng.sample(list(failing), size))
    return [case for case in failing if case in chosen]


def mean(row: Mapping[str, float], cases: Sequence[str]) -> float:
    return sum(row[case] for case in cases) / len(cases) if cases else 0.0
