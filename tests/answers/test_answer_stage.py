"""The answer stage end to end: an imported LoCoMo-shaped conversation through a baseline memory
system, the extractive answerer and a scripted judge, every metric worked out by hand.

With ``baseline/oracle`` the store holds the four observations; ``baseline/extractive`` answers
with the one sharing most content words with the question:

- q0 (temporal) "Caroline went to the LGBTQ support group on 7 May 2023" vs "7 May 2023":
  10 answer tokens, 3 shared -> F1 2*(3/10)*1/(13/10) = 6/13, BLEU-1 3/10, EM 0;
- q1 (single-hop) "Caroline moved to the city of Porto" vs "Porto": 6 tokens, 1 shared ->
  F1 2/7, BLEU-1 1/6;
- q2 (single-hop) "Melanie painted a sunrise" vs "a sunrise": 3 tokens, 1 shared -> F1 1/2,
  BLEU-1 1/3;
- q3 (category 5, adversarial) shares no word with any memory -> "No information available."
"""

from __future__ import annotations

import pytest

from harness.results.db import open_results
from harness.runner import RunConfig
from harness.runner.engine import run_dataset

from .samples import write_locomo

VERDICTS = {
    "When did Caroline go to the LGBTQ support group?": (
        '{"reason": "same day", "verdict": "CORRECT"}'
    ),
    "Which city did Caroline move to?": '{"reason": "no city", "verdict": "WRONG"}',
    "What did Melanie paint?": "CORRECT",
}


def _judge(request):
    text = request.last_user_text
    for question, reply in VERDICTS.items():
        if f"Question: {question}" in text:
            return reply
    return "I am not sure."  # the adversarial question: unreadable twice -> judge error


def _run(tmp_path, model, judge=None, **options):
    dataset = write_locomo(tmp_path)
    config = RunConfig(
        dataset=str(dataset),
        model=model,
        answer_model="baseline/extractive",
        judge_model=judge,
        search_modes=["vector"],
        n_resamples=200,
        **options,
    )
    db = tmp_path / "results.duckdb"
    run_id = run_dataset(config, db=db)
    store = open_results(db)
    return store, run_id


def _values(store, run_id):
    return {name: row.value for name, row in store.run_metrics(run_id).items()}


@pytest.mark.slow
def test_oracle_extractive_and_a_scripted_judge_by_hand(tmp_path, scripted):
    scripted.respond_with(_judge)
    store, run_id = _run(tmp_path, "baseline/oracle", judge=scripted.model)
    with store:
        m = _values(store, run_id)
        answers = store.answers(run_id)
        calls = store.calls(run_id)
    assert m["qa_f1"] == pytest.approx((6 / 13 + 2 / 7 + 1 / 2) / 3)
    assert m["qa_bleu1"] == pytest.approx((3 / 10 + 1 / 6 + 1 / 3) / 3)
    assert m["qa_em"] == 0.0
    assert m["qa_j"] == pytest.approx(2 / 3)
    assert m["qa_f1[temporal]"] == pytest.approx(6 / 13)
    assert m["qa_f1[single-hop]"] == pytest.approx((2 / 7 + 1 / 2) / 2)
    assert m["qa_j[temporal]"] == 1.0 and m["qa_j[single-hop]"] == 0.5
    assert m["qa_adversarial_declined"] == 1.0
    assert m["qa_adversarial_j"] is None  # its only judgement is a judge error: n/a, not wrong
    assert m["qa_judge_error_rate"] == pytest.approx(1 / 4)
    assert m["qa_abstention_j"] is None and m["qa_abstention_declined"] is None
    assert m["qa_answer_error_rate"] == 0.0
    by_question = {a.question: a for a in answers}
    q0 = by_question["When did Caroline go to the LGBTQ support group?"]
    assert q0.answer == "Caroline went to the LGBTQ support group on 7 May 2023"
    assert (q0.category, q0.kind, q0.verdict, q0.judge_reason) == ("temporal", "answer", "correct",
                                                                    "same day")  # fmt: skip
    assert q0.judge_protocol == "locomo" and q0.search_mode == "vector"
    shown = {item["text"]: item for item in q0.context}
    support = shown["Caroline went to the LGBTQ support group on 7 May 2023"]
    assert (support["session_date"], support["speaker"], support["source"]) == (
        "2023-05-08T13:56",
        "Caroline",
        ["D1:1"],
    )
    assert q0.search_latency_s is not None and q0.answer_latency_s is not None
    assert q0.context_tokens > 0 and len(q0.retrieved) == 4
    adversarial = by_question["What breed is Tomas's horse?"]
    assert (adversarial.kind, adversarial.category, adversarial.verdict) == (
        "adversarial",
        "adversarial",
        "error",
    )
    assert adversarial.judge_error == "unparseable judge reply: I am not sure."
    assert adversarial.f1 is None and adversarial.declined is True
    purposes = sorted(call.purpose for call in calls)
    # 4 answers, 3 readable verdicts, 2 tries for the unreadable one
    assert purposes == ["answer"] * 4 + ["judge"] * 5
    assert m["search_latency_p50"] is not None and m["answer_latency_p95"] is not None


@pytest.mark.slow
def test_oracle_beats_noop_and_a_judge_saying_wrong_gives_zero(tmp_path, scripted):
    scripted.respond_with(lambda request: '{"verdict": "WRONG", "reason": "no"}')
    oracle_store, oracle = _run(tmp_path / "a", "baseline/oracle")
    with oracle_store:
        good = oracle_store.run_metrics(oracle)["qa_f1"]
    noop_store, noop = _run(tmp_path / "b", "baseline/noop", judge=scripted.model)
    with noop_store:
        bad = noop_store.run_metrics(noop)
    assert bad["qa_f1"].value == 0.0 and bad["qa_j"].value == 0.0
    assert bad["qa_adversarial_j"].value == 0.0  # the judge says WRONG to everything
    assert bad["qa_adversarial_declined"].value == 1.0  # though extractive declined
    assert good.ci_low > bad["qa_f1"].ci_high  # intervals do not overlap
