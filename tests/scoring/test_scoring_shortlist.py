"""The final-state shortlist: judging only the pairs a matcher shortlists gives the same score as
judging every gold x predicted pair."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scripted_judge import scripted_judge

from harness._async import run_sync
from harness.data.models import Case
from harness.errors import ConfigurationError
from harness.memory.schemas import MemoryOperation
from harness.models.embeddings import Embedder
from harness.scoring._embedding import EmbeddingMatcher, nearest_pairs
from harness.scoring._judge import LLMJudgeMatcher
from harness.scoring.final_state import afinal_candidates, final_state_pairs, predicted_texts
from harness.scoring.gold import gold_states
from harness.scoring.matchers import TokenF1Matcher
from harness.scoring.metrics import _case_pairs, ascore_case, match_case
from harness.scoring.ops import JudgementTable


def _unit(*values: float) -> np.ndarray:
    vector = np.zeros(8, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


ANGLE = math.acos(0.7)
VECTORS = {
    # gold memories
    "User lives in Paris": _unit(1.0),
    "User owns a cat named Tom": _unit(0.0, 1.0),
    "User plays chess": _unit(0.0, 0.0, 1.0),
    # predicted: a paraphrase, one at (about) the threshold, one with the wrong value, noise
    "Lives in Paris": _unit(1.0, 0.05),
    "Has a cat, Tom": _unit(0.0, math.cos(ANGLE), 0.0, 0.0, 0.0, math.sin(ANGLE)),
    "User lives in Lyon": _unit(0.98, 0.0, 0.0, 0.2),
    "Likes rainy weather": _unit(0.0, 0.0, 0.0, 0.0, 1.0),
}


class TableEmbedder(Embedder):
    """Vectors from :data:`VECTORS`, so every cosine is known."""

    def __init__(self) -> None:
        super().__init__("table")

    @property
    def dims(self) -> int:
        return 8

    async def _acompute(self, texts: list[str]) -> np.ndarray:
        return np.stack([VECTORS[text] for text in texts])


CASE = Case.model_validate(
    {
        "id": "shortlist",
        "sessions": [
            {
                "messages": [{"id": "u1", "role": "user", "content": "hi"}],
                "expected": [
                    {"op": "insert", "ref": "paris", "content": "User lives in Paris",
                     "forbid": ["Lyon"]},
                    {"op": "insert", "ref": "cat", "content": "User owns a cat named Tom"},
                    {"op": "insert", "ref": "chess", "content": "User plays chess",
                     "optional": True},
                ],
            }
        ],
    }
)  # fmt: skip
PREDICTED = [
    [
        MemoryOperation(op="insert", id=f"p{i}", kind="Memory", after={"content": text})
        for i, text in enumerate(list(VECTORS)[3:])
    ]
]
FINAL = {op.id: op.after for op in PREDICTED[0]}


@pytest.fixture
def matcher() -> EmbeddingMatcher:
    embedder = TableEmbedder()
    at_threshold = run_sync(
        EmbeddingMatcher(embedder=embedder).asimilarities(
            [("User owns a cat named Tom", "Has a cat, Tom")]
        )
    )[0]
    # the pair's judged cosine is exactly the threshold: accepted, so it must be shortlisted
    return EmbeddingMatcher(embedder=embedder, threshold=at_threshold)


def test_the_shortlist_keeps_the_pairs_that_may_match_and_drops_the_rest(matcher):
    final = predicted_texts(FINAL)
    candidates = run_sync(afinal_candidates(matcher, gold_states(CASE)[-1], final))
    assert candidates is not None
    texts = {key: [final[col][1] for col in cols] for key, cols in candidates.items()}
    assert texts == {
        "paris": ["Lives in Paris", "User lives in Lyon"],  # Lyon: close, key terms reject it
        "cat": ["Has a cat, Tom"],
        "chess": [],
    }
    all_pairs = final_state_pairs(gold_states(CASE)[-1], final)
    assert len(final_state_pairs(gold_states(CASE)[-1], final, candidates)) == 3 < len(all_pairs)


def test_scoring_with_the_shortlist_equals_judging_every_pair(matcher):
    shortlisted = run_sync(ascore_case(CASE, PREDICTED, FINAL, matcher))
    final = predicted_texts(FINAL)
    every = JudgementTable(
        pairs := _case_pairs(CASE, PREDICTED, final), run_sync(matcher.ajudge(pairs))
    )
    full = match_case(CASE, PREDICTED, final, every)
    assert shortlisted.counts == full.counts
    assert shortlisted.final == full.final
    assert (shortlisted.final.tp, shortlisted.final.fp, shortlisted.final.fn) == (2, 2, 0)
    matched = {g.id: g.partner_id for g in shortlisted.final.gold}
    assert matched == {"paris": "p0", "cat": "p1", "chess": None}


def test_a_matcher_without_a_shortlist_judges_every_pair():
    final = predicted_texts(FINAL)
    assert run_sync(afinal_candidates(TokenF1Matcher(), gold_states(CASE)[-1], final)) is None


def test_nearest_pairs_marks_each_rows_and_each_columns_best():
    similarity = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.3]])
    # rows: 0 -> column 0, 1 -> column 1; columns: 0 -> row 0, 1 -> row 1, 2 -> row 0 (0.5 > 0.3)
    assert nearest_pairs(similarity, 1).tolist() == [[True, False, True], [False, True, False]]
    assert nearest_pairs(similarity, 2).all()
    # equal similarities: the earlier index wins
    assert nearest_pairs(np.zeros((2, 2)), 1).tolist() == [[True, True], [True, False]]
    assert nearest_pairs(np.zeros((0, 3)), 1).shape == (0, 3)


_SAME_FACT = {
    ("User lives in Paris", "Lives in Paris"),
    ("User owns a cat named Tom", "Has a cat, Tom"),
}


@pytest.fixture
def judge_model():
    return scripted_judge(lambda reference, candidate: (reference, candidate) in _SAME_FACT)


def test_the_llm_judge_sees_only_each_memorys_nearest_counterparts(judge_model):
    final = predicted_texts(FINAL)
    gold = gold_states(CASE)[-1]
    judge = LLMJudgeMatcher(model=judge_model.model, candidates=1, embedder=TableEmbedder())
    candidates = run_sync(afinal_candidates(judge, gold, final))
    assert candidates is not None
    texts = {key: [final[col][1] for col in cols] for key, cols in candidates.items()}
    assert texts == {
        # its nearest, and the predicted memories nearest to it (rainy weather: a tie at 0)
        "paris": ["Lives in Paris", "User lives in Lyon", "Likes rainy weather"],
        "cat": ["Has a cat, Tom"],
        "chess": ["Lives in Paris"],  # nothing is near: the first of equals
    }
    assert judge.description["candidates"] == 1
    for every in (None, 4):  # no side has more than 4 texts: every pair is judged
        whole = LLMJudgeMatcher(model=judge_model.model, candidates=every, embedder=TableEmbedder())
        assert run_sync(afinal_candidates(whole, gold, final)) is None


def test_scoring_with_the_llm_judges_shortlist_equals_judging_every_pair(judge_model):
    def score(candidates):
        judge = LLMJudgeMatcher(
            model=judge_model.model, candidates=candidates, embedder=TableEmbedder()
        )
        return run_sync(ascore_case(CASE, PREDICTED, FINAL, judge))

    shortlisted, full = score(1), score(None)
    assert shortlisted.final == full.final
    assert (shortlisted.final.tp, shortlisted.final.fp, shortlisted.final.fn) == (2, 2, 0)
    assert {g.id: g.partner_id for g in shortlisted.final.gold} == {
        "paris": "p0",
        "cat": "p1",
        "chess": None,
    }


def test_the_llm_judge_refuses_fewer_than_one_candidate():
    with pytest.raises(ConfigurationError, match="candidates must be at least 1"):
        LLMJudgeMatcher(model="openai/gpt-4o-mini", candidates=0)
