"""``harness run`` from the command line: JSON output, the summary table, exit codes."""

from __future__ import annotations

import json
import uuid

import pytest
from cli_in_process import cli
from runner_helpers import TINY, results

from harness.results import open_results


def _json(out: str) -> dict:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"stdout must hold one JSON object, got {lines}"
    return json.loads(lines[0])


def test_json_output_has_the_run_id_and_every_metric_with_its_interval(capsys, db_path):
    code = cli(
        "run", "--dataset", str(TINY), "--model", "baseline/oracle", "--db", str(db_path),
        "--matcher", "exact", "--json", "--progress", "none", "--resamples", "100",
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    payload = _json(out)
    with results(db_path) as store:
        assert store.get_run(payload["run_id"]).status == "finished"
    assert payload["model"] == "baseline/oracle" and payload["case_repeats"] == 3
    micro = payload["metrics"]["micro_f1"]
    assert micro == {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 2}
    assert payload["metrics"]["e2e_hybrid_recall@5"]["value"] == 1.0
    assert payload["errors"] == 0


def test_table_output_names_the_run_and_headline_metrics(capsys, db_path, tiny_model):
    code = cli(
        "run", "-d", str(TINY), "-m", tiny_model.model, "--db", str(db_path),
        "--matcher", "exact", "--progress", "plain", "--resamples", "50", "--name", "table",
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "micro_f1" in out and "0.571" in out and "95% CI" in out
    assert "run " in err and "3/3 done, 0 errors" in err  # plain progress on stderr


def test_a_missing_dataset_exits_2_naming_the_file(capsys, tmp_path, db_path):
    missing = tmp_path / "nope.jsonl"
    assert cli("run", "--dataset", str(missing), "--db", str(db_path)) == 2
    assert f"dataset file {missing} does not exist" in capsys.readouterr().err


def test_a_folder_as_dataset_exits_2_saying_it_is_a_folder(capsys, tmp_path, db_path):
    assert cli("run", "--dataset", str(tmp_path), "--db", str(db_path)) == 2
    assert f"dataset {tmp_path} is a folder, not a file" in capsys.readouterr().err


def test_a_broken_dataset_exits_2_with_file_and_line(capsys, tmp_path, db_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text(TINY.read_text() + '{"id": "x", "sessions": []}\n', encoding="utf-8")
    assert cli("run", "--dataset", str(broken), "--db", str(db_path)) == 2
    assert f"{broken}:4:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prompt", "no-such-template"], "unknown template 'no-such-template'"),
        (["--model", "baseline/nope"], "unknown baseline 'baseline/nope'"),
        (["--model", "nonsense-model-name"], "unknown model 'nonsense-model-name'"),
        (["--matcher", "fuzzy"], "unknown matcher 'fuzzy'"),
        (["--model", "openai/gpt-4o-mini"], "'openai/gpt-4o-mini' needs OPENAI_API_KEY"),
        (["--case", "nosuch"], "no case with id nosuch"),
        (["--tags", "nosuch"], "no case has tag nosuch"),
        (["--matcher-threshold", "nan"], "matcher_threshold: Input should be a finite number"),
        (["--matcher-threshold", "inf"], "matcher_threshold: Input should be a finite number"),
    ],
)
def test_bad_options_exit_2_naming_what_is_wrong(capsys, db_path, args, message):
    assert cli("run", "--dataset", str(TINY), "--db", str(db_path), *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    with open_results(db_path) as store:
        assert store.list_runs() == []  # nothing recorded for a run that could not start


def test_resume_refuses_options_that_change_the_run(capsys, db_path):
    code = cli("run", "--resume", "some-run", "--model", "baseline/noop", "--db", str(db_path))
    assert code == 2
    assert "--model cannot be combined with --resume" in capsys.readouterr().err


def test_resume_through_the_cli(capsys, db_path):
    args = ["--dataset", str(TINY), "--model", "baseline/noop", "--db", str(db_path)]
    assert cli("run", *args, "--json", "--progress", "none", "--name", "n1") == 0
    run_id = _json(capsys.readouterr().out)["run_id"]
    assert cli("run", "--resume", "n1", "--db", str(db_path), "--json", "--progress", "none") == 0
    assert _json(capsys.readouterr().out)["run_id"] == run_id


def test_environment_variables_set_defaults(capsys, db_path, monkeypatch):
    monkeypatch.setenv("HARNESS_DB", str(db_path))
    monkeypatch.setenv("HARNESS_MODEL", "baseline/noop")
    monkeypatch.setenv("HARNESS_DATASET", str(TINY))
    assert cli("run", "--json", "--progress", "none", "--matcher", "exact") == 0
    payload = _json(capsys.readouterr().out)
    assert payload["model"] == "baseline/noop" and payload["dataset"] == "tiny"
    with open_results(db_path) as store:
        assert store.get_run(payload["run_id"]) is not None


def test_with_no_options_it_runs_the_bundled_data_offline(capsys, db_path, monkeypatch):
    monkeypatch.setenv("HARNESS_DB", str(db_path))
    assert cli("run", "--limit", "2", "--json", "--progress", "none") == 0
    payload = _json(capsys.readouterr().out)
    assert (payload["dataset"], payload["model"], payload["template"]) == (
        "core",
        "baseline/heuristic",
        "default",
    )
    assert payload["case_repeats"] == 2 and payload["errors"] == 0


def test_case_selection_options(capsys, db_path):
    args = ["run", "-d", str(TINY), "-m", "baseline/noop", "--db", str(db_path), "--json"]
    assert cli(*args, "--tags", "update,delete", "--progress", "none") == 0
    assert _json(capsys.readouterr().out)["case_repeats"] == 2
    assert cli(*args, "--case", "tiny-chat", "--repeats", "2", "--progress", "none") == 0
    payload = _json(capsys.readouterr().out)
    assert (payload["case_repeats"], payload["repeats"]) == (2, 2)
    with open_results(db_path) as store:
        run = store.get_run(payload["run_id"])
    assert run.selection == {"ids": ["tiny-chat"]} and run.parameters["case_ids"] == ["tiny-chat"]


def test_call_timeout_and_max_retries_cut_a_provider_that_never_answers(
    capsys, db_path, monkeypatch
):
    from harness.models.scripted import scripted_model

    monkeypatch.setenv("HARNESS_CALL_TIMEOUT", "60")  # restored after the test, like the next
    monkeypatch.setenv("HARNESS_MAX_RETRIES", "3")
    silent = scripted_model(f"silent-{uuid.uuid4().hex[:8]}").reset()
    silent.respond_with(lambda request: "too late")
    silent.delay = 3600.0
    args = ["--dataset", str(TINY), "--model", silent.model, "--db", str(db_path), "--limit", "1"]
    code = cli("run", *args, "--call-timeout", "0.2", "--max-retries", "1", "--cache", "off")
    err = capsys.readouterr().err
    assert code == 1, err  # every case failed: the provider never answered
    assert "no answer within 0.2 s" in err and "2 attempt" in err  # one retry, then given up


def test_a_run_in_which_every_case_errored_is_failed_and_exits_1(capsys, db_path):
    """A model with no reply for any case (like a hosted model without its key) used to end
    'finished' with exit code 0 from the Python API and nothing to gate on."""
    silent = f"scripted/unanswered-{uuid.uuid4().hex[:8]}"
    args = ["--dataset", str(TINY), "--model", silent, "--db", str(db_path), "--cache", "off"]
    code = cli("run", *args, "--json", "--progress", "none")
    out, err = capsys.readouterr()
    assert code == 1, err
    payload = _json(out)
    assert payload["status"] == "failed" and payload["errors"] == payload["case_repeats"] == 3
    assert f"every case of run {payload['run_id']} failed" in err
    with results(db_path) as store:
        run = store.get_run(payload["run_id"])
    assert run.status == "failed" and run.error.startswith("every case failed (3 case x repeat)")
    gated = cli("gate", payload["run_id"], "--min", "micro_f1=0.5", "--db", str(db_path))
    assert gated == 2
    assert f"candidate run {payload['run_id']} failed (every case failed" in capsys.readouterr().err


def test_the_python_api_raises_when_every_case_errored(db_path):
    from harness._async import run_sync
    from harness.errors import RunFailedError
    from harness.runner import RunConfig, run_dataset
    from harness.runner.engine import arun

    config = RunConfig(
        dataset=str(TINY), model=f"scripted/unanswered-{uuid.uuid4().hex[:8]}", cache="off"
    )
    with pytest.raises(RunFailedError, match=r"every case of run \S+ failed") as raised:
        run_dataset(config, db=db_path)
    with results(db_path) as store:
        assert store.get_run(raised.value.run_id).status == "failed"
        result = run_sync(arun(config, db=store))
    assert not result.ok and result.status == "failed" and result.errors == 3
    assert RunFailedError.exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prompt", "EMPTY"], "renders to empty instructions"),
        (
            ["--no-enable-inserts", "--no-enable-updates", "--no-enable-deletes"],
            "error: invalid options: enable_inserts, enable_updates and enable_deletes are all off",
        ),
    ],
)
def test_what_would_fail_every_case_is_refused_before_the_run(capsys, tmp_path, args, message):
    """An empty template or no operation allowed used to record a run with every case failed."""
    empty = tmp_path / "empty.j2"
    empty.write_text("  \n{# only a comment #}\n")
    args = [str(empty) if a == "EMPTY" else a for a in args]
    db = tmp_path / "r.duckdb"
    code = cli("run", "-d", str(TINY), "-m", "scripted/never-called", "--db", str(db), *args)
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err
    with open_results(db) as store:
        assert store.list_runs() == []


def test_a_reply_with_a_lone_surrogate_is_bad_model_output_not_a_bug(db_path):
    """It crashed the embedder's UTF-8 encoding and was recorded as ``bug:UnicodeEncodeError``."""
    from harness._async import run_sync
    from harness.models.scripted import scripted_model
    from harness.runner import RunConfig
    from harness.runner.engine import arun

    def insert(content: str) -> dict:
        return {"tool_calls": [{"name": "insert_memory", "arguments": {"content": content}}]}

    model = scripted_model(f"surrogate-{uuid.uuid4().hex[:8]}").reset()
    model.enqueue(insert("User likes \ud800 tea"))  # the repair round then gets a clean reply
    model.respond_with(lambda request: insert("User likes green tea"))
    config = RunConfig(
        dataset=str(TINY), model=model.model, case_ids=["tiny-chat"], cache="off", n_resamples=0
    )
    repaired = run_sync(arun(config, db=db_path))
    assert (repaired.status, repaired.errors) == ("finished", 0)

    model.reset().respond_with(lambda request: {**insert("x \udc00"), "text": "y \ud800"})
    broken = run_sync(arun(config, db=db_path))
    assert (broken.errors, broken.bugs) == (1, 0)
    with results(db_path) as store:
        (case,) = store.case_results(broken.run_id)
    assert case.error_type == "InvalidModelOutputError"
    assert "arguments hold a lone surrogate (\\udc00), which is not text" in case.error


def test_a_model_the_provider_does_not_know_stops_the_run_at_its_first_reply(capsys, db_path):
    """A misspelt name of a known provider (with a key set) used to fail case after case."""
    from harness.models.scripted import scripted_model

    model = scripted_model(f"misspelt-{uuid.uuid4().hex[:8]}").reset()
    model.respond_with(lambda request: {"error": "not_found", "message": "no such model"})
    args = ["-d", str(TINY), "-m", model.model, "--db", str(db_path), "--cache", "off"]
    code = cli("run", *args, "--concurrency", "1", "--progress", "none")
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"error: model '{model.model}' cannot be used (not retryable): the provider " in err
    assert len(model.requests) == 1  # not once per case
    with results(db_path) as store:
        (run,) = store.list_runs()
    assert run.status == "failed" and "cannot be used" in run.error
