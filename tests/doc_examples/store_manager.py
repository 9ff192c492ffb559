"""docs/library/store-manager.md: replies and checks per example."""

from __future__ import annotations

from doc_examples import Example, Scripted

CHAT = {"openai/gpt-4o-mini": "chat"}


def _call(name: str, **arguments) -> dict:
    return {"name": name, "arguments": arguments}


def _memories(request) -> list[str]:
    """The memory lines of an extraction request."""
    text = request.messages[1]["content"]
    return text[text.index("<memories>\n") + 11 : text.index("\n</memories>")].splitlines()


# -- agent loop ----------------------------------------------------------------------------------


def agent_loop_script(ctx: Scripted) -> None:
    ctx["chat"].enqueue_text("Dark mode it is, everywhere.")
    ctx["chat"].enqueue_text("You like dark mode.")
    ctx.model.enqueue_tool_calls(
        [_call("insert_memory", content="User prefers dark mode in all apps", sources=["m0"])]
    )
    ctx.model.enqueue_text("Nothing new to remember.")


def agent_loop_check(ns: dict, ctx: Scripted) -> None:
    first, second = ctx["chat"].requests
    assert first.messages[0]["content"].endswith("The user:\n")
    assert second.messages[0]["content"].endswith("- User prefers dark mode in all apps")
    extract_1, extract_2 = ctx.model.requests
    assert _memories(extract_1) == ["(none)"]
    assert _memories(extract_2) == ['[1] Memory {"content":"User prefers dark mode in all apps"}']
    assert "[m1] assistant: Dark mode it is, everywhere." in extract_1.messages[1]["content"]
    assert ns["store"].list_namespaces() == [("memories", "user-1")]


# -- structured ----------------------------------------------------------------------------------


def structured_script(ctx: Scripted) -> None:
    pref = {"category": "ui", "preference": "dark mode", "context": "all apps"}
    ctx.model.enqueue_tool_calls([_call("insert_preference_memory", **pref, sources=["t1"])])


def structured_check(ns: dict, ctx: Scripted) -> None:
    from harness.memory.store import LanceStore

    assert isinstance(ns["store"], LanceStore)
    assert ns["item"].value["source"] == ["t1"]
    assert ctx.model.requests[0].tool_names == [
        "insert_preference_memory",
        "update_preference_memory",
    ]


# -- defaults ------------------------------------------------------------------------------------


def default_script(ctx: Scripted) -> None:
    new = "Use a concise, professional tone. The user prefers dark mode in all apps."
    ctx.model.enqueue_tool_calls([_call("update_memory", id="1", content=new)])


def default_check(ns: dict, ctx: Scripted) -> None:
    assert _memories(ctx.model.requests[-1]) == [
        '[1] Memory {"content":"Use a concise, professional tone. The user likes light mode."}'
    ]
    assert ns["result"].net_operations[0].op == "insert"


def default_factory_script(ctx: Scripted) -> None:
    new = "Talk like a pirate. The user prefers dark mode in all apps."
    ctx.model.enqueue_tool_calls([_call("update_memory", id="1", content=new)])


def default_factory_check(ns: dict, ctx: Scripted) -> None:
    assert _memories(ctx.model.requests[-1]) == [
        '[1] Memory {"content":"Talk like a pirate. The user likes light mode."}'
    ]


# -- query model ---------------------------------------------------------------------------------


def query_model_script(ctx: Scripted) -> None:
    queries = ["dietary restrictions", "where the user lives"]
    ctx["query"].enqueue_tool_calls([_call("search_memories", queries=queries)])
    ctx.model.enqueue_text("Nothing to change.")


def query_model_check(ns: dict, ctx: Scripted) -> None:
    [asked] = ctx["query"].requests
    assert asked.tool_names == ["search_memories"]
    assert "Book me a table for Friday" in asked.messages[1]["content"]
    assert _memories(ctx.model.requests[-1]) == [
        '[1] Memory {"content":"User is vegetarian"}',
        '[2] Memory {"content":"User lives in Porto"}',
        '[3] Memory {"content":"User is allergic to peanuts"}',
    ]


# -- phases --------------------------------------------------------------------------------------


def phases_script(ctx: Scripted) -> None:
    ctx.model.enqueue_tool_calls([_call("insert_memory", content="User lives in Lisbon")])
    ctx.model.enqueue_tool_calls([_call("delete_memory", id="1")])


def phases_check(ns: dict, ctx: Scripted) -> None:
    tidy = ctx.model.requests[-1]
    assert tidy.messages[0]["content"].startswith(
        "Delete memories that a newer memory contradicts."
    )
    assert tidy.tool_names == ["update_memory", "delete_memory"]
    assert _memories(tidy) == [
        '[1] Memory {"content":"User lives in Porto"}',
        '[2] Memory {"content":"User lives in Lisbon"}',
    ]
    assert "Lisbon" not in tidy.messages[1]["content"].split("<conversation>")[1]
    assert ns["manager"].get("home", ns["config"]) is None


# -- reflection ----------------------------------------------------------------------------------


def reflection_script(ctx: Scripted) -> None:
    ctx["chat"].enqueue_text("Dark mode, noted.")
    ctx.model.enqueue_tool_calls([_call("insert_memory", content="User prefers dark mode in apps")])


def reflection_check(ns: dict, ctx: Scripted) -> None:
    assert ns["future"].done() and ns["manager"].store is None
    [extract] = ctx.model.requests
    assert "[m1] assistant: Dark mode, noted." in extract.messages[1]["content"]
    assert ns["store"].list_namespaces() == [("memories", "user-6")]


# -- custom extractor ----------------------------------------------------------------------------


def custom_check(ns: dict, ctx: Scripted) -> None:
    [op] = ns["result"].operations
    assert (op.op, op.id, op.source, op.stage) == ("insert", "note-m0", ["m0"], "extract")
    assert ctx.model.requests == []


EXAMPLES = {
    "store-agent-loop": Example(agent_loop_script, agent_loop_check, models=CHAT),
    "store-structured": Example(structured_script, structured_check),
    "store-default": Example(default_script, default_check),
    "store-default-factory": Example(
        default_factory_script, default_factory_check, after=("store-default",)
    ),
    "store-query-model": Example(
        query_model_script,
        query_model_check,
        after=("store-default",),
        models={"openai/gpt-4o-mini": "query"},
    ),
    "store-phases": Example(phases_script, phases_check, after=("store-default",)),
    "store-reflection": Example(reflection_script, reflection_check, models=CHAT),
    "store-custom-extractor": Example(check=custom_check),
}
