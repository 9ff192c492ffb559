"""``harness init``: a starter matrix file and a GitHub Actions workflow for the user's repository.

The workflow runs this repository's composite action (``action.yml``): it installs the harness,
restores the response cache, replays the dataset through the user's system, gates the run and
posts the summary. Existing files are never overwritten without ``--force``.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from harness.cli._options import option

ACTION = "memory-harness/memory-harness"
"""Where this repository's action is published (``owner/repo``); ``--action`` overrides it."""

WORKFLOW = Path(".github") / "workflows" / "memory-gate.yml"
CONFIG = Path("memory-harness.toml")
BASELINE = "ci/memory-baseline.json"


def init(
    directory: Path = typer.Argument(Path("."), file_okay=False, help="The repository's root."),
    system: str = option(
        "--system", default="harness", help="System under test: harness, or MODULE:ATTR of yours."
    ),
    model: str = option(
        "--model", "-m", default="baseline/heuristic", help="Model for the system (litellm)."
    ),
    dataset: str = option(
        "--dataset", "-d", default="core", help="A bundled dataset's name or your JSONL path."
    ),
    action: str | None = option(
        "--action",
        default=None,
        help="The action to use, OWNER/REPO@REF (default: this "
        "version's release of memory-harness).",
    ),
    force: bool = option("--force", default=False, help="Overwrite files that exist."),
) -> None:
    """Write a starter matrix file and a CI workflow that gates your memory system on each PR."""
    from harness import __version__
    from harness.errors import ConfigurationError

    files = {
        directory / CONFIG: config_text(system=system, model=model, dataset=dataset),
        directory / WORKFLOW: workflow_text(
            action=action or f"{ACTION}@v{__version__}", system=system, model=model,
            dataset=dataset,
        ),
    }  # fmt: skip
    existing = [str(path) for path in files if path.exists()]
    if existing and not force:
        raise ConfigurationError(
            f"{', '.join(existing)} already exist(s); nothing written (--force overwrites)"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {path}")
    typer.echo(
        "next: harness matrix memory-harness.toml compares your system with the baseline; "
        f"then record a baseline for the gate: harness run -d {dataset} --system {system} "
        f"--model {model} --name main && harness gate export main -o {BASELINE}, and commit it"
    )


def config_text(*, system: str, model: str, dataset: str) -> str:
    """The starter matrix file: the system under test beside the offline baseline."""
    systems = [system] if system == "harness" else [system, "harness"]
    models = list(dict.fromkeys([model, "baseline/heuristic"]))
    return f"""\
# memory-harness: your memory system on a labeled dataset, beside the offline baseline.
#   harness matrix memory-harness.toml      # run every combination, then compare them
#   harness report                          # the HTML report of the recorded runs
# The CI gate ({WORKFLOW.as_posix()}) replays the same dataset with the first system and model.
name = "memory-gate"
datasets = [{_toml(dataset)}]   # a bundled dataset's name (core, long, social) or a JSONL path
systems = [{", ".join(_toml(s) for s in systems)}]   # harness, or MODULE:ATTR of your own
models = [{", ".join(_toml(m) for m in models)}]   # litellm model strings; baseline/* runs offline
prompts = ["default"]

[run]
limit = 40          # drop it to replay every case
"""


def workflow_text(*, action: str, system: str, model: str, dataset: str) -> str:
    """The starter workflow: gate every pull request, refresh the baseline artifact on main."""
    return f"""\
name: memory-gate
on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read
  pull-requests: write   # the gate's summary is posted as a comment

jobs:
  memory-gate:
    runs-on: ubuntu-latest
    # env:
    #   OPENAI_API_KEY: ${{{{ secrets.OPENAI_API_KEY }}}}  # for hosted models only
    steps:
      - uses: actions/checkout@v6
      - uses: {action}
        with:
          dataset: {_yaml(dataset)}
          system: {_yaml(system)}
          model: {_yaml(model)}
          limit: "40"
          # install: "-e ."                    # your own system's package
          baseline-file: {BASELINE}   # from `harness gate export`; floors only until it exists
          # min: "micro_f1=0.7 update_f1=0.6"      # floors, once you know your level
          max: "error_rate=0.05"
          max-drop: "0.02"
"""


def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _yaml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar
