"""Judge protocols: type-dependent instructions, reply parsing, one repair turn, judge errors."""

from __future__ import annotations

import pytest

from harness.errors import ConfigurationError
from harness.scoring.judging import (
    judge_answer,
    judge_messages,
    parse_judge_reply,
    protocol_for,
)


def _prompt(**options):
    options.setdefault("protocol", "longmemeval")
    return judge_messages("Q?", "GOLD", "RESPONSE", **options)[0]["content"]


def test_protocol_follows_the_dataset_and_can_be_overridden():
    assert protocol_for("locomo") == "locomo"
    assert protocol_for("longmemeval") == "longmemeval"
    assert protocol_for(None) == "locomo"
    assert protocol_for("locomo", "longmemeval") == "longmemeval"
    with pytest.raises(ConfigurationError, match="unknown judge protocol 'mine'"):
        protocol_for("locomo", "mine")


def test_longmemeval_instructions_depend_on_the_type():
    temporal = _prompt(type="temporal-reasoning")
    assert "off by one" in temporal and "Reference answer: GOLD" in temporal
    update = _prompt(type="knowledge-update")
    assert "latest value" in update and "off by one" not in update
    preference = _prompt(type="single-session-preference")
    assert "Rubric: GOLD" in preference and "Reference answer" not in preference
    abstention = _prompt(type="temporal-reasoning", abstention=True)
    assert "information is not available" in abstention and "off by one" not in abstention
    plain = _prompt(type="single-session-user", question_date="2023/05/30 (Tue) 23:40")
    assert "on 2023/05/30 (Tue) 23:40" in plain
    assert "Answer to grade: RESPONSE" in plain and "Question: Q?" in plain


def test_locomo_adversarial_questions_must_be_declined():
    normal = _prompt(protocol="locomo", type="multi-hop")
    assert "Grade the facts, not the wording" in normal
    adversarial = _prompt(protocol="locomo", type="adversarial", abstention=True)
    assert "CORRECT only if it says that the" in adversarial
    assert "Grade the facts" not in adversarial
    assert _prompt(protocol="locomo", type="abstention") == adversarial


@pytest.mark.parametrize(
    ("reply", "verdict", "reason"),
    [
        ('{"reason": "same date", "verdict": "CORRECT"}', True, "same date"),
        ('```json\n{"verdict": "wrong", "reason": "other city"}\n```', False, "other city"),
        ('Sure! {"label": "CORRECT"}', True, None),
        ("WRONG", False, None),
        ("The answer is CORRECT.", True, None),
        ("yes", True, None),
        ("No.", False, None),
    ],
)
def test_parse_judge_reply(reply, verdict, reason):
    assert parse_judge_reply(reply) == (verdict, reason)


@pytest.mark.parametrize("reply", ["", "I think so", "CORRECT or WRONG?", '{"verdict": "maybe"}'])
def test_unreadable_replies_have_no_verdict(reply):
    assert parse_judge_reply(reply)[0] is None


def test_a_verdict_in_one_call(scripted):
    scripted.enqueue_text('{"reason": "same fact", "verdict": "CORRECT"}')
    verdict = judge_answer(scripted.model, "Q?", "Paris", "In Paris", protocol="locomo")
    assert (verdict.correct, verdict.reason, verdict.attempts, verdict.label) == (
        True,
        "same fact",
        1,
        "correct",
    )
    assert len(scripted.requests) == 1
    assert "Reference answer: Paris" in scripted.requests[0].last_user_text


def test_an_unreadable_reply_is_repaired_once(scripted):
    scripted.enqueue_text("Hmm, hard to say.").enqueue_text('{"verdict": "WRONG"}')
    verdict = judge_answer(scripted.model, "Q?", "Paris", "London", protocol="locomo")
    assert (verdict.correct, verdict.attempts, verdict.label) == (False, 2, "wrong")
    repair = scripted.requests[1].messages
    assert repair[-2] == {"role": "assistant", "content": "Hmm, hard to say."}
    assert "could not be read" in repair[-1]["content"]


def test_twice_unreadable_is_a_judge_error_not_a_wrong_answer(scripted):
    scripted.enqueue_text("Hmm.").enqueue_text("Still thinking.")
    verdict = judge_answer(scripted.model, "Q?", "Paris", "London", protocol="longmemeval")
    assert verdict.correct is None and verdict.label == "error"
    assert verdict.error == "unparseable judge reply: Still thinking."
    assert len(scripted.requests) == 2


def test_a_failed_judge_call_is_a_judge_error(scripted):
    scripted.enqueue_error("bad_request", "no such model")
    verdict = judge_answer(scripted.model, "Q?", "Paris", "London", protocol="locomo")
    assert verdict.correct is None
    assert verdict.error.startswith("judge call failed:") and "no such model" in verdict.error
