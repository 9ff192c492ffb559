"""The answer stage as the objective of ``harness optimize`` (``qa_j``, ``qa_f1``...).

The planted problem of ``planted.py`` with one question per case, "What does the user love?",
answered by ``baseline/extractive`` from the stored memories and judged by a scripted judge that
says CORRECT when the answer names the reference thing. The start template stores the "love"
cases only, so a case scores qa_j 1 when it is easy and 0 when it is hard: train 2/4, dev 1/3,
test 2/3. The GOOD template stores every case: 1.0 everywhere.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from planted import GOOD, PLANTED, _case, reply

from harness._async import run_sync
from harness.models.scripted import scripted_model
from harness.optimize import OptimizeConfig, aoptimize
from harness.optimize.evaluate import call_bounds
from harness.optimize.objective import case_score, error_counts, set_score

pytestmark = pytest.mark.slow


def _judge(request) -> str:
    text = request.last_user_text
    gold = re.search(r"^Reference answer: (.*)$", text, re.M).group(1).strip()
    answer = re.search(r"^Answer to grade: (.*)$", text, re.M).group(1)
    verdict = "CORRECT" if gold.lower() in answer.lower() else "WRONG"
    return json.dumps({"reason": "compared with the reference", "verdict": verdict})


@pytest.fixture
def answering(planted):
    lines = []
    for case_id, split, thing, hard in PLANTED:
        case = _case(case_id, split, thing, hard)
        case["queries"] = [{"query": "What does the user love?", "answer": thing}]
        lines.append(json.dumps(case) + "\n")
    planted.dataset.write_text("".join(lines), encoding="utf-8")
    judge = scripted_model(f"opt-judge-{uuid.uuid4().hex[:8]}").reset().respond_with(_judge)
    return planted, judge


def _options(planted, judge, **overrides):
    run = {"concurrency": 4, "answer_model": "baseline/extractive", "judge_model": judge.model}
    return planted.options(run=run, **overrides)


def test_judge_accuracy_as_the_objective_picks_the_template_that_answers_more(answering):
    planted, judge = answering
    planted.proposer.enqueue_text(reply(GOOD))
    config = OptimizeConfig(
        **_options(planted, judge, metric="qa_j", minibatch=4, max_iterations=1)
    )
    result = run_sync(aoptimize(config, db=planted.db))
    assert result.status == "finished"
    assert result.proposals == {"accepted": 1}
    assert result.train == pytest.approx({"c0": 2 / 4, "c1": 1.0})
    assert result.dev == pytest.approx({"c0": 1 / 3, "c1": 1.0})
    assert result.winner_id == "c1"
    test = result.test
    assert test.metric == "qa_j"
    assert test.objective.start == pytest.approx(2 / 3) and test.objective.winner == 1.0
    assert test.objective.diff == pytest.approx(1 / 3)
    # every extraction call, answer call and judgement fits the worst-case bound
    bounds = call_bounds(config)
    assert bounds.per_question == 1 + 2  # the answer, a judgement and its one retry
    # one extraction per case evaluation: train 4 + 4 (c1's minibatch is all of train), dev
    # 3 + 3, test 3 + 3
    assert len(planted.extractor.requests) == 20
    # a judgement per distinct (question, answer): c1 stores what c0 stored on the easy cases,
    # so those are served from the cache: train 4 + 2, dev 3 + 2, test 3 + 1
    assert len(judge.requests) == 15


def test_an_answer_objective_needs_an_answer_model_and_qa_j_a_judge(answering):
    planted, _ = answering
    with pytest.raises(ValueError, match="name an answer model in the run options"):
        OptimizeConfig(**planted.options(metric="qa_f1"))
    with pytest.raises(ValueError, match="name a judge in the run options"):
        OptimizeConfig(
            **planted.options(metric="qa_j", run={"answer_model": "baseline/extractive"})
        )
    config = OptimizeConfig(
        **planted.options(metric="qa_f1", run={"answer_model": "baseline/extractive"})
    )
    assert call_bounds(config).per_question == 1


def test_answer_objectives_by_hand():
    # a case whose one ordinary question got F1 0.5 and was judged wrong
    counts = {"update_tp": 1, "qa_n": 1, "qa_f1_sum": 0.5, "qa_judged": 1, "qa_correct": 0}
    assert case_score(counts, "qa_f1") == 0.5
    assert case_score(counts, "qa_j") == 0.0
    assert case_score({"update_tp": 1}, "qa_f1") == 1.0  # no question: nothing to get wrong
    other = {"qa_n": 3, "qa_f1_sum": 2.0, "qa_judged": 2, "qa_correct": 2}  # one judge error
    assert set_score([counts, other], "qa_f1") == pytest.approx(2.5 / 4)
    assert set_score([counts, other], "qa_j") == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="unknown metric"):
        case_score(counts, "qa_j[temporal]")


def test_an_errored_case_counts_every_question_as_wrong():
    from harness.data.models import Case

    case = Case.model_validate(
        {"id": "c", "sessions": [{"messages": [{"id": "m1", "role": "user", "content": "hi"}]}],
         "queries": [{"query": "q1?", "answer": "a"}, {"query": "q2?", "answer": "b"},
                     {"query": "q3?", "answer": "c", "abstention": True}]}
    )  # fmt: skip
    counts = error_counts(case)
    assert (counts["qa_n"], counts["qa_judged"], counts["qa_correct"]) == (2, 2, 0)
    assert set_score([counts], "qa_f1") == 0.0
