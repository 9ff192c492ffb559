"""docs/systems.md: your own system from the command line and the Python API."""

from __future__ import annotations

import re
from pathlib import Path

from doc_examples import Example, Scripted
from harness.systems import Session

PAGE = Path(__file__).resolve().parents[2] / "docs" / "systems.md"


def write_module(ctx: Scripted) -> None:
    """Save the page's ``my_memory.py`` block in the example's folder, as a reader would."""
    text = PAGE.read_text(encoding="utf-8")
    block = r"<!-- example: own-system-module -->\n```python\n(.*?)^```"
    code = re.search(block, text, re.M | re.S)
    assert code is not None
    (ctx.cwd / "my_memory.py").write_text(code[1], encoding="utf-8")


def module_check(ns: dict, ctx: Scripted) -> None:
    remember = ns["remember"]
    session = Session([{"id": "t1", "role": "user", "content": "I'm a nurse. Hi! My dog is Rex."}])
    assert remember(session, {}) == [
        {"op": "insert", "content": "User is a nurse", "source": "t1"},
        {"op": "insert", "content": "User's dog is Rex", "source": "t1"},
    ]
    moved = Session([{"id": "t2", "role": "user", "content": "I'm a teacher now."}])
    assert remember(moved, {"m1": "User is a nurse"}) == [
        {"op": "update", "id": "m1", "content": "User is a teacher now"}
    ]


def cli_check(ns: dict, ctx: Scripted) -> None:
    from harness.results import open_results

    outputs = ns["outputs"]
    assert "custom/my_memory:remember" in outputs[0]
    assert "mine" in outputs[2] and "heuristic" in outputs[2]
    with open_results(ctx.cwd / "reports" / "harness.duckdb") as store:
        mine = store.find_run("mine")
    assert mine.model == "custom/my_memory:remember" and mine.status == "finished"
    assert mine.components["system"]["operations"] == "reported or diffed"


def api_check(ns: dict, ctx: Scripted) -> None:
    result = ns["result"]
    assert result["insert_f1"] is not None and result["error_rate"] == 0.0
    assert len(result.cases) == 20


EXAMPLES = {
    "own-system-module": Example(check=module_check),
    "own-system-cli": Example(script=write_module, check=cli_check),
    "own-system-api": Example(script=write_module, check=api_check, after=("own-system-module",)),
}
