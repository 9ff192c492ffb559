"""README.md: the library example updates the one memory it was given."""

from __future__ import annotations

from doc_examples import Example, Scripted
from harness.memory import Memory


def library_script(ctx: Scripted) -> None:
    update = {"name": "update_memory", "arguments": {"id": "1", "content": "User works as a nurse"}}
    ctx.model.enqueue_tool_calls([update])


def library_check(ns: dict, ctx: Scripted) -> None:
    # The loop variable is the last (and only) item of the result.
    memory = ns["memory"]
    assert memory.id == "m1" and memory.content == Memory(content="User works as a nurse")
    assert memory.operation.before == {"content": "User works at a bakery"}
    [request] = ctx.model.requests
    assert '[1] Memory {"content":"User works at a bakery"}' in request.messages[1]["content"]


EXAMPLES = {"readme-library": Example(library_script, library_check)}


def tour_check(ns: dict, ctx: Scripted) -> None:
    import duckdb

    stats, heuristic, oracle, compare, report, floor, regression = ns["outputs"]
    assert "core" in stats
    assert "micro_f1" in heuristic and "micro_f1" in oracle
    assert "micro_f1" in compare and "better" in compare
    html = ns["cwd"] / "reports" / "report.html"
    assert html.stat().st_size > 10_000 and "report written to reports/report.html" in report
    assert "PASS" in floor
    assert "FAILED" in regression and "micro_f1 vs baseline" in regression
    with duckdb.connect(str(ns["cwd"] / "reports" / "harness.duckdb"), read_only=True) as db:
        runs = db.execute("SELECT name, model, n_cases FROM runs ORDER BY name").fetchall()
    assert runs == [("heuristic", "baseline/heuristic", 20), ("oracle", "baseline/oracle", 20)]


EXAMPLES["readme-tour"] = Example(check=tour_check)
