"""Recorded search and answer latencies are the operation's own time, never time spent queued.

On a fake clock (timers fire at once, the clock jumps to them) the answer model takes exactly
1 s and the judge 2 s. With ``concurrency=1`` every model call of the run queues for the one
call slot, so the three questions' calls run one after another (the stage takes at least
3 x 3 s); each recorded answer latency is still exactly the answer model's own 1 s, and no
search latency contains a second spent waiting.
"""

from __future__ import annotations

import json
import uuid

import pytest
from fake_clock import run_on_fake_clock

from harness.models.scripted import scripted_model
from harness.results.db import open_results
from harness.runner import RunConfig
from harness.runner.engine import arun

QUESTIONS = ["Where does the user live?", "Which city is home?", "Where is the user based?"]


def _dataset(path):
    case = {
        "id": "c1",
        "sessions": [
            {
                "messages": [{"id": "t1", "role": "user", "content": "I live in Oslo."}],
                "expected": [{"op": "insert", "ref": "g1", "content": "User lives in Oslo"}],
            }
        ],
        "queries": [
            {"id": f"q{i}", "query": question, "answer": "Oslo"}
            for i, question in enumerate(QUESTIONS)
        ],
    }
    path.write_text(json.dumps(case) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_latencies_exclude_time_queued_for_a_slot(tmp_path, scripted):
    judge = scripted_model(f"test-judge-{uuid.uuid4().hex[:8]}").reset()
    scripted.respond_with(lambda request: "Oslo")
    judge.respond_with(lambda request: '{"reason": "same city", "verdict": "CORRECT"}')
    scripted.delay, judge.delay = 1.0, 2.0
    config = RunConfig(
        dataset=str(_dataset(tmp_path / "cases.jsonl")),
        model="baseline/oracle",
        answer_model=scripted.model,
        judge_model=judge.model,
        concurrency=1,
        cache="off",
        search_modes=["vector"],
        n_resamples=0,
    )
    db = tmp_path / "results.duckdb"
    result, elapsed = run_on_fake_clock(arun(config, db=db))
    with open_results(db, read_only=True) as store:
        rows = store.answers(result.run_id)
    assert [row.verdict for row in rows] == ["correct"] * 3
    assert elapsed >= 3 * (1.0 + 2.0)  # one call slot: six calls, one after another
    assert [row.answer_latency_s for row in rows] == pytest.approx([1.0] * 3, abs=1e-6)
    assert all(row.search_latency_s is not None for row in rows)
    assert max(row.search_latency_s for row in rows) < 1.0  # queued >= 3 s for some
