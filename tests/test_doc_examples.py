"""Every python example in the docs (``docs/**/*.md`` and ``README.md``) runs, against scripted
models, and prints what it claims.

A python block is marked on the line before its fence with ``<!-- example: NAME -->`` (run as a
test; its replies and checks live in ``tests/doc_examples/<page>.py``) or with
``<!-- untested: reason -->``. Names are unique across all pages. In a marked block:

- every quoted model string (``"openai/gpt-4o-mini"``, ``"anthropic/..."``, ...) is replaced by a
  scripted model before the block runs;
- top-level ``await`` works (the block then runs on the harness event loop, so it must not also
  call the blocking ``invoke``);
- comment lines right after a ``print(...)`` line are the expected output; ``...`` in them
  matches anything.

Every example runs in a fresh working folder that holds a link to the project's ``datasets/``
(the example's ``script`` finds it as ``ctx.cwd``, to put files there first).

A ``bash`` block marked ``<!-- example: NAME -->`` is a shell session: each command runs, in
order, in that folder (which is also ``HOME``), with no ``HARNESS_*`` variable set, so every
default applies. A command must exit 0 unless its
trailing comment starts with ``exit N``. Its example's ``check`` gets ``cwd`` (the folder) and
``outputs`` (each command's stdout). Unmarked ``bash`` blocks are illustrations (real models,
files you provide) and do not run. A marked ``sql`` block runs statement by statement on
``reports/harness.duckdb`` in the folder (which its ``script`` writes); ``check`` gets ``rows``.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import io
import os
import pkgutil
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import doc_examples
import pytest
from doc_examples import Example, Scripted

from harness._async import run_sync

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(
    r"^<!-- (?P<kind>example|untested): (?P<label>[^>]*?) -->\n"
    r"```(?P<lang>python|bash|sql)\n(?P<code>.*?)^```",
    re.M | re.S,
)
TRAILING_EXIT = re.compile(r"\s#\s*exit (?P<code>\d+)\b")
PYTHON_FENCE = re.compile(r"^```python\s*$", re.M)
PROVIDERS = "openai|anthropic|gemini|vertex_ai|ollama|mistral|groq|azure|bedrock|together_ai"
MODEL_LITERAL = re.compile(rf"""(["'])((?:{PROVIDERS})/[^"'\s]+)\1""")


@dataclass(frozen=True)
class Block:
    name: str
    page: Path
    line: int  # line of the block's first code line in its page
    code: str
    lang: str = "python"


def page_blocks() -> dict[str, Block]:
    blocks: dict[str, Block] = {}
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match["kind"] == "untested":
                continue
            name = match["label"].strip()
            where = page.relative_to(ROOT)
            assert name not in blocks, f"{where}: example {name!r} is also in {blocks[name].page}"
            line = text.count("\n", 0, match.start("code")) + 1
            blocks[name] = Block(name, where, line, match["code"], match["lang"])
    return blocks


def registered_examples() -> dict[str, Example]:
    examples: dict[str, Example] = {}
    for module_info in pkgutil.iter_modules(doc_examples.__path__):
        module = importlib.import_module(f"doc_examples.{module_info.name}")
        for name, example in module.EXAMPLES.items():
            assert name not in examples, f"example {name!r} is registered twice"
            examples[name] = example
    return examples


BLOCKS = page_blocks()
EXAMPLES = registered_examples()


def chain(name: str, seen: tuple[str, ...] = ()) -> list[str]:
    """``name`` preceded by the blocks it builds on, each once, in order."""
    assert name not in seen, f"examples depend on each other in a cycle: {seen}"
    order: list[str] = []
    for before in EXAMPLES[name].after:
        order.extend(step for step in chain(before, (*seen, name)) if step not in order)
    order.append(name)
    return order


def expected_output(code: str) -> list[str]:
    """The comment lines that follow ``print(...)`` lines, without the ``# `` prefix."""
    expected: list[str] = []
    after_print = False
    for line in code.splitlines():
        stripped = line.strip()
        if after_print and stripped.startswith("#"):
            expected.append(stripped[1:].strip())
            continue
        after_print = "print(" in stripped
    return expected


def output_matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual.strip()) is not None


def execute(block: Block, source: str, namespace: dict[str, Any]) -> str:
    padded = "\n" * (block.line - 1) + source  # tracebacks point at the page's lines
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    # dont_inherit: page code must not inherit this module's `from __future__ import annotations`
    code = compile(padded, str(ROOT / block.page), "exec", flags=flags, dont_inherit=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        maybe = eval(code, namespace)
        if inspect.iscoroutine(maybe):
            run_sync(maybe)
    return out.getvalue()


def shell_commands(code: str) -> list[tuple[int, str, int]]:
    """(offset in the block, command, expected exit code) of every command line."""
    commands = []
    for offset, line in enumerate(code.splitlines()):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        exit_code = TRAILING_EXIT.search(line)
        commands.append((offset, stripped, int(exit_code["code"]) if exit_code else 0))
    return commands


@contextlib.contextmanager
def working_folder() -> Iterator[Path]:
    """A fresh current directory with the project's datasets in it; the old one comes back."""
    before = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="docs-example-") as folder:
        cwd = Path(folder)
        (cwd / "datasets").symlink_to(ROOT / "datasets", target_is_directory=True)
        os.chdir(cwd)
        try:
            yield cwd
        finally:
            os.chdir(before)


def run_shell_example(block: Block, example: Example, ctx: Scripted) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HARNESS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["HOME"] = str(ctx.cwd)  # the response cache and other user-level files stay in the folder
    outputs = []
    for offset, command, expected in shell_commands(block.code):
        done = subprocess.run(
            command, shell=True, cwd=ctx.cwd, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == expected, (
            f"{block.page}:{block.line + offset}: `{command}` exited {done.returncode}, "
            f"the page says {expected}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
        outputs.append(done.stdout)
    example.check({"cwd": ctx.cwd, "outputs": outputs}, ctx)


def sql_statements(code: str) -> list[str]:
    """The statements of a SQL block, comment lines dropped."""
    lines = [line for line in code.splitlines() if not line.strip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


def run_sql_example(block: Block, example: Example, ctx: Scripted) -> None:
    import duckdb

    rows = []
    with duckdb.connect(str(ctx.cwd / "reports" / "harness.duckdb"), read_only=True) as db:
        for statement in sql_statements(block.code):
            try:
                rows.append(db.execute(statement).fetchall())
            except duckdb.Error as error:
                pytest.fail(f"{block.page}:{block.line}: {error}\n{statement}")
    example.check({"cwd": ctx.cwd, "rows": rows}, ctx)


def run_example(name: str) -> dict[str, Any]:
    with working_folder() as cwd:
        ctx = Scripted(f"docs-{name}", cwd)
        if BLOCKS[name].lang != "python":
            EXAMPLES[name].script(ctx)
            runner = run_shell_example if BLOCKS[name].lang == "bash" else run_sql_example
            runner(BLOCKS[name], EXAMPLES[name], ctx)
            return {}
        return run_python_example(name, ctx)


def run_python_example(name: str, ctx: Scripted) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": f"docs_{name.replace('-', '_')}"}
    for step in chain(name):
        block, example = BLOCKS[step], EXAMPLES[step]
        source = MODEL_LITERAL.sub(
            lambda m, ex=example: repr(ctx.model_string(m[2], ex.models)), block.code
        )
        example.script(ctx)
        printed = execute(block, source, namespace).splitlines()
        expected = expected_output(block.code)
        if expected:
            assert len(printed) == len(expected), (
                f"{step}: printed {printed}, {block.page} says {expected}"
            )
            for want, got in zip(expected, printed, strict=True):
                assert output_matches(want, got), (
                    f"{step}: printed {got!r}, {block.page}:{block.line} says {want!r}"
                )
        example.check(namespace, ctx)
    return namespace


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_python_block_is_marked(page: Path):
    text = page.read_text(encoding="utf-8")
    marked = {match.start("code") for match in FENCE.finditer(text)}
    for fence in PYTHON_FENCE.finditer(text):
        line = text.count("\n", 0, fence.start()) + 1
        assert fence.end() + 1 in marked, (
            f"{page.relative_to(ROOT)}:{line}: mark the python block with "
            "<!-- example: NAME --> or <!-- untested: reason --> on the line before"
        )


def test_examples_and_registrations_agree():
    assert sorted(BLOCKS) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_doc_example(name: str):
    if name not in EXAMPLES:
        pytest.fail(f"example {name!r} of {BLOCKS[name].page} has no entry in tests/doc_examples/")
    run_example(name)


def test_shell_command_parsing():
    code = "# a comment\nharness run --name a   # about a minute\n\nharness gate a  # exit 1: why\n"
    assert shell_commands(code) == [
        (1, "harness run --name a   # about a minute", 0),
        (3, "harness gate a  # exit 1: why", 1),
    ]


def test_sql_statement_parsing():
    code = "-- first\nSELECT 1;\n\n-- second\nSELECT 2\nFROM t;\n"
    assert sql_statements(code) == ["SELECT 1", "SELECT 2\nFROM t"]


def test_expected_output_parsing():
    code = "x = 1\nprint(x)\n# 1\n# two ... lines\ny = 2\n# not output\nprint(y)\n"
    assert expected_output(code) == ["1", "two ... lines"]
    assert output_matches("RemoveDoc(json_doc_id='...')", "RemoveDoc(json_doc_id='ab-12')")
    assert not output_matches("update True", "update False")
