"""``harness optimize`` through the real command line app (scripted models, in process)."""

from __future__ import annotations

import json

import pytest
from cli_in_process import cli
from planted import GOOD, START, reply
from typer.testing import CliRunner

from harness.cli import main
from harness.cli.optimize import parse_run_options
from harness.errors import ConfigurationError
from harness.results import open_results


@pytest.fixture(scope="module")
def app():
    main._register()
    return main.app


def _args(planted, *extra):
    return [
        "optimize", "--dataset", str(planted.dataset), "--prompt", str(planted.prompt),
        "--model", planted.extractor.model, "--proposer", planted.proposer.model,
        "--db", str(planted.db), "--out", str(planted.folder / "won.j2"), "--minibatch", "2",
        "--run-option", "concurrency=2", *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_optimize_json_then_resume(app, planted):
    planted.proposer.enqueue_text(reply(GOOD))
    result = CliRunner().invoke(app, _args(planted, "--max-iterations", "1", "--json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "finished" and data["winner_id"] == "c1"
    assert data["test"]["metrics"]["micro_f1"]["start"] == pytest.approx(4 / 5)
    assert data["winner_path"] == str(planted.folder / "won.j2")
    assert (planted.folder / "won.j2").read_text().startswith("{#- harness optimize:")

    table = CliRunner().invoke(app, ["optimize", "--resume", data["opt_id"], "--db",
                                     str(planted.db), "--progress", "none"])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "c1 (winner)" in table.stdout and "held-out test split (3 cases)" in table.stdout


def test_resume_refuses_options_other_than_the_budget(app, planted):
    result = CliRunner().invoke(
        app, ["optimize", "--resume", "opt-x", "--model", "scripted/other", "--db",
              str(planted.db)]
    )  # fmt: skip
    assert isinstance(result.exception, ConfigurationError)
    assert "--model" in str(result.exception)


def test_start_needs_both_models(app, planted):
    result = CliRunner().invoke(app, ["optimize", "--model", "scripted/x", "--db", str(planted.db)])
    assert isinstance(result.exception, ConfigurationError)
    assert "--proposer required" in str(result.exception)


def test_bad_run_option_is_named(app, planted):
    result = CliRunner().invoke(app, _args(planted, "--run-option", "max_steps=0"))
    assert isinstance(result.exception, ConfigurationError)
    assert "run.max_steps" in str(result.exception)


def test_run_options_parse_json_values():
    parsed = parse_run_options(["max-steps=2", "matcher=token_f1", 'search_modes=["fts"]'])
    assert parsed == {"max_steps": 2, "matcher": "token_f1", "search_modes": ["fts"]}
    with pytest.raises(ConfigurationError, match="expected KEY=VALUE"):
        parse_run_options(["oops"])


@pytest.mark.slow
def test_a_proposer_that_always_fails_exits_1_and_writes_nothing(planted, capsys):
    """It used to exit 0 and write the unchanged start template as the 'winner'."""
    planted.proposer.respond_with(lambda request: "I would rather not rewrite it.")
    code = cli(*_args(planted, "--max-iterations", "2", "--progress", "none"))
    err = capsys.readouterr().err
    assert code == 1, err
    assert "none of its 2 proposals produced a template (first, invalid: " in err
    assert "Traceback" not in err and not (planted.folder / "won.j2").exists()
    with open_results(planted.db) as results:
        (row,) = results.query("SELECT status, error FROM optimizations")
    assert row["status"] == "failed" and "OptimizeFailedError" in row["error"]


@pytest.mark.slow
def test_no_candidate_better_than_the_start_writes_no_winner(app, planted):
    planted.proposer.respond_with(lambda request: reply(START))  # a duplicate of the start
    result = CliRunner().invoke(app, _args(planted, "--max-iterations", "1", "--json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["proposals"] == {"duplicate": 1}
    assert (data["winner_id"], data["winner_path"]) == ("c0", None)
    assert not (planted.folder / "won.j2").exists()


@pytest.mark.parametrize("out", ["start.j2/won.j2", "."])
def test_an_unwritable_out_path_is_refused_before_the_search(planted, capsys, out):
    args = _args(planted, "--max-iterations", "1")
    args[args.index("--out") + 1] = str(planted.folder / out)
    code = cli(*args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: cannot write winner file ") and err.count("\n") == 1
    assert planted.proposer.requests == [] and planted.extractor.requests == []
    with open_results(planted.db) as results:
        assert results.query("SELECT count(*) AS n FROM optimizations")[0]["n"] == 0
