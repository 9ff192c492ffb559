"""Pure ranking helpers: reciprocal-rank fusion and deterministic ordering."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

RRF_K = 60
"""The usual reciprocal-rank-fusion constant: a rank-1 hit is worth 1/61."""

H = TypeVar("H", bound=Hashable)


def rrf(rankings: Sequence[Sequence[H]], *, k: int = RRF_K) -> dict[H, float]:
    """Reciprocal-rank fusion: each id scores the sum of ``1 / (k + rank)`` over the rankings."""
    fused: dict[H, float] = {}
    for ranking in rankings:
        for rank, item_id in enumerate(ranking, start=1):
            fused[item_id] = fused.get(item_id, 0.0) + 1.0 / (k + rank)
    return fused


class _Ranked(Protocol):
    @property
    def namespace(self) -> tuple[str, ...]: ...
    @property
    def key(self) -> str: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def score(self) -> float | None: ...


R = TypeVar("R", bound=_Ranked)


def recency_key(item: _Ranked) -> tuple[float, tuple[str, ...], str]:
    """Most recently updated first, then namespace and key."""
    return (-item.updated_at.timestamp(), item.namespace, item.key)


def ranked(items: Iterable[R]) -> list[R]:
    """Best score first; ties broken by recency, then namespace and key (deterministic)."""
    return sorted(items, key=lambda i: (-(i.score or 0.0), *recency_key(i)))
