"""README.md: the library example updates the one memory it was given."""

from __future__ import annotations

from doc_examples import Example, Scripted
from harness.memory import Memory


def library_script(ctx: Scripted) -> None:
    update = {"name": "update_memory", "arguments": {"id": "1", "content": "User works as a nurse"}}
    ctx.model.enqueue_tool_calls([update])


def library_check(ns: dict, ctx: Scripted) -> None:
    # The loop variable is the last (and only) item of the result.
    memory = ns["memory"]
    assert memory.id == "m1" and memory.content == Memory(content="User works as a nurse")
    assert memory.operation.before == {"content": "User works at a bakery"}
    [request] = ctx.model.requests
    assert '[1] Memory {"content":"User works at a bakery"}' in request.messages[1]["content"]


EXAMPLES = {"readme-library": Example(library_script, library_check)}
