"""A misspelt provider is refused before litellm is imported, a dataset read or a case run
(it took 13-34 s, the time of those imports, to be told)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import ConfigurationError
from harness.models.names import LITELLM_PREFIXES, check_model_name

TINY = Path(__file__).resolve().parents[1] / "runner" / "data" / "tiny.jsonl"


def test_the_prefixes_are_those_of_the_pinned_litellm():
    """From litellm's own files, not its live lists (which other tests add providers to)."""
    import importlib.resources
    import json

    from litellm.types.utils import LlmProviders

    bundled = importlib.resources.files("litellm") / "model_prices_and_context_window_backup.json"
    firsts = {name.split("/", 1)[0] for name in json.loads(bundled.read_text()) if "/" in name}
    assert {p.value for p in LlmProviders} | firsts == LITELLM_PREFIXES


@pytest.mark.parametrize("name", ["opnai/gpt-4o", "antropic/claude-3-5-haiku", "olama/llama3"])
def test_an_unknown_provider_is_refused_with_the_closest_ones(name):
    from harness.models._litellm import provider_of

    assert provider_of(name) is None  # litellm cannot route it either
    with pytest.raises(ConfigurationError, match=r"unknown provider '\w+'; did you mean '"):
        check_model_name(name)


@pytest.mark.parametrize(
    "name", ["openai/gpt-4o-mini", "gpt-4o-mini", "ollama/llama3", "baseline/heuristic",
             "scripted/x", "local/smollm2-135m", "langmem/openai/gpt-4o-mini"],
)  # fmt: skip
def test_known_providers_and_bare_names_pass(name):
    check_model_name(name)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["run", "-d", str(TINY), "-m", "opnai/gpt-4o"], "error: --model 'opnai/gpt-4o': "),
        (["run", "-d", str(TINY), "--answer-model", "opnai/x"], "error: --answer-model 'opnai/x'"),
        (["matrix", "MATRIX"], "m.toml: models: Value error, model 'opnai/gpt-4o': unknown"),
        (["optimize", "-m", "baseline/noop", "--proposer", "opnai/x"], "error: --proposer 'opn"),
        (["rejudge", "r", "--judge-model", "opnai/x"], "error: --judge-model 'opnai/x': unkn"),
    ],
)
def test_every_command_refuses_it_before_importing_litellm(tmp_path, command, message):
    matrix = tmp_path / "m.toml"
    matrix.write_text('models = ["baseline/noop", "opnai/gpt-4o"]\n')
    args = [str(matrix) if a == "MATRIX" else a for a in command]
    code = (
        "import sys\nfrom harness.cli.main import main\ntry:\n    main()\n"
        "except SystemExit as stop:\n    print('litellm' in sys.modules, stop.code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args, "--db", str(tmp_path / "r.duckdb")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.stdout.split() == ["False", "2"], done.stderr
    assert message in done.stderr and "unknown provider 'opnai'" in done.stderr
    assert done.stderr.count("\n") == 1
