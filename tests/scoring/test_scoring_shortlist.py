"""The final-state shortlist: judging only the pairs a matcher shortlists gives the same score as
judging every gold x predicted pair."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness._async import run_sync
from harness.data.models import Case
from harness.memory.schemas import MemoryOperation
from harness.models.embeddings import Embedder
from harness.scoring._embedding import EmbeddingMatcher
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
