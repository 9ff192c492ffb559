"""The docs stay true to the code: the command-line reference is regenerated from the Typer app,
and the README stays a short front page."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README_LIMIT = 12 * 1024


def _cli_reference():
    from harness.cli import reference

    return reference


def test_cli_reference_is_up_to_date():
    page = ROOT / "docs/reference/cli.md"
    assert page.read_text(encoding="utf-8") == _cli_reference().render(), (
        "docs/reference/cli.md is out of date: run python -m harness.cli.reference"
    )


def test_cli_reference_lists_every_command_and_option():
    import typer.main

    from harness.cli.main import _register, app

    _register()
    text = _cli_reference().render()
    root = typer.main.get_command(app)
    for name, command in root.commands.items():
        assert f"## `harness {name}`" in text
        for sub in getattr(command, "commands", {}):
            assert f"### `harness {name} {sub}`" in text
    run_options = {opt for param in root.commands["run"].params for opt in param.opts}
    run_section = text.split("## `harness run`")[1].split("\n## ")[0]
    for option in run_options - {"--help"}:
        assert f"`{option}`" in run_section, option
    assert "| `HARNESS_DB` |" in text  # the environment variable summary


def test_readme_is_a_short_front_page():
    readme = ROOT / "README.md"
    size = readme.stat().st_size
    assert size <= README_LIMIT, f"README.md is {size} bytes; move detail into docs/"


def test_readme_links_into_the_docs_resolve():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#]+)", text)
    assert links, "the README links into docs/"
    for link in links:
        assert (ROOT / link).exists(), link
