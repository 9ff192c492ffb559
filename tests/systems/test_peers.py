"""LangMem and Mem0 as systems under test, on scripted models (offline), through their own code.

Each peer replays the tiny dataset (``tests/runner/data/tiny.jsonl``) with the ``exact`` matcher;
the scripted model answers in the peer's own format (LangMem: trustcall tool calls; Mem0: its
JSON extraction), so the numbers are worked out by hand below. The tests skip, saying which
extra to install, when the peer library is absent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cli_in_process import cli

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
    assert result.usage is None  # Mem0 calls its model itself: unknown to a library caller too
    assert system.memory.get_all(filters={"user_id": "x"}, top_k=10)["results"] == []
    assert folder.is_dir()
    system.close()  # collection removes it too, but when is up to Mem0's threads under load
    assert not folder.exists()
    system.close()  # closing twice is harmless


# --- both ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "module", "dist"), [
    ("langmem", langmem_adapter, "langmem"), ("mem0", mem0_adapter, "mem0ai")])  # fmt: skip
def test_a_missing_extra_is_named_before_anything_runs(monkeypatch, name, module, dist):
    monkeypatch.setattr(module, "missing_packages", lambda: [dist])
    with pytest.raises(ConfigurationError, match=rf"system {name} needs {dist}: pip install "
                       rf"'memory-harness\[{name}\]'"):  # fmt: skip
        check_system_spec(name)


@needs_langmem
def test_a_peers_tokens_cost_and_calls_are_unknown_not_zero(tmp_path, capsys):
    """LangMem calls its model itself, so the harness counts none of its tokens: they were
    recorded as 0 (and reported as 0 tokens, 0 calls); unknown is NULL and shown as n/a, while a
    baseline that made no call keeps its known 0."""
    from harness.reports._report_data import load_report_data
    from harness.reports.compare import compare_runs

    model = scripted_model(f"langmem-{uuid.uuid4().hex[:8]}").reset().respond_with(langmem_reply)
    db = tmp_path / "r.duckdb"
    peer, _ = run(db, model=model.model, system="langmem", name="peer")
    known, _ = run(db, model="baseline/oracle", name="oracle")
    assert len(model.requests) == 4  # the peer did call its model
    for name in ("input_tokens", "output_tokens", "n_calls", "cost_usd", "cached_calls"):
        assert peer.metrics[name].value is None, name
    assert known.metrics["input_tokens"].value == 0.0 and known.metrics["n_calls"].value == 0.0
    with open_results(db) as store:
        rows = store.case_results(peer.run_id)
        assert {(r.input_tokens, r.output_tokens, r.n_calls, r.cost_usd) for r in rows} == {
            (None, None, None, None)
        }
        runs = [store.get_run(peer.run_id), store.get_run(known.run_id)]
        usage = [s.usage for s in load_report_data(store, runs).runs]
        compared = compare_runs(store, [peer.run_id, known.run_id])
    assert (usage[0].input_tokens, usage[0].n_calls, usage[0].cost_usd) == (None, None, None)
    assert (usage[1].input_tokens, usage[1].n_calls) == (0, 0)
    assert compared.runs[0].usage["input_tokens"] is None
    assert compared.runs[1].usage["input_tokens"] == 0
    capsys.readouterr()
    assert cli("runs", "show", "peer", "--json", "--db", str(db)) == 0
    shown = json.loads(capsys.readouterr().out)["metrics"]
    assert shown["input_tokens"]["value"] is None and shown["n_calls"]["value"] is None
    html = tmp_path / "r.html"
    assert cli("report", "--runs", "peer", "-o", str(html), "--db", str(db)) == 0
    page = html.read_text()
    assert 'data-value="">\u2013</td>' in page  # a dash for the unknown tokens and calls
    assert "No model tokens were used" not in page


@needs_langmem
def test_building_the_langmem_system_shows_no_third_party_deprecation(tmp_path):
    # trustcall imports langgraph's Send the deprecated way; a fresh interpreter, so the import
    # really happens here, with every DeprecationWarning an error
    code = "from harness.systems.langmem import LangMemSystem; LangMemSystem('scripted/peer')"
    done = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
