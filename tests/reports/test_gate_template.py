"""The gate end to end: it fails on a deliberately degraded template and passes on the original.

Everything is real but the model: ``harness run`` replays ``data/gate_cases.jsonl`` through an
LLM memory manager whose scripted model (``gate_responder``) updates memories only when the
system prompt tells it to, as the bundled ``default`` template does. The degraded template is
``default`` minus that one instruction. A baseline run is exported to a file, as a user would
commit it, and each candidate run is gated against it through the command line.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import gate_responder
import pytest
from typer.testing import CliRunner

from harness.cli import main
from harness.models.scripted import scripted_model
from harness.results import open_results
from harness.templates import load_template

pytestmark = pytest.mark.slow

MODEL = "scripted/gate-template"
DATA = str(Path(__file__).parent / "data" / "gate_cases.jsonl")


def _invoke(app, args: list[str]):
    return CliRunner().invoke(app, args, catch_exceptions=False)


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """Three runs of the gate cases (baseline, original template, degraded template) in one
    results database, and the baseline exported to a file."""
    main._register()
    app = main.app
    original = load_template("default")
    assert gate_responder.PHRASE in original.source, "the default template lost its update rule"
    degraded = tmp_path / "degraded.j2"
    degraded.write_text(
        "".join(
            line
            for line in original.source.splitlines(keepends=True)
            if gate_responder.PHRASE not in line
        )
    )
    db = tmp_path / "results.duckdb"
    monkeypatch.delenv("HARNESS_DB", raising=False)
    scripted_model(MODEL).reset().respond_with(gate_responder.reply)
    ids = {}
    for name, prompt in (("main", "default"), ("pr-original", "default"),
                         ("pr-degraded", str(degraded))):  # fmt: skip
        result = _invoke(
            app,
            ["run", "--dataset", DATA, "--model", MODEL, "--prompt", prompt, "--name", name,
             "--db", str(db), "--json", "--progress", "none", "--resamples", "200"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        ids[name] = json.loads(result.stdout)["run_id"]
    baseline = tmp_path / "baseline.json"
    exported = _invoke(app, ["gate", "export", "main", "-o", str(baseline), "--db", str(db)])
    assert exported.exit_code == 0, exported.output
    return SimpleNamespace(app=app, root=tmp_path, db=db, baseline=baseline, ids=ids)


def _gate(runs, candidate: str, *extra: str):
    md, xml = runs.root / f"{candidate}.md", runs.root / f"{candidate}.xml"
    result = _invoke(
        runs.app,
        ["gate", candidate, "--baseline-file", str(runs.baseline), "--min", "update_f1=0.8",
         "--max-drop", "0.02", "--markdown", str(md), "--junit", str(xml), "--db", str(runs.db),
         *extra],
    )  # fmt: skip
    return result, md.read_text(), ET.parse(xml).getroot()


def test_gate_fails_on_the_degraded_template_and_passes_on_the_original(runs):
    # One test, so the three runs behind it are made once even when tests are spread over
    # several worker processes.
    _original_passes_from_the_response_cache(runs)
    _degraded_fails_with_reasons(runs)
    _degraded_fails_against_a_stored_baseline_run(runs)


def _original_passes_from_the_response_cache(runs):
    result, markdown, junit = _gate(runs, "pr-original")
    assert result.exit_code == 0, result.output
    assert markdown.startswith("## ✅ Memory quality gate passed")
    assert "**all 6 checks passed (1 skipped)**" in markdown  # delete_f1: no deletes here
    assert "| `update_f1 >= 0.8` | - | 1.000" in markdown
    assert (junit.get("tests"), junit.get("failures"), junit.get("skipped")) == ("7", "0", "1")
    with open_results(runs.db, read_only=True) as store:
        cases = store.case_results(runs.ids["pr-original"])
    # the same prompts as the baseline run: every model call came from the response cache
    assert sum(c.n_calls for c in cases) == sum(c.cached_calls for c in cases) == 24


def _degraded_fails_with_reasons(runs):
    result, markdown, junit = _gate(runs, "pr-degraded")
    assert result.exit_code == 1, result.output
    assert markdown.startswith("## ❌ Memory quality gate failed")
    update = next(line for line in markdown.splitlines() if line.startswith("| `update_f1 vs"))
    assert "| 1.000 | 0.000 | -1.000 [-1.000, -1.000] | <0.001 | ❌ fail |" in update
    floor = next(line for line in markdown.splitlines() if line.startswith("| `update_f1 >="))
    assert "❌ fail" in floor
    assert "### worst regressed cases (micro_f1, baseline -&gt; candidate)" in markdown
    assert (
        '| `upd-01` | update | 1.000 | 0.000 | s1 gold update m1 "User lives in Lille" / predicted '
        'insert "User lives in Lille": duplicate_instead_of_update' in markdown
    )
    failures = {
        case.get("name"): case.find("failure")
        for case in junit.iter("testcase")
        if case.find("failure") is not None
    }
    assert {"update_f1 >= 0.8", "update_f1 vs baseline", "micro_f1 vs baseline"} <= set(failures)
    assert (
        failures["update_f1 vs baseline"]
        .get("message")
        .startswith(
            "update_f1 dropped by 1.000, more than the 0.02 tolerance, and credibly (p < 0.001"
        )
    )
    assert "duplicate_instead_of_update" in failures["micro_f1 vs baseline"].text


def _degraded_fails_against_a_stored_baseline_run(runs):
    result = _invoke(
        runs.app,
        ["gate", "pr-degraded", "--baseline", "main", "--metric", "update_f1", "--json",
         "--db", str(runs.db)],
    )  # fmt: skip
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["passed"] is False and payload["exit_code"] == 1
    assert [c["name"] for c in payload["checks"]] == ["update_f1 vs baseline"]
    assert payload["baseline"]["run_id"] == runs.ids["main"]
