"""``harness init`` and the composite action (``action.yml``): the files init writes, its refusal
to overwrite, and the action's own shell steps run for real on the bundled data (offline), with
the GitHub runner's files (outputs, environment, job summary) stood in by temporary files.

``.ci/lint-actions`` checks both with actionlint; this checks that they do what they say.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from harness import __version__
from harness.cli import main
from harness.cli.init import BASELINE, CONFIG, WORKFLOW
from harness.errors import ConfigurationError
from harness.runner.matrix import load_matrix

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@pytest.fixture(scope="module")
def app():
    main._register()
    return main.app


def test_init_writes_a_matrix_file_and_a_workflow_using_the_action(app, tmp_path):
    result = CliRunner().invoke(
        app, ["init", str(tmp_path), "--system", "my_pkg.memory:system", "-m", "openai/gpt-4o"]
    )
    assert result.exit_code == 0, result.output
    matrix = load_matrix(tmp_path / CONFIG)
    assert matrix.systems == ["my_pkg.memory:system", "harness"]
    assert matrix.models == ["openai/gpt-4o", "baseline/heuristic"]
    assert matrix.datasets == ["core"]
    workflow = yaml.safe_load((tmp_path / WORKFLOW).read_text(encoding="utf-8"))
    step = workflow["jobs"]["memory-gate"]["steps"][-1]
    assert step["uses"] == f"memory-harness/memory-harness@v{__version__}"
    assert step["with"]["system"] == "my_pkg.memory:system"
    assert step["with"]["model"] == "openai/gpt-4o"
    assert step["with"]["baseline-file"] == BASELINE
    assert set(step["with"]) <= set(ACTION["inputs"])  # every input it sets exists
    assert workflow["permissions"]["pull-requests"] == "write"


def test_init_refuses_to_overwrite_unless_forced(app, tmp_path):
    (tmp_path / CONFIG).write_text("mine\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["init", str(tmp_path)])
    assert isinstance(refused.exception, ConfigurationError)
    assert "memory-harness.toml" in str(refused.exception) and "--force" in str(refused.exception)
    assert (tmp_path / CONFIG).read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / WORKFLOW).exists()  # nothing written, not even the other file
    forced = CliRunner().invoke(app, ["init", str(tmp_path), "--force", "--action", "me/h@main"])
    assert forced.exit_code == 0, forced.output
    assert "me/h@main" in (tmp_path / WORKFLOW).read_text(encoding="utf-8")
    assert load_matrix(tmp_path / CONFIG).systems == ["harness"]


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint (dev extra) missing")
def test_the_init_workflow_passes_actionlint(app, tmp_path):
    CliRunner().invoke(app, ["init", str(tmp_path)])
    checked = subprocess.run(
        ["actionlint", str(WORKFLOW)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_input_the_action_uses_is_declared_and_every_declared_one_is_used():
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([a-z][a-z0-9-]*)", text))
    assert used == set(ACTION["inputs"])


class Runner:
    """The shell steps of the action, run as the runner would: expressions substituted, outputs
    read back from ``$GITHUB_OUTPUT``; the install and ``uses:`` steps are left out."""

    def __init__(self, folder: Path, inputs: dict[str, str]) -> None:
        self.folder = folder
        self.inputs = {
            name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()
        }
        self.inputs.update(inputs)
        self.outputs: dict[str, dict[str, str]] = {}
        out = folder / "out"
        out.mkdir(parents=True)
        bin_dir = folder / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "harness"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m harness.cli.main "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
        self.summary = folder / "summary.md"
        self.env = {
            **os.environ,
            "PATH": os.pathsep.join(
                [str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]
            ),
            "MEMORY_GATE_OUT": str(out),
            "HARNESS_DB": str(out / "harness.duckdb"),
            "GITHUB_STEP_SUMMARY": str(self.summary),
        }

    def value(self, expression: str) -> str:
        if expression.startswith("inputs."):
            return self.inputs[expression.removeprefix("inputs.")]
        step = re.fullmatch(r"steps\.([a-z-]+)\.outputs\.([a-z-]+)", expression)
        if step:
            return self.outputs.get(step.group(1), {}).get(step.group(2), "")
        if expression.startswith("github.event.pull_request.number &&"):
            return "pr-7"  # the run name on a pull request
        raise AssertionError(f"the test does not know the expression {expression!r}")

    def step(self, step_id: str) -> subprocess.CompletedProcess[str]:
        step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)
        output = self.folder / f"{step_id}.out"
        output.touch()
        env = {
            k: EXPRESSION.sub(lambda m: self.value(m.group(1)), v) for k, v in step["env"].items()
        }
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=self.folder,
            env={**self.env, **env, "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        lines = output.read_text(encoding="utf-8").splitlines()
        self.outputs[step_id] = dict(line.split("=", 1) for line in lines if "=" in line)
        return done


@pytest.mark.slow
def test_the_action_runs_gates_and_summarises_offline(tmp_path):
    first = Runner(tmp_path / "first", {"limit": "3"})
    key = first.step("key")
    assert key.returncode == 0, key.stderr
    assert first.outputs["key"]["key"].startswith("memory-harness-harness-baseline/heuristic-")
    ran = first.step("run")
    assert ran.returncode == 0, ran.stderr
    run_id = first.outputs["run"]["run-id"]
    gate = first.step("gate")
    assert gate.returncode == 0, gate.stderr
    assert first.outputs["gate"] == {"passed": "true", "status": "0"}
    out = tmp_path / "first" / "out"
    assert "baseline file" not in gate.stdout  # no baseline input: floors and ceilings only
    assert first.summary.read_text(encoding="utf-8").startswith("## ")
    assert {"gate.md", "gate.xml", "report.html", "baseline.json", "run.json"} <= {
        p.name for p in out.iterdir()
    }
    assert run_id in (out / "baseline.json").read_text(encoding="utf-8")

    shutil.copy(out / "baseline.json", tmp_path / "baseline.json")
    second = Runner(
        tmp_path / "second",
        {"limit": "3", "baseline-file": str(tmp_path / "baseline.json"), "min": "final_f1=0.99"},
    )
    assert second.step("run").returncode == 0
    gate = second.step("gate")
    assert gate.returncode == 0, gate.stderr  # the step records the verdict, the last one fails
    assert second.outputs["gate"] == {"passed": "false", "status": "1"}
    summary = second.summary.read_text(encoding="utf-8")
    assert "final_f1" in summary and "vs baseline" in summary
