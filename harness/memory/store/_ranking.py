"""Pure ranking helpers: BM25 over tokens, reciprocal-rank fusion, deterministic ordering."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

RRF_K = 60
"""The usual reciprocal-rank-fusion constant: a rank-1 hit is worth 1/61."""

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP_TEXT = """a an and are as at be but by do does for from has have i in is it its me my of on or
our she he so than that the their them they this to was we were what when where which who why will
with you your"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens without stop words or single letters, lightly stemmed (plurals)."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word in STOP_WORDS or (len(word) == 1 and word.isalpha()):  # "user's" -> user, s
            continue
        out.append(_stem(word))
    return out


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def bm25_scores(
    query: str, documents: Sequence[str], *, k1: float = 1.2, b: float = 0.75
) -> list[float]:
    """Okapi BM25 of ``query`` against each document (0.0 where no query term occurs)."""
    query_terms = set(tokens(query))
    docs = [tokens(d) for d in documents]
    if not query_terms or not docs:
        return [0.0] * len(docs)
    avg_len = sum(len(d) for d in docs) / len(docs) or 1.0
    frequency = Counter(term for d in docs for term in set(d) if term in query_terms)
    scores = []
    for doc in docs:
        counts = Counter(doc)
        score = 0.0
        for term in query_terms:
            tf = counts.get(term, 0)
            if not tf:
                continue
            idf = math.log(1 + (len(docs) - frequency[term] + 0.5) / (frequency[term] + 0.5))
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / avg_len))
        scores.append(score)
    return scores


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
