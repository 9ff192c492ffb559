"""docs/library/models.md: replies for the gateway examples, and what must hold."""

from __future__ import annotations

from doc_examples import Example, Scripted
from harness.models import LiteLLMModel, ResponseCache

REMEMBER = {"name": "remember", "arguments": {"fact": "Cycles to work"}}


def basics_script(ctx: Scripted) -> None:
    ctx.model.enqueue_tool_calls([REMEMBER])


def basics_check(ns: dict, ctx: Scripted) -> None:
    assert isinstance(ns["model"], LiteLLMModel)
    [request] = ctx.model.requests
    assert request.tool_names == ["remember"]
    assert request.params["temperature"] == 0


def retry_script(ctx: Scripted) -> None:
    ctx.model.enqueue_error("rate_limit").enqueue_tool_calls([REMEMBER])


def retry_check(ns: dict, ctx: Scripted) -> None:
    assert ns["patient"].retry.max_attempts == 6
    assert len(ctx.model.requests) == 3  # one from the first example, two tries here


def usage_script(ctx: Scripted) -> None:
    ctx.model.enqueue_tool_calls([REMEMBER]).enqueue_text("By bike.")


def usage_check(ns: dict, ctx: Scripted) -> None:
    assert [r.model for r in ns["calls"]] == [ctx.model.model] * 2


SAMPLES = ["By bike.", "Cycling.", "On my bicycle."]


def cache_script(ctx: Scripted) -> None:
    for text in SAMPLES:
        ctx.model.enqueue_text(text)


def cache_check(ns: dict, ctx: Scripted) -> None:
    assert isinstance(ns["cache"], ResponseCache)
    assert ctx.model.pending == 0
    assert len(list(ns["cache"].directory.glob("*/*.json"))) == 3


def scripted_check(ns: dict, ctx: Scripted) -> None:
    assert ns["script"].model == "scripted/demo"
    assert ns["script"].pending == 0


EXAMPLES = {
    "models-basics": Example(script=basics_script, check=basics_check),
    "models-retry": Example(script=retry_script, check=retry_check, after=("models-basics",)),
    "models-usage": Example(script=usage_script, check=usage_check, after=("models-basics",)),
    "models-cache": Example(script=cache_script, check=cache_check, after=("models-usage",)),
    "models-scripted": Example(check=scripted_check, after=("models-basics",)),
}
