"""docs/library/memory-manager.md: the replies each example needs, and what must come out."""

from __future__ import annotations

from doc_examples import Example, Scripted
from harness.memory import Memory, RemoveDoc
from harness.memory._existing import string_memory_id


def _call(name: str, **arguments) -> dict:
    return {"name": name, "arguments": arguments}


def _tools(request) -> list[str]:
    return [tool["function"]["name"] for tool in request.tools]


def _pref(category: str, preference: str, context: str, **extra) -> dict:
    return {"category": category, "preference": preference, "context": context, **extra}


# -- basic ---------------------------------------------------------------------------------------

BASIC = "User works at a standing desk, which helps their back"


def basic_script(ctx: Scripted) -> None:
    ctx.model.enqueue_tool_calls([_call("insert_memory", content=BASIC, sources=["m0"])])


def basic_check(ns: dict, ctx: Scripted) -> None:
    [memory] = ns["memories"]
    assert memory.content == Memory(content=BASIC)
    assert memory.operation.op == "insert" and memory.operation.source == ["m0"]
    [request] = ctx.model.requests
    assert _tools(request) == ["insert_memory", "update_memory"]
    assert "[m0] user: I've switched to a standing desk" in request.messages[1]["content"]


# -- structured, existing, insert-only -----------------------------------------------------------


def structured_script(ctx: Scripted) -> None:
    args = _pref("travel", "aisle seat", "gets up often on long flights")
    ctx.model.enqueue_tool_calls([_call("insert_preference_memory", **args)])


def structured_check(ns: dict, ctx: Scripted) -> None:
    [pref] = ns["prefs"]
    assert type(pref.content).__name__ == "PreferenceMemory"
    assert pref.content.preference == "aisle seat"
    request = ctx.model.requests[0]
    assert _tools(request) == ["insert_preference_memory", "update_preference_memory"]
    insert = request.tools[0]["function"]
    assert insert["description"] == "Record one lasting preference of the user and when it applies."
    assert insert["parameters"]["required"] == ["category", "preference", "context"]


def existing_script(ctx: Scripted) -> None:
    args = _pref("travel", "window seat", "sleeps through flights", id="1")
    ctx.model.enqueue_tool_calls([_call("update_preference_memory", **args)])


def existing_check(ns: dict, ctx: Scripted) -> None:
    [changed] = ns["updated"]
    assert changed.id == ns["prefs"][0].id
    assert changed.content.preference == "window seat"
    op = ns["updated"].operations[0]
    assert (op.op, op.kind, op.before["preference"]) == ("update", "PreferenceMemory", "aisle seat")
    prompt = ctx.model.requests[-1].messages[1]["content"]
    assert '[1] PreferenceMemory {"category":"travel","preference":"aisle seat"' in prompt


def insert_only_script(ctx: Scripted) -> None:
    args = _pref("travel", "aisle seat", "back to aisle seats after trying window seats")
    ctx.model.enqueue_tool_calls([_call("insert_preference_memory", **args)])


def insert_only_check(ns: dict, ctx: Scripted) -> None:
    logged = ns["logged"]
    assert _tools(ctx.model.requests[-1]) == ["insert_preference_memory"]
    assert [op.op for op in logged.operations] == ["none", "insert"]
    assert logged.operations[0].after["preference"] == "window seat"  # untouched
    assert logged[0].content.context.startswith("back to aisle")


# -- steps ---------------------------------------------------------------------------------------


def steps_script(ctx: Scripted) -> None:
    ctx.model.enqueue_tool_calls(
        [_call("insert_preference_memory", **_pref("food", "vegetarian, no mushrooms", ""))]
    )
    ctx.model.enqueue_tool_calls(
        [
            _call("update_preference_memory", **_pref("food", "vegetarian", "diet", id="1")),
            _call("insert_preference_memory", **_pref("food", "no mushrooms", "can't stand them")),
        ]
    )
    ctx.model.enqueue_text("done")


def steps_check(ns: dict, ctx: Scripted) -> None:
    result = ns["result"]
    assert result.steps == 3
    assert [(op.op, op.step) for op in result.operations] == [("insert", 2), ("insert", 2)]
    third = ctx.model.requests[-1].messages
    assert [m["content"] for m in third if m["role"] == "tool"] == [
        "inserted 1",
        "updated 1",
        "inserted 2",
    ]


# -- deletes -------------------------------------------------------------------------------------


def deletes_script(ctx: Scripted) -> None:
    ctx.model.enqueue_tool_calls([_call("delete_memory", id="1")])


def deletes_check(ns: dict, ctx: Scripted) -> None:
    job = string_memory_id("User is looking for a new job")
    result = ns["result"]
    assert list(result) == [(job, RemoveDoc(json_doc_id=job))]
    assert [(op.op, op.id) for op in result.operations] == [
        ("delete", job),
        ("none", string_memory_id("User works at a bakery")),
    ]
    assert _tools(ctx.model.requests[-1])[-1] == "delete_memory"


EXAMPLES = {
    "manager-basic": Example(basic_script, basic_check),
    "manager-structured": Example(structured_script, structured_check),
    "manager-existing": Example(existing_script, existing_check, after=("manager-structured",)),
    "manager-insert-only": Example(
        insert_only_script, insert_only_check, after=("manager-existing",)
    ),
    "manager-steps": Example(steps_script, steps_check, after=("manager-structured",)),
    "manager-deletes": Example(deletes_script, deletes_check),
}
