"""Render every ``harness`` command's usage and options as the Markdown page
``docs/reference/cli.md``, straight from the Typer app, so the reference cannot drift from the
code. ``python -m harness.cli.reference`` rewrites the page; ``--check`` exits 1 when the
committed page differs (a test runs the same comparison)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md"

HEADER = """\
# Command-line reference

Every command of `harness`, its arguments and options, as `--help` shows them. Options that
name an environment variable read it when the option is not given; a value given on the command
line always wins.

This page is generated from the command definitions by `python -m harness.cli.reference`; a test
fails when it is out of date.
"""


def _command_tree() -> Any:
    import typer.main

    from harness.cli.main import _register, app

    _register()
    return typer.main.get_command(app)


def _context(command: Any, name: str, parent: Any) -> Any:
    from typer._click.core import Context

    return Context(command, info_name=name, parent=parent)


def _subcommands(command: Any) -> list[tuple[str, Any]]:
    commands = getattr(command, "commands", None)
    if not commands:
        return []
    return list(commands.items())  # registration order: the order of the data flow


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _names(param: Any) -> str:
    names = [*param.opts, *(param.secondary_opts or [])]
    return ", ".join(f"`{name}`" for name in names)


def _type(param: Any, ctx: Any) -> str:
    if getattr(param, "is_flag", False):
        return "flag"
    shown = param.display_type(ctx).strip("<>")
    return f"`{shown}`" if shown else ""


def _envvar(param: Any) -> str:
    envvar = param.envvar
    if not envvar:
        return ""
    envvars = [envvar] if isinstance(envvar, str) else list(envvar)
    return ", ".join(f"`{name}`" for name in envvars)


def _params_table(params: list[Any], ctx: Any) -> list[str]:
    rows = ["| option | type | environment | meaning |", "|---|---|---|---|"]
    for param in params:
        if getattr(param, "hidden", False):
            continue
        help_text = getattr(param, "help", None) or ""
        if param.param_type_name == "argument":
            name = f"`{param.name.upper()}` (argument{'' if param.required else ', optional'})"
        else:
            name = _names(param)
        rows.append(f"| {name} | {_type(param, ctx)} | {_envvar(param)} | {_cell(help_text)} |")
    return rows if len(rows) > 2 else []


def _usage(command: Any, path: str) -> str:
    pieces = [path]
    if any(p.param_type_name == "option" for p in command.params):
        pieces.append("[OPTIONS]")
    for param in command.params:
        if param.param_type_name == "argument":
            name = param.name.upper()
            if param.nargs != 1:
                name += "..."
            pieces.append(name if param.required else f"[{name}]")
    if _subcommands(command):
        pieces.append("COMMAND [ARGS]...")
    return " ".join(pieces)


def _section(command: Any, path: str, level: int, parent: Any) -> list[str]:
    ctx = _context(command, path.rsplit(" ", 1)[-1], parent)
    lines = [f"{'#' * level} `{path}`", ""]
    help_text = (command.help or "").strip()
    if help_text:
        lines += [help_text.replace("\b\n", ""), ""]
    lines += ["```", _usage(command, path), "```", ""]
    table = _params_table([p for p in command.params if p.name != "help"], ctx)
    if table:
        lines += [*table, ""]
    for name, sub in _subcommands(command):
        if getattr(sub, "hidden", False):
            continue
        lines += _section(sub, f"{path} {name}", min(level + 1, 4), ctx)
    return lines


def _environment(root: Any) -> list[str]:
    """One row per environment variable: the options that read it, in which commands."""
    readers: dict[str, list[str]] = {}

    def visit(command: Any, path: str) -> None:
        for param in command.params:
            for env in [param.envvar] if isinstance(param.envvar, str) else param.envvar or []:
                readers.setdefault(env, []).append(f"`{path} {param.opts[0]}`")
        for name, sub in _subcommands(command):
            visit(sub, f"{path} {name}")

    visit(root, "harness")
    lines = ["## Environment variables", "", "| variable | read by |", "|---|---|"]
    lines += [f"| `{env}` | {', '.join(readers[env])} |" for env in sorted(readers)]
    return [*lines, ""]


def render() -> str:
    """The whole page, deterministic for a given app."""
    root = _command_tree()
    ctx = _context(root, "harness", None)
    lines = [HEADER]
    for name, command in _subcommands(root):
        if getattr(command, "hidden", False):
            continue
        lines += _section(command, f"harness {name}", 2, ctx)
    lines += _environment(root)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE} is out of date: python -m harness.cli.reference", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
