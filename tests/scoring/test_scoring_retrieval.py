"""Retrieval metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from harness.scoring.retrieval import (
    Provenance,
    map_relevant,
    retrieval_columns,
    retrieval_metrics,
    score_levels,
    score_provenance,
    score_ranking,
    unsourced_counts,
)
from harness.scoring.stats import bootstrap

INV_LOG2_3 = 1 / math.log2(3)  # discount at rank 2
INV_LOG2_5 = 1 / math.log2(5)  # discount at rank 4


def test_ranking_metrics_by_hand():
    score = score_ranking(["b", "a", "d", "c"], {"a", "c"})
    # Relevant at ranks 2 and 4.
    assert score.recall == {1: 0.0, 3: 0.5, 5: 1.0, 10: 1.0}
    assert score.mrr == 0.5
    assert score.ndcg[1] == 0.0
    # DCG@3 = 1/log2(3); ideal DCG@3 with two relevant = 1 + 1/log2(3).
    assert score.ndcg[3] == pytest.approx(INV_LOG2_3 / (1 + INV_LOG2_3))
    # DCG@5 = 1/log2(3) + 1/log2(5); ideal unchanged.
    assert score.ndcg[5] == pytest.approx((INV_LOG2_3 + INV_LOG2_5) / (1 + INV_LOG2_3))
    assert score.relevant_ranks == (2, 4)


def test_perfect_and_empty_rankings():
    perfect = score_ranking(["a", "c", "x"], ["a", "c"])
    assert perfect.recall[1] == 0.5 and perfect.recall[3] == 1.0
    assert perfect.mrr == 1.0 and perfect.ndcg == {1: 1.0, 3: 1.0, 5: 1.0, 10: 1.0}
    nothing = score_ranking([], ["a"])
    assert nothing.mrr == 0.0 and nothing.recall[10] == 0.0 and nothing.ndcg[10] == 0.0


def test_duplicates_in_a_ranking_count_once():
    assert score_ranking(["b", "b", "a"], ["a"]).mrr == 0.5


def test_a_query_needs_relevant_ids():
    with pytest.raises(ValueError, match="relevant"):
        score_ranking(["a"], [])


def test_provenance_metrics_by_hand():
    sources = {"x": ["t1", "t2"], "y": ["t3"], "z": ["t9"], "w": ["t5"]}
    score = score_provenance(["z", "x", "y"], sources, ["t1", "t3", "t5"], ks=(1, 3, 5))
    # Evidence coverage: top-1 covers nothing, top-3 covers t1 and t3 of three messages.
    assert score.recall == {1: 0.0, 3: pytest.approx(2 / 3), 5: pytest.approx(2 / 3)}
    # Relevant memories in the store: x, y, w. First relevant (x) at rank 2.
    assert score.n_relevant == 3 and score.mrr == 0.5
    # DCG@3 = 1/log2(3) + 1/log2(4); ideal with three relevant = 1 + 1/log2(3) + 1/2.
    assert score.ndcg[3] == pytest.approx((INV_LOG2_3 + 0.5) / (1 + INV_LOG2_3 + 0.5))


def test_provenance_when_evidence_was_never_stored_scores_zero():
    score = score_provenance(["z"], {"z": ["t9"]}, ["t1"], ks=(1,))
    assert (score.recall[1], score.mrr, score.ndcg[1], score.n_relevant) == (0.0, 0.0, 0.0, 0)


def test_provenance_needs_sources_of_retrieved_memories():
    with pytest.raises(ValueError, match="no provenance"):
        score_provenance(["q"], {"z": ["t9"]}, ["t1"])


def test_map_relevant_marks_unmatched_refs():
    mapped = map_relevant(["g1", "m1", "g2"], {"g1": "a1", "m1": "m1"})
    assert mapped == ["a1", "m1", "unmatched:g2"]


def test_retrieval_aggregates_are_means_over_queries():
    # Case 1 has two queries (recall@1 = 1 and 0), case 2 one query (recall@1 = 1).
    case1 = retrieval_columns([score_ranking(["a"], ["a"]), score_ranking(["b"], ["a"])])
    case2 = retrieval_columns([score_ranking(["a", "b"], ["a"])])
    assert case1["queries"] == 2 and case1["recall@1"] == 1.0
    estimates = bootstrap([case1, case2], retrieval_metrics(), n_resamples=200, seed=1)
    assert estimates["recall@1"].value == pytest.approx(2 / 3)  # (1 + 0 + 1) / 3 queries
    assert estimates["mrr"].value == pytest.approx(2 / 3)
    low, high = estimates["recall@1"].interval
    assert 0.0 <= low <= 2 / 3 <= high <= 1.0


SESSION_OF = {"s1:0": "s1", "s1:1": "s1", "s2:0": "s2", "s2:3": "s2", "s3:0": "s3"}
LEVEL_SOURCES = {"x": ["s1:0", "s1:1"], "y": ["s2:3"], "z": [], "w": ["s3:0"]}


def test_turn_and_session_levels_by_hand():
    # marked turn s2:3; session s1 is evidence as a whole (no marked turn in it)
    levels = score_levels(
        ["z", "x", "w", "y"], LEVEL_SOURCES, ["s2:3"], ["s1"], SESSION_OF, ks=(1, 3, 5)
    )
    turn, session = levels["turn"], levels["session"]
    # turn level: only y cites s2:3, at rank 4
    assert turn.recall == {1: 0.0, 3: 0.0, 5: 1.0}
    assert turn.n_relevant == 1 and turn.mrr == 0.25
    assert turn.ndcg[5] == pytest.approx(INV_LOG2_5)  # ideal DCG with one relevant = 1
    # session level: evidence sessions s1 (given) and s2 (of the marked turn); x covers s1 at
    # rank 2, y covers s2 at rank 4; z cites nothing, w only s3
    assert session.recall == {1: 0.0, 3: 0.5, 5: 1.0}
    assert session.n_relevant == 2 and session.mrr == 0.5
    assert session.ndcg[3] == pytest.approx(INV_LOG2_3 / (1 + INV_LOG2_3))
    assert session.ndcg[5] == pytest.approx((INV_LOG2_3 + INV_LOG2_5) / (1 + INV_LOG2_3))


def test_indexed_provenance_scores_as_the_plain_mapping():
    index = Provenance(LEVEL_SOURCES)
    assert dict(index) == {mid: frozenset(srcs) for mid, srcs in LEVEL_SOURCES.items()}
    assert index.covers({"s2:3", "s9:9"}) == {"y": {"s2:3"}}
    rankings = [["z", "x", "w", "y"], ["y"], [], ["w", "w", "x"]]
    evidence = [["s2:3"], ["s1:1", "s2:3"], ["s3:1"], ["s9:9"]]
    for ranked in rankings:
        for turns in evidence:
            plain = score_provenance(ranked, LEVEL_SOURCES, turns, ks=(1, 3))
            assert score_provenance(ranked, index, turns, ks=(1, 3)) == plain
            plain_levels = score_levels(ranked, LEVEL_SOURCES, turns, ["s1"], SESSION_OF)
            assert score_levels(ranked, index, turns, ["s1"], SESSION_OF) == plain_levels
    assert index.by_session(SESSION_OF) is index.by_session(SESSION_OF)  # built once
    with pytest.raises(ValueError, match="no provenance"):
        score_provenance(["q"], index, ["s1:1"])


def test_a_level_without_evidence_is_absent_not_zero():
    levels = score_levels(["x"], LEVEL_SOURCES, [], ["s1"], SESSION_OF, ks=(1,))
    assert set(levels) == {"session"} and levels["session"].recall == {1: 1.0}
    assert score_levels(["x"], LEVEL_SOURCES, [], [], SESSION_OF) == {}


def test_unsourced_memories_are_counted():
    assert unsourced_counts(LEVEL_SOURCES) == {
        "provenance_memories": 4.0,
        "provenance_unsourced": 1.0,
    }
    assert unsourced_counts({}) == {"provenance_memories": 0.0, "provenance_unsourced": 0.0}
