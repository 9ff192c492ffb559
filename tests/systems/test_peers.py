"""LangMem and Mem0 as systems under test, on scripted models (offline), through their own code.

Each peer replays the tiny dataset (``tests/runner/data/tiny.jsonl``) with the ``exact`` matcher;
the scripted model answers in the peer's own format (LangMem: trustcall tool calls; Mem0: its
JSON extraction), so the numbers are worked out by hand below. The tests skip, saying which
extra to install, when the peer library is absent.
"""

from __future__ import annotations

import gc
import json
import os
import re
import uuid
from pathlib import Path

import pytest

from harness._async import run_sync
from harness.errors import ConfigurationError
from harness.models.scripted import ScriptedRequest, scripted_model
from harness.results import open_results
from harness.runner import RunConfig
from harness.runner.engine import arun
from harness.systems import langmem as langmem_adapter
from harness.systems import mem0 as mem0_adapter
from harness.systems.registry import check_system_spec

TINY = Path(__file__).resolve().parents[1] / "runner" / "data" / "tiny.jsonl"
FAST = {"dataset": str(TINY), "matcher": "exact", "n_resamples": 0, "search_modes": ["vector"]}

needs_langmem = pytest.mark.skipif(
    bool(langmem_adapter.missing_packages()),
    reason="needs the [langmem] extra: pip install 'memory-harness[langmem]'",
)
needs_mem0 = pytest.mark.skipif(
    bool(mem0_adapter.missing_packages()),
    reason="needs the [mem0] extra: pip install 'memory-harness[mem0]'",
)


def run(db: Path, **options):
    config = RunConfig.model_validate({**FAST, **options})
    result = run_sync(arun(config, db=db))
    with open_results(db) as store:
        return result, store.get_run(result.run_id)


# --- LangMem ---------------------------------------------------------------------------------


def langmem_reply(request: ScriptedRequest) -> dict:
    """Answer as a model would through trustcall: PatchDoc, Memory and RemoveDoc tool calls."""
    system = request.messages[0]["content"]
    shown = dict(
        (text, id_)
        for id_, text in re.findall(
            r"<instance id=(\S+) schema_type=\"Memory\">\n\{'content': '([^']*)'", system
        )
    )
    said = request.last_user_text
    if "dark mode" in said:
        patch = [{"op": "replace", "path": "/content", "value": "User prefers dark mode"}]
        return {"tool_calls": [
            {"name": "PatchDoc", "arguments": {"json_doc_id": shown["User prefers light mode"],
                                              "planned_edits": "theme", "patches": patch}},
            {"name": "Memory", "arguments": {"content": "User drinks green tea"}},
        ]}  # fmt: skip
    if "forget where I live" in said:
        target = shown["User lives in Paris"]
        return {"tool_calls": [{"name": "RemoveDoc", "arguments": {"json_doc_id": target}}]}
    return {"text": "Nothing to remember."}


@needs_langmem
def test_langmem_replays_through_its_own_manager(tmp_path):
    model = scripted_model(f"langmem-{uuid.uuid4().hex[:8]}").reset().respond_with(langmem_reply)
    result, record = run(tmp_path / "r.duckdb", model=model.model, system="langmem")
    assert result.errors == 0
    assert result.metrics["micro_f1"].value == 1.0
    assert result.metrics["exact_session_accuracy"].value == 1.0
    assert len(model.requests) == 4  # one LangMem call per session
    first = next(r for r in model.requests if "dark mode" in r.last_user_text)
    assert first.tool_names == ["PatchDoc", "Memory", "RemoveDoc"]  # trustcall's tools
    assert "User prefers light mode" in first.messages[0]["content"]  # the memory it was shown
    assert record.model == f"langmem/{model.model}"
    system = record.components["system"]
    assert (system["name"], system["operations"]) == ("langmem", "diffed")
    assert system["packages"]["langmem"] == "0.0.30"


@needs_langmem
def test_langmem_honours_disabled_deletes(tmp_path):
    model = scripted_model(f"langmem-{uuid.uuid4().hex[:8]}").reset().respond_with(langmem_reply)
    result, _ = run(tmp_path / "r.duckdb", model=model.model, system="langmem",
                    enable_deletes=False, case_ids=["tiny-update"])  # fmt: skip
    assert result.metrics["micro_f1"].value == 1.0
    assert model.requests[0].tool_names == ["PatchDoc", "Memory"]


# --- Mem0 ------------------------------------------------------------------------------------


def mem0_reply(request: ScriptedRequest) -> dict:
    """Mem0's additive extraction: a JSON list of new memories."""
    prompt = request.messages[-1]["content"]
    new = prompt.split("## New Messages", 1)[1]
    if "dark mode" in new:
        assert "User prefers light mode" in prompt.split("## New Messages", 1)[0]
        memories = [{"id": "0", "text": "User drinks green tea", "attributed_to": "user"}]
    else:
        memories = []
    return {"text": json.dumps({"memory": memories})}


@needs_mem0
def test_mem0_replays_with_a_local_store_and_our_embedder(tmp_path):
    """Mem0 adds "User drinks green tea" (insert TP) and never updates or deletes: m1's update
    and delete are missed. Micro TP 1 / FP 0 / FN 2: F1 2/(2+2) = 0.5; exact sessions 2 of 4."""
    model = scripted_model(f"mem0-{uuid.uuid4().hex[:8]}").reset().respond_with(mem0_reply)
    result, record = run(tmp_path / "r.duckdb", model=model.model, system="mem0")
    assert result.errors == 0
    assert result.metrics["insert_f1"].value == 1.0
    assert result.metrics["update_f1"].value == 0.0 and result.metrics["delete_f1"].value == 0.0
    assert result.metrics["micro_f1"].value == pytest.approx(0.5)
    assert result.metrics["exact_session_accuracy"].value == pytest.approx(0.5)
    assert len(model.requests) == 4
    assert record.model == f"mem0/{model.model}"
    system = record.components["system"]
    assert (system["name"], system["operations"]) == ("mem0", "diffed")
    assert system["embedder"] == "minilm" or "MiniLM" in system["embedder"]
    assert os.environ["MEM0_TELEMETRY"] == "False"
    import mem0.memory.main as mem0_main

    assert mem0_main.MEM0_TELEMETRY is False


@needs_mem0
def test_mem0_seeds_each_call_and_leaves_no_folder(tmp_path):
    from harness.systems.mem0 import Mem0System

    model = scripted_model(f"mem0-{uuid.uuid4().hex[:8]}").reset().respond_with(mem0_reply)
    system = Mem0System(model.model)
    folder = Path(system.folder)
    existing = [("m1", "Memory", {"content": "User prefers light mode"})]
    messages = [{"id": "a1", "role": "user", "content": "I like dark mode, and green tea."}]
    result = system.invoke({"messages": messages, "existing": existing})
    assert [(op.op, op.after) for op in result.operations] == [
        ("none", {"content": "User prefers light mode"}),
        ("insert", {"content": "User drinks green tea"}),
    ]
    assert result.operations[1].id != "0"  # our own stable id, not Mem0's
    assert system.memory.get_all(filters={"user_id": "x"}, top_k=10)["results"] == []
    assert folder.is_dir()
    del system, result
    gc.collect()
    assert not folder.exists()


# --- both ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "module", "dist"), [
    ("langmem", langmem_adapter, "langmem"), ("mem0", mem0_adapter, "mem0ai")])  # fmt: skip
def test_a_missing_extra_is_named_before_anything_runs(monkeypatch, name, module, dist):
    monkeypatch.setattr(module, "missing_packages", lambda: [dist])
    with pytest.raises(ConfigurationError, match=rf"system {name} needs {dist}: pip install "
                       rf"'memory-harness\[{name}\]'"):  # fmt: skip
        check_system_spec(name)
