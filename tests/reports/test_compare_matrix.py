"""Matrix runs: the TOML file, combinations and their keys, and a resumable run on bundled data."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import main
from harness.errors import ConfigurationError
from harness.results import open_results
from harness.runner.matrix import (
    Combination,
    combinations,
    config_key,
    load_matrix,
    one_factor_pairs,
    plan_matrix,
    run_matrix,
)
from harness.templates import prompts_dir

GATE_CASES = str(Path(__file__).parent / "data" / "gate_cases.jsonl")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "matrix.toml"
    path.write_text(text)
    return path


def test_a_matrix_file_and_its_combinations(tmp_path):
    path = _write(
        tmp_path,
        f'datasets = ["{GATE_CASES}"]\nmodels = ["baseline/noop", "baseline/oracle"]\n'
        'prompts = ["default", "concise"]\nrepeats = 2\n[run]\nlimit = 3\nconcurrency = 2\n',
    )
    matrix = load_matrix(path)
    assert matrix.name == "matrix"  # from the file name
    combos = combinations(matrix)
    assert [(c.model, c.prompt) for c in combos] == [
        ("baseline/noop", "default"),
        ("baseline/noop", "concise"),
        ("baseline/oracle", "default"),
        ("baseline/oracle", "concise"),
    ]
    first = combos[0]
    assert first.config.name == "matrix:gate_cases:baseline/noop:default"
    assert (first.config.limit, first.config.repeats, first.config.concurrency) == (3, 2, 2)
    assert first.label == "gate_cases · baseline/noop · default"
    assert len({c.key for c in combos}) == 4


def test_the_key_ignores_what_cannot_change_results():
    params = {"model": "m", "limit": 3, "name": "x", "concurrency": 2, "cache": "off",
              "dataset": "a.jsonl", "prompt": "default"}  # fmt: skip
    same = {**params, "name": "y", "concurrency": 16, "cache": "read-write",
            "dataset": "./a.jsonl", "prompt": "prompts/default.j2"}  # fmt: skip
    assert config_key(params, "d", "t") == config_key(same, "d", "t")
    assert config_key(params, "d", "t") != config_key({**params, "limit": 4}, "d", "t")
    assert config_key(params, "d", "t") != config_key(params, "d2", "t")
    assert config_key(params, "d", "t") != config_key(params, "d", "t2")


def test_one_factor_pairs_by_hand():
    def combo(i, dataset, model, prompt):
        return Combination(i, dataset, model, prompt, None, str(i))  # type: ignore[arg-type]

    combos = [
        combo(0, "d", "m1", "p1"),
        combo(1, "d", "m1", "p2"),
        combo(2, "d", "m2", "p1"),
        combo(3, "d", "m2", "p2"),
        combo(4, "e", "m1", "p1"),
    ]
    assert one_factor_pairs(combos) == [(0, 1), (0, 2), (0, 4), (1, 3), (2, 3)]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('models = ["a"]\nname = \n', r"not valid TOML: Invalid value \(at line 2, column 8\)"),
        ('models = ["baseline/noop"]\ncolour = "red"\n', "colour: Extra inputs are not permitted"),
        ("models = []\n", "models: List should have at least 1 item"),
        ('prompts = ["default"]\n', "models: Field required"),
        ('models = ["baseline/noop"]\n[run]\nlimt = 3\n', "limt"),
        ('models = ["baseline/noop"]\n[run]\nmodel = "x"\n', "'model' is a matrix dimension"),
        ('models = ["baseline/noop"]\n[run]\nlimit = -1\n', "limit"),
    ],
)
def test_bad_matrix_files_name_the_file_and_key(tmp_path, text, error):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigurationError, match=error) as caught:
        load_matrix(path)
    assert str(path) in str(caught.value)


def test_missing_inputs_fail_before_anything_runs(tmp_path):
    path = _write(tmp_path, 'models = ["baseline/noop"]\nprompts = ["no-such-template"]\n')
    with pytest.raises(ConfigurationError, match="unknown template 'no-such-template'"):
        combinations(load_matrix(path))
    path = _write(tmp_path, 'datasets = ["nope.jsonl"]\nmodels = ["baseline/noop"]\n')
    with pytest.raises(ConfigurationError, match=r"dataset file nope\.jsonl does not exist"):
        combinations(load_matrix(path))


@pytest.mark.slow
def test_matrix_on_bundled_data_runs_once_resumes_and_reruns_only_what_changed(
    tmp_path, monkeypatch
):
    """3 baselines x 2 templates on the bundled data, through the command line."""
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    for name in ("default", "concise"):
        shutil.copy(prompts_dir() / f"{name}.j2", prompts / f"{name}.j2")
    monkeypatch.setenv("HARNESS_PROMPTS_DIR", str(prompts))
    path = _write(
        tmp_path,
        'name = "bundled"\ndatasets = ["datasets/core.jsonl"]\n'
        'models = ["baseline/noop", "baseline/heuristic", "baseline/oracle"]\n'
        'prompts = ["default", "concise"]\n[run]\nlimit = 6\nconcurrency = 4\n'
        'search_modes = ["hybrid"]\nn_resamples = 200\n',
    )
    db = tmp_path / "results.duckdb"
    main._register()
    args = ["matrix", str(path), "--db", str(db), "--json", "--progress", "none",
            "--resamples", "300", "--metric", "micro_f1"]  # fmt: skip
    first = CliRunner().invoke(main.app, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    payload = json.loads(first.stdout)
    assert [e["status"] for e in payload["entries"]] == ["ran"] * 6
    comparison = payload["comparison"]
    micro = {r["model"]: r["metrics"]["micro_f1"]["value"] for r in comparison["runs"]}
    assert micro["baseline/oracle"] == 1.0 and micro["baseline/noop"] == 0.0
    assert 0.0 < micro["baseline/heuristic"] < 1.0
    # one-factor pairs: 3 template pairs (one per model) + 3 model pairs per template
    assert len(comparison["pairs"]) == 9
    template_pairs = [p for p in comparison["pairs"] if (p["a"], p["b"]) == ("E", "F")]
    assert template_pairs[0]["diffs"][0]["diff"] == 0.0  # the oracle ignores its template

    again = CliRunner().invoke(main.app, args, catch_exceptions=False)
    assert [e["status"] for e in json.loads(again.stdout)["entries"]] == ["reused"] * 6
    with open_results(db) as store:
        assert len(store.list_runs()) == 6
        interrupted = payload["entries"][2]["run_id"]
        store.set_status(interrupted, "interrupted")
        (prompts / "concise.j2").write_text((prompts / "concise.j2").read_text() + "\nBe brief.\n")
        plan = plan_matrix(load_matrix(path), store)
        assert [e.plan for e in plan] == ["done", "new", "resume", "new", "done", "new"]
        result = run_matrix(path, db=store)
        assert [e.status for e in result.entries] == [
            "reused", "ran", "resumed", "ran", "reused", "ran"
        ]  # fmt: skip
        assert result.entries[2].run_id == interrupted
        assert store.get_run(interrupted).status == "finished"
        assert len(store.list_runs()) == 9
        assert len(store.completed(interrupted)) == 6  # resumed, not duplicated


def test_dry_run_lists_the_plan(tmp_path):
    path = _write(
        tmp_path,
        f'datasets = ["{GATE_CASES}"]\nmodels = ["baseline/noop"]\nprompts = ["default"]\n',
    )
    main._register()
    result = CliRunner().invoke(
        main.app, ["matrix", str(path), "--dry-run", "--json", "--db", str(tmp_path / "r.duckdb")]
    )
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    assert (entry["plan"], entry["run_id"], entry["name"]) == (
        "new",
        None,
        "matrix:gate_cases:baseline/noop:default",
    )


def test_a_failed_cell_exits_1_is_never_done_and_runs_again_only_when_asked(tmp_path):
    """A cell whose every case errored (a hosted model without its key) used to print 'ran',
    exit 0 and be reused as done for ever."""
    from markdown_check import tables

    from harness.models.scripted import scripted_model

    model = scripted_model(f"matrix-keyless-{uuid.uuid4().hex[:8]}").reset()
    path = _write(
        tmp_path,
        f'datasets = ["{GATE_CASES}"]\nmodels = ["baseline/noop", "{model.model}"]\n'
        '[run]\nlimit = 2\ncache = "off"\nn_resamples = 50\n',
    )
    db, md = str(tmp_path / "r.duckdb"), tmp_path / "matrix.md"
    main._register()
    args = ["matrix", str(path), "--db", db, "--json", "--progress", "none", "--resamples", "50"]

    def entries(*extra: str, code: int) -> list[dict]:
        result = CliRunner().invoke(main.app, [*args, *extra], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)["entries"]

    first = entries("--markdown", str(md), code=1)
    assert [e["status"] for e in first] == ["ran", "failed"]
    assert first[1]["error"].startswith("every case failed (2 case x repeat)")
    (runs, *_) = tables(md.read_text())  # the comparison of what did run, valid Markdown
    assert [row[2] for row in runs[1:]] == ["`baseline/noop`"]
    with open_results(db) as store:
        assert store.get_run(first[1]["run_id"]).status == "failed"

    model.respond_with(lambda request: "nothing to remember")  # the key is set now
    again = entries(code=1)
    assert [e["status"] for e in again] == ["reused", "failed"]
    assert again[1]["run_id"] == first[1]["run_id"] and "--retry-failed" in again[1]["error"]
    dry = CliRunner().invoke(main.app, ["matrix", str(path), "--dry-run", "--json", "--db", db])
    assert [e["plan"] for e in json.loads(dry.stdout)] == ["done", "failed"]

    retried = entries("--retry-failed", code=0)
    assert [e["status"] for e in retried] == ["reused", "ran"]
    assert retried[1]["run_id"] != first[1]["run_id"]
    forced = entries("--force", code=0)
    assert [e["status"] for e in forced] == ["ran", "ran"]
    assert forced[0]["run_id"] != first[0]["run_id"]


def test_a_matrix_in_which_every_cell_failed_exits_1_not_2(tmp_path):
    path = _write(
        tmp_path,
        f'datasets = ["{GATE_CASES}"]\nmodels = ["scripted/keyless-{uuid.uuid4().hex[:8]}"]\n'
        '[run]\nlimit = 1\ncache = "off"\n',
    )
    main._register()
    result = CliRunner().invoke(
        main.app, ["matrix", str(path), "--db", str(tmp_path / "r.duckdb"), "--progress", "none"]
    )
    assert result.exit_code == 1, result.output
    assert "failed gate_cases · scripted/keyless-" in result.stderr
    assert "every case failed (1 case x repeat)" in result.stderr


@pytest.mark.slow
def test_a_matrix_that_answers_questions_has_per_category_tables(tmp_path):
    """oracle and noop on the hand-written LoCoMo conversations, answered by the extractive
    answerer: the comparison has a table per answer metric with a row per category."""
    from harness.data.importers import import_locomo, write_cases

    sample = Path(__file__).parents[1] / "data" / "samples" / "locomo_v2"
    dataset = tmp_path / "locomo.jsonl"
    write_cases(import_locomo(sample).cases, dataset)
    path = _write(
        tmp_path,
        f'name = "qa"\ndatasets = ["{dataset}"]\nmodels = ["baseline/noop", "baseline/oracle"]\n'
        '[run]\nanswer_model = "baseline/extractive"\nsearch_modes = ["vector"]\n'
        "n_resamples = 100\n",
    )
    main._register()
    md = tmp_path / "matrix.md"
    args = ["matrix", str(path), "--db", str(tmp_path / "r.duckdb"), "--json", "--progress",
            "none", "--resamples", "100", "--permutations", "100", "--metric", "qa_f1",
            "--category-metric", "qa_f1", "--category-metric", "qa_em",
            "--markdown", str(md)]  # fmt: skip
    result = CliRunner().invoke(main.app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)["comparison"]
    assert [t["metric"] for t in comparison["categories"]] == ["qa_f1", "qa_em"]
    rows = comparison["categories"][0]["rows"]
    categories = sorted(
        {q.category for c in import_locomo(sample).cases for q in c.queries if q.category != "5"}
    )
    assert sorted(r["category"] for r in rows) == sorted(
        {"1": "multi-hop", "2": "temporal", "3": "open-domain", "4": "single-hop"}[c]
        for c in categories
    )
    for row in rows:
        assert row["cells"]["A"]["value"] == 0.0  # noop stores nothing: every answer declines
        assert row["cells"]["B"]["value"] is not None
        assert row["small"]  # a handful of questions from two conversations
        assert "B - A" in row["diffs"]
    text = md.read_text()
    assert "**qa_f1 per question category**" in text and "**qa_em per question category**" in text
