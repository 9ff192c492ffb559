"""One-to-one matching by content: an exact maximum-weight assignment.

The Hungarian algorithm (Kuhn-Munkres with potentials, O(n^2 m)) in pure Python: scoring needs no
SciPy, and sessions hold a handful of ops, so the cubic cost is negligible. Ties are broken by
input order, so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence


def max_weight_assignment(weights: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """Row/column pairs maximising the total weight; pairs of weight <= 0 are left out.

    With all useful weights positive, the best full assignment of the (implicitly zero-padded)
    matrix is a maximum-weight matching.
    """
    n = len(weights)
    m = len(weights[0]) if n else 0
    if n == 0 or m == 0:
        return []
    if n > m:
        transposed = [[weights[i][j] for i in range(n)] for j in range(m)]
        return sorted((i, j) for j, i in max_weight_assignment(transposed))
    cost = [[-float(w) for w in row] for row in weights]
    columns = _hungarian(cost, n, m)
    return [(i, j) for i, j in enumerate(columns) if weights[i][j] > 0]


def _hungarian(cost: list[list[float]], n: int, m: int) -> list[int]:
    """Minimum-cost assignment of every row (n <= m) to a distinct column; returns row -> col."""
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    owner = [0] * (m + 1)  # owner[j]: 1-based row assigned to column j (0 = free)
    way = [0] * (m + 1)
    for row in range(1, n + 1):
        owner[0] = row
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = owner[j0]
            delta = inf
            j1 = 0
            for j in range(1, m + 1):
                if used[j]:
                    continue
                current = cost[i0 - 1][j - 1] - u[i0] - v[j]
                if current < minv[j]:
                    minv[j] = current
                    way[j] = j0
                if minv[j] < delta:
                    delta = minv[j]
                    j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    columns = [0] * n
    for j in range(1, m + 1):
        if owner[j]:
            columns[owner[j] - 1] = j - 1
    return columns


def match_accepted(
    similarities: Sequence[Sequence[float | None]], required: Sequence[bool]
) -> dict[int, int]:
    """Pair rows (gold) with columns (predicted) one-to-one among accepted pairs.

    ``similarities[i][j]`` is the similarity of an accepted pair, None for a rejected one. The
    objective is lexicographic: first the most required rows matched, then the most rows
    matched, then the largest total similarity (clipped to [0, 1]). It is encoded in one weight
    per pair, with each tier worth more than any sum of the tiers below it.
    """
    count = len(similarities)
    pair_tier = count + 1.0  # one more match outweighs any total similarity
    required_tier = (count + 1.0) * (pair_tier + 1.0)  # one more required match outweighs all
    weights = [
        [
            0.0
            if sim is None
            else (required_tier if required[i] else 0.0) + pair_tier + min(max(sim, 0.0), 1.0)
            for sim in row
        ]
        for i, row in enumerate(similarities)
    ]
    return dict(max_weight_assignment(weights))
