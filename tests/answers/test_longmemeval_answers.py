"""Hand-written questions in the exact LongMemEval shape through the answer stage: import,
answer with ``baseline/extractive``, judge with a scripted model, every metric worked by hand.

``reference/full-context`` shows the answerer every turn; extractive answers with the turn
sharing most content words with the question (ties: the earlier turn):

- u1 (single-session-user) "What breed is my dog Biscuit?" -> "I adopted a beagle named Biscuit
  last spring." (shares "biscuit"; "Beagles are friendly dogs." shares nothing). Normalised:
  7 tokens, gold "beagle" 1, 1 shared -> F1 2*(1/7)*1/(8/7) = 1/4, BLEU-1 1/7, EM 0.
- k1 (knowledge-update) "Where do I live now?" -> "I moved and now I live in Lisbon." (2 shared
  words, against 1 for "I live in Porto."): 8 tokens, gold "lisbon" -> F1 2/9, BLEU-1 1/8.
- u3_abs (abstention) "What is the name of my cat?" shares no word with any turn ->
  "No information available.", which declines.

The judge says CORRECT to u1 and u3_abs, WRONG to k1: qa_j 1/2, qa_abstention_j 1.
``baseline/oracle`` has nothing to store (LongMemEval sessions carry no memory labels), so every
answer declines: qa_f1 0, and the abstention question is still declined.
"""

from __future__ import annotations

import json

import pytest

from harness.reports.html import write_report
from harness.results.db import open_results
from harness.runner import RunConfig
from harness.runner.engine import run_dataset

QUESTIONS = [
    {
        "question_id": "u1",
        "question_type": "single-session-user",
        "question": "What breed is my dog Biscuit?",
        "answer": "a beagle",
        "question_date": "2023/06/10 (Sat) 09:12",
        "haystack_session_ids": ["answer_u1"],
        "haystack_dates": ["2023/05/01 (Mon) 10:00"],
        "haystack_sessions": [
            [
                {"role": "user", "content": "I adopted a beagle named Biscuit last spring.",
                 "has_answer": True},
                {"role": "assistant", "content": "Beagles are friendly dogs."},
            ]
        ],
        "answer_session_ids": ["answer_u1"],
    },
    {
        "question_id": "k1",
        "question_type": "knowledge-update",
        "question": "Where do I live now?",
        "answer": "Lisbon",
        "question_date": "2023/07/01 (Sat) 12:00",
        "haystack_session_ids": ["answer_k1_2", "answer_k1_1"],
        "haystack_dates": ["2023/06/01 (Thu) 09:00", "2023/03/01 (Wed) 09:00"],
        "haystack_sessions": [
            [{"role": "user", "content": "I moved and now I live in Lisbon.", "has_answer": True}],
            [{"role": "user", "content": "I live in Porto.", "has_answer": True}],
        ],
        "answer_session_ids": ["answer_k1_1", "answer_k1_2"],
    },
    {
        "question_id": "u3_abs",
        "question_type": "single-session-user",
        "question": "What is the name of my cat?",
        "answer": "You did not mention a cat; you mentioned your dog Biscuit.",
        "question_date": "2023/06/10 (Sat) 09:12",
        "haystack_session_ids": ["s_u3"],
        "haystack_dates": ["2023/05/01 (Mon) 10:00"],
        "haystack_sessions": [[{"role": "user", "content": "My dog Biscuit loves the park."}]],
        "answer_session_ids": [],
    },
]  # fmt: skip

CORRECT = ("What breed is my dog Biscuit?", "What is the name of my cat?")


def _judge(request):
    text = request.last_user_text
    verdict = "CORRECT" if any(f"Question: {q}" in text for q in CORRECT) else "WRONG"
    return json.dumps({"reason": f"judged {verdict.lower()}", "verdict": verdict})


def _dataset(tmp_path):
    from harness.data.importers import import_longmemeval, write_cases

    raw = tmp_path / "longmemeval_s.json"
    raw.write_text(json.dumps(QUESTIONS), encoding="utf-8")
    out = tmp_path / "longmemeval.jsonl"
    write_cases(import_longmemeval(raw).cases, out)
    return out


def _run(tmp_path, model, judge):
    config = RunConfig(
        dataset=str(_dataset(tmp_path)),
        model=model,
        answer_model="baseline/extractive",
        judge_model=judge,
        search_modes=["vector"],
        n_resamples=100,
    )
    db = tmp_path / "results.duckdb"
    run_id = run_dataset(config, db=db)
    with open_results(db) as store:
        metrics = {name: row.value for name, row in store.run_metrics(run_id).items()}
        answers = {a.query_id or a.question: a for a in store.answers(run_id)}
        calls = store.calls(run_id)
        html = write_report(store, runs=[run_id], output=tmp_path / "report.html").path
        html = html.read_text(encoding="utf-8")
    return metrics, {a.question: a for a in answers.values()}, calls, html


@pytest.mark.slow
def test_longmemeval_questions_through_full_context_extractive_and_a_judge(tmp_path, scripted):
    scripted.respond_with(_judge)
    m, answers, calls, html = _run(tmp_path, "reference/full-context", scripted.model)
    assert m["qa_f1"] == pytest.approx((1 / 4 + 2 / 9) / 2)
    assert m["qa_bleu1"] == pytest.approx((1 / 7 + 1 / 8) / 2)
    assert m["qa_em"] == 0.0
    assert m["qa_j"] == 0.5
    assert m["qa_f1[single-session-user]"] == pytest.approx(1 / 4)
    assert m["qa_f1[knowledge-update]"] == pytest.approx(2 / 9)
    assert m["qa_j[single-session-user]"] == 1.0 and m["qa_j[knowledge-update]"] == 0.0
    assert m["qa_abstention_j"] == 1.0 and m["qa_abstention_declined"] == 1.0
    assert m["qa_adversarial_j"] is None and m["qa_adversarial_declined"] is None
    assert m["qa_judge_error_rate"] == 0.0 and m["qa_answer_error_rate"] == 0.0
    breed = answers["What breed is my dog Biscuit?"]
    assert breed.answer == "I adopted a beagle named Biscuit last spring."
    assert (breed.kind, breed.category, breed.judge_protocol) == (
        "answer",
        "single-session-user",
        "longmemeval",
    )
    assert breed.f1 == pytest.approx(1 / 4) and breed.bleu1 == pytest.approx(1 / 7)
    assert answers["Where do I live now?"].answer == "I moved and now I live in Lisbon."
    cat = answers["What is the name of my cat?"]
    assert (cat.kind, cat.answer, cat.declined, cat.f1) == (
        "abstention",
        "No information available.",
        True,
        None,
    )
    prompts = {r.last_user_text.split("Question: ")[1].split("\n")[0]: r.last_user_text
               for r in scripted.requests}  # fmt: skip
    assert "the reference is the latest value" in prompts["Where do I live now?"]
    assert "cannot be answered from the chat history" in prompts["What is the name of my cat?"]
    assert sorted(c.purpose for c in calls) == ["answer"] * 3 + ["judge"] * 3
    assert 'id="answers"' in html and "<tr><td>knowledge-update</td>" in html
    assert "Published LoCoMo" not in html  # the panel is for LoCoMo runs only


@pytest.mark.slow
def test_the_oracle_stores_nothing_from_unlabelled_sessions_so_every_answer_declines(
    tmp_path, scripted
):
    scripted.respond_with(_judge)
    m, answers, _, _ = _run(tmp_path, "baseline/oracle", scripted.model)
    assert {a.answer for a in answers.values()} == {"No information available."}
    assert all(a.context == [] for a in answers.values())
    assert m["qa_f1"] == 0.0 and m["qa_bleu1"] == 0.0 and m["qa_em"] == 0.0
    assert m["qa_j"] == 0.5  # the judge's word: the scripted judge grades by question only
    assert m["qa_abstention_declined"] == 1.0 and m["qa_abstention_j"] == 1.0
