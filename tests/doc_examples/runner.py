"""docs/running.md: a three-case run whose model stores nothing."""

from __future__ import annotations

from doc_examples import Example, Scripted, seed_results
from harness.memory.schemas import Memory
from harness.templates import TemplateVariables, load_template


def api_script(ctx: Scripted) -> None:
    ctx.model.respond_with(lambda request: {"text": "done", "usage": {"input_tokens": 5}})


def api_check(ns: dict, ctx: Scripted) -> None:
    results, run_id = ns["results"], ns["run_id"]
    run = results.get_run(run_id)
    assert (run.status, run.template_name, run.n_cases) == ("finished", "concise", 3)
    assert run.parameters["prompt"] == "concise" and run.parameters["limit"] == 3
    assert len(ctx.model.requests) == sum(r.n_sessions for r in results.case_results(run_id))
    variables = TemplateVariables.for_schemas((Memory,), enable_deletes=True)  # run default
    rendered = load_template("concise").render(variables).splitlines()[0]
    assert rendered in ctx.model.requests[0].messages[0]["content"]  # the template was used


EXAMPLES = {"runner-api": Example(script=api_script, check=api_check)}


def results_sql_check(ns: dict, ctx: Scripted) -> None:
    latest, outcomes, *_ = ns["rows"]
    assert sorted(row[1] for row in latest) == ["candidate-run", "main-run"]
    assert latest[0][1] == "candidate-run"  # best first: the oracle scores 1.0
    assert {row[0] for row in outcomes} == {"baseline/heuristic"}  # the oracle makes no mistake


EXAMPLES["results-sql"] = Example(script=lambda ctx: seed_results(ctx.cwd), check=results_sql_check)
