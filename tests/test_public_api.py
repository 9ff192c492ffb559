"""The curated public surface: every exported name imports, and the CLI path stays light."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import harness

HEAVY = ("litellm", "lancedb", "pandas", "duckdb", "numpy", "onnxruntime", "pyarrow")


INTERNAL = {"harness.cli"}  # the command line is the interface; nothing to import from it


def _packages() -> list[str]:
    names = ["harness"]
    for info in pkgutil.walk_packages(harness.__path__, prefix="harness."):
        private = info.name.rsplit(".", 1)[1].startswith("_")  # e.g. harness._compat
        if info.ispkg and info.name not in INTERNAL and not private:
            names.append(info.name)
    return names


@pytest.mark.parametrize("package", _packages())
def test_every_name_in_all_imports(package):
    module = importlib.import_module(package)
    exported = getattr(module, "__all__", None)
    assert exported, f"{package} has no __all__"
    for name in exported:
        assert getattr(module, name) is not None, f"{package}.{name}"


def test_top_level_exports_the_core_api():
    for name in ("create_memory_manager", "Memory", "ExtractedMemory", "RemoveDoc"):
        assert name in harness.__all__


def _modules_loaded_by(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_importing_harness_loads_no_heavy_library():
    loaded = _modules_loaded_by("import harness, harness.models, harness.memory, harness.data")
    assert not [name for name in HEAVY if name in loaded]


def test_cli_help_loads_no_heavy_library():
    code = (
        "import sys\n"
        "from harness.cli.main import app, _register\n"
        "_register()\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'run' in result.output\n"
    )
    loaded = _modules_loaded_by(code)
    assert not [name for name in HEAVY if name in loaded]


def _names_type_checkers_see(tree: ast.Module) -> set[str]:
    """Names bound at module level or in an ``if TYPE_CHECKING:`` block (not lazily at run time)."""
    bound: set[str] = set()
    body = list(tree.body)
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            body.extend(node.body)
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return bound


@pytest.mark.parametrize("package", _packages())
def test_every_name_in_all_is_typed_for_type_checkers(package):
    """A lazily exported name must also be imported for type checkers, or they see ``Any``."""
    module = importlib.import_module(package)
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    listed = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    )
    assert list(listed) == list(module.__all__), f"{package}: __all__ must be a literal list"
    unseen = sorted(set(listed) - _names_type_checkers_see(tree))
    assert not unseen, f"{package}: exported but invisible to type checkers: {unseen}"
    for name in listed:
        value = getattr(module, name)
        if inspect.isfunction(value):
            assert "return" in value.__annotations__, f"{package}.{name} has no return annotation"
