"""Retrieval metrics per query: recall@k, MRR and nDCG@k with binary relevance.

Two ways to know what is relevant:

- **by id** (:func:`score_ranking`): the query lists relevant memory ids (gold refs mapped to the
  predicted ids by the case's id map). recall@k = relevant ids in the top k / relevant ids;
  MRR = 1 / rank of the first relevant id (0 when none is retrieved); nDCG@k = DCG@k / ideal
  DCG@k with gain 1 for a relevant id at rank r discounted by log2(r + 1).
- **by provenance** (:func:`score_provenance`), for imported benchmarks that mark evidence
  *messages*: a memory is relevant when its source message ids intersect the query's
  ``relevant_messages``. recall@k is then **evidence coverage**: the share of evidence messages
  that appear in the provenance of at least one of the top k memories (several memories may
  cover one message, one memory several). MRR and nDCG@k use the relevant memories of the whole
  store as the binary relevant set; when the store holds no relevant memory at all (the evidence
  was never stored) every metric is 0.0, so an end-to-end run is penalised instead of skipped.
- **by level** (:func:`score_levels`), as LongMemEval reports retrieval: turn-level evidence
  (the marked turns) and session-level evidence (the sessions holding evidence, and sessions
  marked as evidence as a whole) are scored apart, as ``recall_turn@k`` / ``ndcg_turn@k`` and
  ``recall_session@k`` / ``ndcg_session@k``. A memory covers the sessions its sources lie in.
  A query without turn-level evidence has no turn-level score (it is left out of that
  denominator), never a 0.

A memory whose sources are empty (the model cited no message) is *unsourced*: it never counts as
relevant by provenance, and :func:`unsourced_counts` reports how many there are.

Rankings are de-duplicated (first occurrence kept) before scoring.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from harness.scoring.metrics import ratio

DEFAULT_KS = (1, 3, 5, 10)


@dataclass(frozen=True)
class RetrievalScore:
    """The metrics of one query: ``recall[k]``, ``ndcg[k]`` and ``mrr``."""

    recall: dict[int, float]
    ndcg: dict[int, float]
    mrr: float
    n_relevant: int
    relevant_ranks: tuple[int, ...] = field(default=())

    def as_row(self) -> dict[str, float]:
        """Flat ``{"recall@5": ..., "ndcg@5": ..., "mrr": ...}`` for storing and aggregating."""
        row = {f"recall@{k}": v for k, v in self.recall.items()}
        row.update({f"ndcg@{k}": v for k, v in self.ndcg.items()})
        row["mrr"] = self.mrr
        return row


def _dedupe(ranked: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ranked))


def _dcg(flags: Sequence[bool], k: int) -> float:
    return sum(1.0 / math.log2(rank + 1) for rank, hit in enumerate(flags[:k], start=1) if hit)


def _ideal_dcg(n_relevant: int, k: int) -> float:
    return sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, n_relevant) + 1))


def _rank_metrics(flags: list[bool], n_relevant: int, ks: Sequence[int]):
    ranks = tuple(rank for rank, hit in enumerate(flags, start=1) if hit)
    mrr = 1.0 / ranks[0] if ranks else 0.0
    ndcg = {k: (_dcg(flags, k) / _ideal_dcg(n_relevant, k)) if n_relevant else 0.0 for k in ks}
    return ranks, mrr, ndcg


def score_ranking(
    ranked_ids: Sequence[str], relevant: Iterable[str], ks: Sequence[int] = DEFAULT_KS
) -> RetrievalScore:
    """Metrics of a ranking against a non-empty set of relevant ids."""
    relevant_set = set(relevant)
    if not relevant_set:
        raise ValueError("a query needs at least one relevant id to be scored")
    flags = [memory_id in relevant_set for memory_id in _dedupe(ranked_ids)]
    ranks, mrr, ndcg = _rank_metrics(flags, len(relevant_set), ks)
    recall = {k: sum(flags[:k]) / len(relevant_set) for k in ks}
    return RetrievalScore(recall, ndcg, mrr, len(relevant_set), ranks)


class Provenance(Mapping[str, frozenset[str]]):
    """Memory id -> the message ids it was derived from, indexed by message as well, so a
    query's relevant memories are found from its evidence instead of a pass over the store
    (a LoCoMo case scores some 600 rankings against the same store)."""

    def __init__(self, sources: Mapping[str, Iterable[str]]) -> None:
        self._sources = {mid: frozenset(srcs) for mid, srcs in sources.items()}
        self._citing: dict[str, list[str]] = {}
        for mid, srcs in self._sources.items():
            for message in srcs:
                self._citing.setdefault(message, []).append(mid)
        self._sessions: tuple[Mapping[str, str], Provenance] | None = None

    def __getitem__(self, mid: str) -> frozenset[str]:
        return self._sources[mid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def covers(self, evidence: set[str]) -> dict[str, set[str]]:
        """Each memory citing some of ``evidence``, with the evidence it cites."""
        out: dict[str, set[str]] = {}
        for message in evidence:
            for mid in self._citing.get(message, ()):
                out.setdefault(mid, set()).add(message)
        return out

    def by_session(self, session_of: Mapping[str, str]) -> Provenance:
        """The same memories citing the sessions their sources lie in (kept for the last
        ``session_of`` asked)."""
        if self._sessions is None or self._sessions[0] is not session_of:
            cited = {
                mid: {session_of[m] for m in srcs if m in session_of}
                for mid, srcs in self._sources.items()
            }
            self._sessions = (session_of, Provenance(cited))
        return self._sessions[1]


def score_provenance(
    ranked_ids: Sequence[str],
    sources: Mapping[str, Iterable[str]],
    relevant_messages: Iterable[str],
    ks: Sequence[int] = DEFAULT_KS,
) -> RetrievalScore:
    """Metrics when relevance is known by evidence messages.

    ``sources`` maps every memory id of the store searched (at least every retrieved one) to the
    message ids it was derived from.
    """
    evidence = set(relevant_messages)
    if not evidence:
        raise ValueError("a query needs at least one relevant message to be scored")
    index = sources if isinstance(sources, Provenance) else Provenance(sources)
    covers = index.covers(evidence)  # the memories that cite evidence, and what they cite
    ranked = _dedupe(ranked_ids)
    unknown = [mid for mid in ranked if mid not in index]
    if unknown:
        raise ValueError(f"no provenance given for retrieved memories {unknown[:5]}")
    n_relevant = len(covers)
    flags = [mid in covers for mid in ranked]
    ranks, mrr, ndcg = _rank_metrics(flags, n_relevant, ks)
    recall = {}
    for k in ks:
        covered = set().union(*(covers.get(mid, ()) for mid in ranked[:k]))
        recall[k] = len(covered) / len(evidence)
    return RetrievalScore(recall, ndcg, mrr, n_relevant, ranks)


LEVELS: tuple[str, ...] = ("turn", "session")
"""Evidence levels scored apart for provenance queries."""


def score_levels(
    ranked_ids: Sequence[str],
    sources: Mapping[str, Iterable[str]],
    turns: Iterable[str],
    sessions: Iterable[str],
    session_of: Mapping[str, str],
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, RetrievalScore]:
    """Turn- and session-level scores of one ranking; a level without evidence is absent.

    ``turns``: the evidence message ids; ``sessions``: sessions that are evidence as a whole;
    ``session_of``: message id -> session id. The session-level evidence is ``sessions`` plus
    the sessions of ``turns``.
    """
    turn_set = list(dict.fromkeys(turns))
    session_set = list(
        dict.fromkeys([*sessions, *(session_of[t] for t in turn_set if t in session_of)])
    )
    out: dict[str, RetrievalScore] = {}
    if turn_set:
        out["turn"] = score_provenance(ranked_ids, sources, turn_set, ks)
    if session_set:
        index = sources if isinstance(sources, Provenance) else Provenance(sources)
        by_session = index.by_session(session_of)
        out["session"] = score_provenance(ranked_ids, by_session, session_set, ks)
    return out


def level_row(score: RetrievalScore, level: str) -> dict[str, float]:
    """``{"recall_turn@5": ..., "ndcg_turn@5": ...}``: the level's recall and nDCG per k."""
    row = {f"recall_{level}@{k}": v for k, v in score.recall.items()}
    row.update({f"ndcg_{level}@{k}": v for k, v in score.ndcg.items()})
    return row


def unsourced_counts(sources: Mapping[str, Iterable[str]]) -> dict[str, float]:
    """``provenance_memories`` (memories in the store) and ``provenance_unsourced`` (those
    citing no message), for the ``unsourced`` share."""
    return {
        "provenance_memories": float(len(sources)),
        "provenance_unsourced": float(sum(1 for srcs in sources.values() if not list(srcs))),
    }


UNMATCHED_PREFIX = "unmatched:"


def map_relevant(relevant: Iterable[str], id_map: Mapping[str, str]) -> list[str]:
    """Gold ids/refs -> predicted memory ids.

    For end-to-end retrieval pass ``CaseScore.final_map`` (gold final memory -> the predicted
    memory holding the same fact); for retrieval over the gold state, relevant keys are the
    store ids already. A key without a partner maps to ``"unmatched:<key>"``, an id no store
    holds: it stays relevant but cannot be retrieved."""
    return [id_map.get(key, UNMATCHED_PREFIX + key) for key in relevant]


def retrieval_columns(scores: Iterable[RetrievalScore]) -> dict[str, float]:
    """Per-case additive columns (metric sums and the query count) for aggregation/bootstrap."""
    totals: dict[str, float] = {"queries": 0.0}
    for score in scores:
        totals["queries"] += 1
        for key, value in score.as_row().items():
            totals[key] = totals.get(key, 0.0) + value
    return totals


def retrieval_metrics(ks: Sequence[int] = DEFAULT_KS) -> dict[str, object]:
    """Formulas (mean over queries) over :func:`retrieval_columns` sums, for stats.bootstrap."""
    names = [f"recall@{k}" for k in ks] + [f"ndcg@{k}" for k in ks] + ["mrr"]
    return {name: (lambda c, n=name: ratio(c.get(n, 0.0), c["queries"])) for name in names}
