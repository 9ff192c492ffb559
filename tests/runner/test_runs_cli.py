"""``harness runs list|show|delete|rename`` and ``harness --version`` on real recorded runs.

Two runs of a one-case dataset whose single query has a reference answer, replayed by the
oracle baseline, answered by the extractive baseline and judged by a scripted model, so every
table of the results schema holds rows of each run.
"""

from __future__ import annotations

import json
import shutil
import uuid

import pytest
from typer.testing import CliRunner

from harness import __version__
from harness.cli import main
from harness.errors import ConfigurationError
from harness.results import open_results
from harness.results.db import RUN_TABLES
from harness.runner import RunConfig
from harness.runner.engine import run_dataset

CASE = {
    "id": "lille",
    "sessions": [
        {
            "messages": [{"id": "m1", "role": "user", "content": "I moved to Lille last year."}],
            "expected": [{"op": "insert", "ref": "g1", "content": "User lives in Lille"}],
        }
    ],
    "queries": [{"query": "Where does the user live?", "relevant": ["g1"], "answer": "Lille"}],
}


@pytest.fixture(scope="module")
def app():
    main._register()
    return main.app


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A database with run ``keep`` (all options default) and run ``drop`` (deletes off)."""
    from harness.models.scripted import scripted_model

    folder = tmp_path_factory.mktemp("runs")
    dataset = folder / "one.jsonl"
    dataset.write_text(json.dumps(CASE) + "\n", encoding="utf-8")
    judge = scripted_model(f"runs-judge-{uuid.uuid4().hex[:8]}").reset()
    judge.respond_with(lambda request: "CORRECT")
    path = folder / "results.duckdb"
    common = {
        "dataset": str(dataset),
        "model": "baseline/oracle",
        "answer_model": "baseline/extractive",
        "judge_model": judge.model,
        "n_resamples": 20,
        "search_modes": ["vector"],
        "cache": "off",
    }
    run_dataset(RunConfig(name="keep", **common), db=path)
    run_dataset(RunConfig(name="drop", enable_deletes=False, **common), db=path)
    return path


@pytest.fixture
def db(recorded, tmp_path):
    """A copy of the recorded database each test may change."""
    copy = tmp_path / "results.duckdb"
    shutil.copyfile(recorded, copy)
    return copy


def _rows_per_table(db, run_id):
    with open_results(db, read_only=True) as store:
        return {
            table: store.query(f"SELECT count(*) AS n FROM {table} WHERE run_id = ?", [run_id])[0][
                "n"
            ]
            for table in store.run_tables()
        }


def _run_id(db, name):
    with open_results(db, read_only=True) as store:
        return store.find_run(name).run_id


def test_version_prints_the_package_version(app):
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"memory-harness {__version__}"


def test_list_shows_every_run_oldest_first(app, db):
    result = CliRunner().invoke(app, ["runs", "list", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["name"] for row in rows] == ["keep", "drop"]
    assert all(row["status"] == "finished" and row["cases"] == 1 for row in rows)
    assert set(rows[0]["metrics"]) == {"micro_f1", "update_f1", "final_f1"}
    table = CliRunner().invoke(app, ["runs", "list", "--db", str(db)])
    assert "2 run(s)" in table.output and "baseline/oracle" in table.output


def test_list_filters_by_status(app, db):
    result = CliRunner().invoke(app, ["runs", "list", "--status", "failed", "--db", str(db)])
    assert result.exit_code == 0 and "no runs with status failed" in result.output


def test_show_names_the_options_that_differ_from_the_defaults(app, db):
    result = CliRunner().invoke(app, ["runs", "show", "drop", "--db", str(db)])
    assert result.exit_code == 0, result.output
    options = next(line for line in result.output.splitlines() if line.startswith("options:"))
    assert '"enable_deletes": false' not in options  # key=value form, not a JSON object
    assert "enable_deletes=false" in options
    assert 'answer_model="baseline/extractive"' in options
    assert "micro_f1" in result.output  # the headline metrics follow
    record = json.loads(
        CliRunner().invoke(app, ["runs", "show", "drop", "--json", "--db", str(db)]).output
    )
    assert record["name"] == "drop" and record["parameters"]["enable_deletes"] is False
    assert record["metrics"]["micro_f1"]["value"] == 1.0


def test_rename_makes_the_run_findable_by_its_new_name(app, db):
    run_id = _run_id(db, "drop")
    result = CliRunner().invoke(app, ["runs", "rename", "drop", "no-deletes", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert f"renamed run {run_id}: drop -> no-deletes" in result.output
    assert _run_id(db, "no-deletes") == run_id
    with open_results(db, read_only=True) as store, pytest.raises(ConfigurationError):
        store.find_run("drop")
    blank = CliRunner().invoke(app, ["runs", "rename", run_id, " ", "--db", str(db)])
    assert isinstance(blank.exception, ConfigurationError)


def test_delete_removes_every_row_of_the_run_in_every_table(app, db):
    gone, kept = _run_id(db, "drop"), _run_id(db, "keep")
    before_gone, before_kept = _rows_per_table(db, gone), _rows_per_table(db, kept)
    assert all(before_gone[table] > 0 for table in RUN_TABLES), before_gone  # a real test
    result = CliRunner().invoke(app, ["runs", "delete", "drop", "--yes", "--db", str(db)])
    assert result.exit_code == 0, result.output
    total = sum(before_gone.values())
    assert f"deleted run {gone}: {total} rows in {len(RUN_TABLES)} tables" in result.output
    assert set(_rows_per_table(db, gone).values()) == {0}
    assert _rows_per_table(db, kept) == before_kept


def test_delete_asks_first_and_keeps_the_run_when_refused(app, db):
    result = CliRunner().invoke(app, ["runs", "delete", "drop", "--db", str(db)], input="n\n")
    assert result.exit_code == 1 and "nothing deleted" in result.output
    assert _run_id(db, "drop")


def test_delete_refuses_a_run_an_optimization_refers_to(db):
    run_id = _run_id(db, "keep")
    with open_results(db) as store:
        store.connection.execute("CREATE TABLE opt_scores (opt_id VARCHAR, run_id VARCHAR)")
        store.connection.execute("INSERT INTO opt_scores VALUES ('opt-1', ?)", [run_id])
        with pytest.raises(ConfigurationError, match=r"referred to by table\(s\) opt_scores"):
            store.delete_run(run_id)
        assert store.get_run(run_id) is not None


def test_unknown_run_is_an_error_naming_it(app, db):
    result = CliRunner().invoke(app, ["runs", "delete", "nope", "-y", "--db", str(db)])
    assert isinstance(result.exception, ConfigurationError)
    assert "'nope'" in str(result.exception)
