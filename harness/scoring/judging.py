"""Answer judges: an LLM grades a generated answer against the reference, per benchmark protocol.

A *protocol* is a judge template in ``prompts/judge/`` plus the rules for choosing it:

- ``locomo``: binary CORRECT / WRONG, generous on wording and strict on facts, as the LoCoMo
  results of the field are judged; adversarial questions (the conversation holds no answer) are
  correct only when the answer declines.
- ``longmemeval``: instructions depend on the question type: ``temporal-reasoning`` accepts an
  off-by-one count of days, weeks or months; ``knowledge-update`` accepts the latest value even
  beside the old one; ``single-session-preference`` grades against a rubric of what a
  personalised answer must use; abstention questions (ids ending ``_abs``) are correct when the
  answer says the information is not available.

The judge replies with a JSON object ``{"reason", "verdict"}``. A reply that cannot be parsed
gets one repair turn (the reply and a reminder of the format, so the repair is a new request and
not a cache hit); if that fails too, or the model call fails for good, the verdict is a *judge
error*: ``correct`` is None and ``error`` says why. Judge errors are never counted as wrong
answers; reports show how many there were.

:func:`ajudge_answer` is the one entry point; it takes plain values, so the same call grades a
run's answers and a file of hand-labelled judgements.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from harness._async import run_sync
from harness.errors import ConfigurationError, ModelError
from harness.models.gateway import get_model
from harness.models.types import GenerateConfig
from harness.models.usage import call_purpose
from harness.templates import load_prompt

__all__ = [
    "DEFAULT_PROTOCOL",
    "PROTOCOLS",
    "JudgeVerdict",
    "ajudge_answer",
    "judge_answer",
    "judge_messages",
    "parse_judge_reply",
    "protocol_for",
]

PROTOCOLS: tuple[str, ...] = ("locomo", "longmemeval")
DEFAULT_PROTOCOL = "locomo"
_SOURCES = {"locomo": "locomo", "longmemeval": "longmemeval"}
_REPAIR = (
    "Your reply could not be read. Reply again with only one JSON object: "
    '{"reason": "<one short sentence>", "verdict": "CORRECT" or "WRONG"}'
)
_TRUE = {"correct", "yes", "true", "right"}
_FALSE = {"wrong", "no", "false", "incorrect"}
_WORD = re.compile(r"\b(CORRECT|WRONG|INCORRECT)\b")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class JudgeVerdict:
    """One judgement: ``correct`` is None when it is a judge error (``error`` says why)."""

    correct: bool | None
    reason: str | None = None
    error: str | None = None
    reply: str | None = None
    attempts: int = 1

    @property
    def label(self) -> str:
        """``correct``, ``wrong`` or ``error``."""
        return "error" if self.correct is None else "correct" if self.correct else "wrong"


def protocol_for(source: str | None, override: str | None = None) -> str:
    """The protocol for a dataset of origin ``source`` (``locomo``/``longmemeval``/other)."""
    if override is not None:
        if override not in PROTOCOLS:
            raise ConfigurationError(
                f"unknown judge protocol {override!r}; expected one of {', '.join(PROTOCOLS)}"
            )
        return override
    return _SOURCES.get((source or "").lower(), DEFAULT_PROTOCOL)


def judge_messages(
    question: str,
    gold_answer: str,
    response: str,
    *,
    protocol: str,
    type: str | None = None,
    abstention: bool = False,
    question_date: str | None = None,
) -> list[dict[str, str]]:
    """The judge request: the protocol's template rendered as one user message."""
    protocol = protocol_for(None, protocol)
    template = _template(protocol)
    text = template.render_values(
        {
            "question": question,
            "gold_answer": gold_answer,
            "response": response,
            "question_type": type,
            "abstention": abstention or type == "abstention",
            "question_date": question_date,
        }
    )
    return [{"role": "user", "content": text}]


@functools.lru_cache(maxsize=8)
def _template(protocol: str) -> Any:
    """The protocol's judge template, read once per process."""
    return load_prompt("judge", protocol)


def _as_verdict(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().strip(".!").lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def _from_json(text: str) -> tuple[bool | None, str | None] | None:
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        for key in ("verdict", "label", "correct", "answer"):
            if key in data:
                reason = data.get("reason") or data.get("explanation")
                return _as_verdict(data[key]), str(reason) if reason else None
    return None


def parse_judge_reply(text: str | None) -> tuple[bool | None, str | None]:
    """(verdict, reason) from a judge reply; verdict None when the reply says neither.

    Read in order: a JSON object (``verdict``/``label``), else exactly one of the words CORRECT
    or WRONG in capitals, else a reply that is just yes/no.
    """
    text = (text or "").strip()
    if not text:
        return None, None
    parsed = _from_json(text)
    if parsed is not None and parsed[0] is not None:
        return parsed
    words = {w.upper() for w in _WORD.findall(text)}
    if len(words) == 1:
        return words.pop() == "CORRECT", None
    return _as_verdict(text), None


async def ajudge_answer(
    model: Any,
    question: str,
    gold_answer: str,
    response: str,
    *,
    protocol: str,
    type: str | None = None,
    abstention: bool = False,
    question_date: str | None = None,
) -> JudgeVerdict:
    """Grade ``response`` with ``model`` (a ChatModel or model string) under ``protocol``."""
    chat = get_model(model) if isinstance(model, str) else model
    messages: list[dict[str, Any]] = judge_messages(
        question,
        gold_answer,
        response,
        protocol=protocol,
        type=type,
        abstention=abstention,
        question_date=question_date,
    )
    config = GenerateConfig(temperature=0.0, max_tokens=300)
    reply: str | None = None
    for attempt in (1, 2):
        try:
            with call_purpose("judge"):
                result = await chat.agenerate(messages, config=config)
        except ModelError as exc:
            return JudgeVerdict(None, error=f"judge call failed: {exc}", attempts=attempt)
        reply = result.text or ""
        verdict, reason = parse_judge_reply(reply)
        if verdict is not None:
            return JudgeVerdict(verdict, reason=reason, reply=reply, attempts=attempt)
        messages = [*messages, {"role": "assistant", "content": reply}, _repair()]
    return JudgeVerdict(
        None, error=f"unparseable judge reply: {_clip(reply)}", reply=reply, attempts=2
    )


def _repair() -> dict[str, str]:
    return {"role": "user", "content": _REPAIR}


def _clip(text: str | None, limit: int = 200) -> str:
    text = (text or "").strip() or "(empty)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def judge_answer(model: Any, question: str, gold_answer: str, response: str, **options: Any):
    """Sync twin of :func:`ajudge_answer`."""
    return run_sync(ajudge_answer(model, question, gold_answer, response, **options))
