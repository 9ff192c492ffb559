"""Turn- and session-level retrieval and unsourced memories, through the whole runner.

The sample is the hand-written LongMemEval file ``tests/data/samples/longmemeval_sample.json``:

- ``lme-q-7f3a1c``: four sessions of two turns (user, assistant); the user turns of
  ``answer_9c1e_1`` and ``answer_9c1e_2`` are marked ``has_answer`` (turn-level evidence);
- ``lme-q-2b88d0``: two sessions of two turns; the answer session ``answer_44a0`` has no marked
  turn, so its evidence is the session (no turn-level evidence at all);
- ``lme-q-91c2e4_abs``: no evidence, answer-level only (not scored for retrieval).

The system stores every turn verbatim (like ``reference/raw-turns``) but cites only the user
turns, so every assistant-turn memory is unsourced. Every case holds at most 8 memories, so the
top 10 retrieve all of them, whatever the ranking.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from runner_helpers import run

from harness.baselines.reference import RawTurnsBaseline
from harness.data.importers import import_longmemeval, write_cases
from harness.runner import RunConfig

SAMPLE = Path(__file__).parents[1] / "data" / "samples" / "longmemeval_sample.json"


class UserCitingTurns(RawTurnsBaseline):
    """Stores every turn; cites the user turns only (assistant-turn memories are unsourced)."""

    name = "custom/user-citing-turns"

    async def _extract(self, turns, existing, gold):
        result = await super()._extract(turns, existing, gold)
        roles = {turn.id: turn.role for turn in turns}
        result.operations = [
            op
            if roles.get(next(iter(op.source), "")) == "user"
            else op.model_copy(update={"source": []})
            for op in result.operations
        ]
        return result


@pytest.fixture(scope="module")
def longmemeval(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lme") / "lme.jsonl"
    write_cases(import_longmemeval(SAMPLE).cases, out)
    return out


def _metrics(dataset: Path, db: Path, **kwargs):
    config = RunConfig(
        dataset=str(dataset),
        model="reference/raw-turns",
        matcher="exact",
        n_resamples=0,
        search_modes=["vector"],
    )
    result = run(config, db, **kwargs)
    assert result.errors == 0
    return result.metrics


def test_turn_and_session_levels_are_scored_apart(longmemeval, tmp_path):
    metrics = _metrics(longmemeval, tmp_path / "r.duckdb", extractor=UserCitingTurns())
    # turn level: only lme-q-7f3a1c has marked turns; both are user turns, cited, retrieved
    turn = metrics["e2e_vector_recall_turn@10"]
    assert (turn.value, turn.n) == (1.0, 1)
    assert metrics["e2e_vector_ndcg_turn@10"].value == 1.0
    # session level: both evidence sessions of lme-q-7f3a1c and answer_44a0 of lme-q-2b88d0 are
    # covered by a cited user turn
    session = metrics["e2e_vector_recall_session@10"]
    assert (session.value, session.n) == (1.0, 2)
    # the rank metrics read an unmarked answer session as all its turns: lme-q-2b88d0 covers
    # 1 of its 2 (the assistant turn's memory cites nothing): (1.0 + 0.5) / 2
    assert metrics["e2e_vector_recall@10"].value == pytest.approx(0.75)
    # the gold state holds no memory (LongMemEval has no memory labels): nothing is covered
    assert metrics["gold_vector_recall_session@10"].value == 0.0
    # 4 of 8 memories in the first case and 2 of 4 in the second cite nothing: 6 / 12
    unsourced = metrics["unsourced"]
    assert (unsourced.value, unsourced.n) == (0.5, 2)


def test_a_store_with_no_memories_has_no_unsourced_share(longmemeval, tmp_path):
    config = RunConfig(
        dataset=str(longmemeval), model="baseline/noop", matcher="exact", n_resamples=0
    )
    metrics = run(config, tmp_path / "r.duckdb").metrics
    assert metrics["unsourced"].value is None and metrics["unsourced"].n == 0
    # nothing stored, so nothing found: a real 0, with its queries as denominator
    assert metrics["e2e_vector_recall_session@5"].value == 0.0
    assert metrics["e2e_vector_recall_turn@5"].n == 1
