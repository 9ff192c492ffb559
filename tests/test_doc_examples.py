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
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import io
import pkgutil
import re
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
    r"^<!-- (?P<kind>example|untested): (?P<label>[^>]*?) -->\n```python\n(?P<code>.*?)^```",
    re.M | re.S,
)
PYTHON_FENCE = re.compile(r"^```python\s*$", re.M)
PROVIDERS = "openai|anthropic|gemini|vertex_ai|ollama|mistral|groq|azure|bedrock|together_ai"
MODEL_LITERAL = re.compile(rf"""(["'])((?:{PROVIDERS})/[^"'\s]+)\1""")


@dataclass(frozen=True)
class Block:
    name: str
    page: Path
    line: int  # line of the block's first code line in its page
    code: str


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
            blocks[name] = Block(name, where, line, match["code"])
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


def run_example(name: str) -> dict[str, Any]:
    ctx = Scripted(f"docs-{name}")
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


def test_expected_output_parsing():
    code = "x = 1\nprint(x)\n# 1\n# two ... lines\ny = 2\n# not output\nprint(y)\n"
    assert expected_output(code) == ["1", "two ... lines"]
    assert output_matches("RemoveDoc(json_doc_id='...')", "RemoveDoc(json_doc_id='ab-12')")
    assert not output_matches("update True", "update False")
