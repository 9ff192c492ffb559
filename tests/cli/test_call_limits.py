"""``--call-timeout`` and ``--max-retries`` on every command that calls models, not only ``run``:
a provider that never answers costs at most ``(1 + max-retries) x call-timeout`` per call."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from cli_in_process import cli

from harness.models.scripted import scripted_model

TINY = Path(__file__).resolve().parents[1] / "runner" / "data" / "tiny.jsonl"


@pytest.fixture
def limits(monkeypatch):
    """The options set the process environment the gateway reads: restore it afterwards."""
    monkeypatch.setenv("HARNESS_CALL_TIMEOUT", "60")
    monkeypatch.setenv("HARNESS_MAX_RETRIES", "3")


@pytest.fixture
def silent():
    model = scripted_model(f"silent-{uuid.uuid4().hex[:8]}").reset()
    model.respond_with(lambda request: "too late")
    model.delay = 3600.0
    yield model
    model.reset()


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["matrix", "MATRIX"],
        ["optimize", "--model", "baseline/noop", "--proposer", "scripted/p"],
        ["rejudge", "some-run", "--judge-model", "scripted/j"],
    ],
)
def test_every_model_command_takes_the_options_and_refuses_an_endless_timeout(
    command, tmp_path, capsys, limits
):
    matrix = tmp_path / "m.toml"
    matrix.write_text('models = ["baseline/noop"]\n')
    args = [str(matrix) if a == "MATRIX" else a for a in command]
    db = str(tmp_path / "r.duckdb")
    assert cli(*args, "--call-timeout", "inf", "--max-retries", "1", "--db", db) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: --call-timeout must be a finite number, not inf"


def test_matrix_cuts_a_provider_that_never_answers(tmp_path, capsys, limits, silent):
    matrix = tmp_path / "m.toml"
    matrix.write_text(
        f'datasets = ["{TINY}"]\nmodels = ["{silent.model}"]\n[run]\nlimit = 1\ncache = "off"\n'
    )
    args = [str(matrix), "--db", str(tmp_path / "r.duckdb"), "--json", "--progress", "none"]
    code = cli("matrix", *args, "--call-timeout", "0.2", "--max-retries", "1")
    out, err = capsys.readouterr()
    assert code == 1, err
    (entry,) = json.loads(out)["entries"]
    assert entry["status"] == "failed"
    assert "no answer within 0.2 s" in entry["error"] and "2 attempt" in entry["error"]
