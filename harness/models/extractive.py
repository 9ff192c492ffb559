"""The ``baseline/extractive`` answer model: answers with the listed memory that best fits.

A deterministic stand-in for an answering LLM, so answer metrics (token F1, BLEU-1, exact match)
run with no key and no network. It is a litellm custom provider like ``scripted`` and ``local``,
so the answer stage calls it exactly as it calls a hosted model (cache, usage records, latency).

It reads the last user message of the request, as the answer templates of ``prompts/answer/``
render it:

- every line starting with ``- `` is a candidate (a memory, or a turn for full-context
  answering); a leading ``[...]`` (session date, speaker) is dropped from the answer;
- the line starting with ``Question:`` is the question.

The answer is the candidate sharing the most distinct content words with the question (ties go
to the earlier line, i.e. the better-ranked memory); with no candidate, or none sharing a word, it
answers ``No information available.``
"""

from __future__ import annotations

import re
from typing import Any

from harness.models._litellm import build_response, count_tokens

__all__ = ["EXTRACTIVE_MODELS", "NO_ANSWER", "extract_answer"]

EXTRACTIVE_MODELS = ("extractive",)
NO_ANSWER = "No information available."
_STOP_WORDS = """
a about after all an and any are as at be been before by can could did do does for from had has
have he her him his how i in is it its me my of on or our she so than that the their them then
there they this to up us was we were what when where which who whom whose why will with would you
your
"""
_STOP = frozenset(_STOP_WORDS.split())


_WORDS = re.compile(r"[^\W_]+")


def _content(text: str) -> set[str]:
    """Distinct lower-case words of ``text`` minus function words."""
    return {word for word in _WORDS.findall(text.lower()) if word not in _STOP}


def _strip_meta(line: str) -> str:
    text = line[2:].strip()
    if text.startswith("[") and "]" in text:
        text = text[text.index("]") + 1 :].strip()
    return text


def extract_answer(prompt: str) -> str:
    """The answer to the ``Question:`` of ``prompt`` from its ``- `` lines (pure)."""
    lines = [line.strip() for line in prompt.splitlines()]
    question = next(
        (line.removeprefix("Question:").strip() for line in lines if line.startswith("Question:")),
        "",
    )
    wanted = _content(question)
    best, best_overlap = None, 0
    for line in lines:
        if not line.startswith("- "):
            continue
        candidate = _strip_meta(line)
        overlap = len(wanted & _content(candidate))
        if overlap > best_overlap:
            best, best_overlap = candidate, overlap
    return best if best else NO_ANSWER


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    return ""


def make_handler(litellm: Any) -> Any:
    """Build the ``litellm.CustomLLM`` that serves ``baseline/<name>``."""

    def answer(model: str, messages: list[Any]) -> Any:
        if model not in EXTRACTIVE_MODELS:
            raise litellm.BadRequestError(
                message=f"baseline/{model} is not an answer model; use baseline/extractive",
                llm_provider="baseline",
                model=f"baseline/{model}",
            )
        text = extract_answer(_last_user_text(messages))
        return build_response(
            f"baseline/{model}",
            text,
            [],
            "stop",
            count_tokens(messages=messages),
            count_tokens(text=text),
        )

    class ExtractiveHandler(litellm.CustomLLM):
        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            return answer(model, messages)

        async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            return answer(model, messages)

    return ExtractiveHandler()
