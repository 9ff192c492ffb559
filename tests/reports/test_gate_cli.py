"""``harness gate`` and ``harness compare`` on the command line: output and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from markdown_check import tables
from run_factory import add_run, case_record, run_record, update_counts
from typer.testing import CliRunner

from harness.cli import main
from harness.results import open_results


@pytest.fixture(scope="module")
def app():
    main._register()
    return main.app


@pytest.fixture
def db(tmp_path):
    """A results database with a good run ``main`` and a worse run ``pr``."""
    path = tmp_path / "results.duckdb"
    with open_results(path) as store:
        good = [case_record("a", f"c{i:02d}", update_counts(1)) for i in range(14)]
        worse = [case_record("b", f"c{i:02d}", update_counts(0, fn=1)) for i in range(12)]
        worse += [case_record("b", f"c{i:02d}", update_counts(1)) for i in (12, 13)]
        add_run(store, run_record("a", name="main"), good)
        add_run(store, run_record("b", name="pr", started=1), worse)
    return path


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point, so the HarnessError -> exit 2 wrapper is exercised too."""
    code = "from harness.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600
    )


def test_gate_exit_codes_pass_and_fail(app, db):
    runner = CliRunner()
    passed = runner.invoke(app, ["gate", "main", "--min", "update_f1=0.9", "--db", str(db)])
    assert passed.exit_code == 0, passed.output
    assert "PASSED: all 1 checks passed" in passed.output
    failed = runner.invoke(
        app, ["gate", "pr", "--baseline", "main", "--metric", "update_f1", "--db", str(db)]
    )
    assert failed.exit_code == 1, failed.output
    assert "FAILED: 1 of 1 checks failed: update_f1 vs baseline" in failed.output


def test_gate_check_is_the_default_command(app, db):
    explicit = CliRunner().invoke(
        app, ["gate", "check", "pr", "--min", "micro_f1=0.9", "--json", "--db", str(db)]
    )
    implicit = CliRunner().invoke(
        app, ["gate", "pr", "--min", "micro_f1=0.9", "--json", "--db", str(db)]
    )
    assert explicit.exit_code == implicit.exit_code == 1
    assert json.loads(explicit.stdout) == json.loads(implicit.stdout)


def test_gate_max_drop_forms(app, db):
    # a bare number is the default tolerance; 0.8 allows the 0.75 drop of update_f1
    wide = CliRunner().invoke(
        app, ["gate", "pr", "--baseline", "main", "--max-drop", "0.8", "--json", "--db", str(db)]
    )
    assert wide.exit_code == 0
    named = CliRunner().invoke(
        app,
        ["gate", "pr", "--baseline", "main", "--max-drop", "update_f1=0.8", "--max-drop",
         "micro_f1=0.1", "--json", "--db", str(db)],
    )  # fmt: skip
    payload = json.loads(named.stdout)
    assert named.exit_code == 1
    assert {c["metric"]: c["status"] for c in payload["checks"]} == {
        "update_f1": "pass",
        "micro_f1": "fail",
    }
    assert {c["metric"]: c["threshold"] for c in payload["checks"]} == {
        "update_f1": 0.8,
        "micro_f1": 0.1,
    }


def test_a_bare_max_drop_is_the_tolerance_of_every_headline_metric_not_named(app, db):
    """``--max-drop micro_f1=0.02 --max-drop 0.03`` used to check micro_f1 alone."""
    result = CliRunner().invoke(
        app,
        ["gate", "pr", "--baseline", "main", "--max-drop", "micro_f1=0.8", "--max-drop", "0.03",
         "--json", "--db", str(db)],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    checks = {c["metric"]: c for c in json.loads(result.stdout)["checks"]}
    assert list(checks) == [
        "micro_f1", "insert_f1", "update_f1", "delete_f1", "final_f1", "error_rate",
    ]  # fmt: skip
    assert checks["micro_f1"]["threshold"] == 0.8 and checks["micro_f1"]["status"] == "pass"
    assert checks["update_f1"]["threshold"] == 0.03 and checks["update_f1"]["status"] == "fail"
    assert checks["error_rate"]["threshold"] == 0.03


def test_gate_markdown_to_stdout(app, db):
    result = CliRunner().invoke(
        app, ["gate", "pr", "--min", "update_f1=0.9", "--markdown", "-", "--db", str(db)]
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("## ❌ Memory quality gate failed\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gate", "pr", "--min", "update_f2=0.9"], "--min: unknown metric 'update_f2' (did you"),
        (["gate", "pr", "--min", "update_f1"], "--min 'update_f1': expected METRIC=VALUE"),
        (["gate", "nope", "--min", "update_f1=0.9"], "no run with id or name 'nope'"),
        (["gate", "pr"], "nothing to check: give floors (--min/--max) and/or a baseline"),
        (["gate", "pr", "--baseline-file", "missing.json"], "cannot read baseline file"),
        (["gate", "pr", "--baseline", "main", "--baseline-file", "b.json"], "not both"),
        (["gate", "pr", "--min", "micro_f1=0.5", "--alpha", "2"], "alpha: Input should be less"),
        (["compare", "pr", "--metric", "f1"], "unknown metric 'f1'"),
        (["compare", "zzz"], "no run with id or name 'zzz'"),
    ],
)
def test_usage_and_data_errors_exit_2(db, args, message):
    result = _harness(*args, "--db", str(db))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    if "unknown metric" in message:
        assert "known metrics: insert_precision, " in result.stderr  # lists them all


def test_export_writes_a_baseline_file_or_stdout(app, db, tmp_path):
    target = tmp_path / "baseline.json"
    written = CliRunner().invoke(
        app, ["gate", "export", "main", "-o", str(target), "--db", str(db)]
    )
    assert written.exit_code == 0
    assert json.loads(target.read_text())["run"]["run_id"] == "a"
    printed = CliRunner().invoke(app, ["gate", "export", "main", "--db", str(db)])
    assert json.loads(printed.stdout) == json.loads(target.read_text()) | {
        "exported_at": json.loads(printed.stdout)["exported_at"]
    }


def test_compare_json_and_markdown(app, db, tmp_path):
    md = tmp_path / "compare.md"
    result = CliRunner().invoke(
        app,
        ["compare", "main", "pr", "--metric", "update_f1", "--json", "--markdown", str(md),
         "--resamples", "300", "--db", str(db)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [r["key"] for r in payload["runs"]] == ["A", "B"]
    assert payload["runs"][1]["metrics"]["update_f1"]["value"] == pytest.approx(0.25)
    diff = payload["pairs"][0]["diffs"][0]
    assert (diff["metric"], diff["verdict"]) == ("update_f1", "regressed")
    text = md.read_text()
    assert "| `update_f1` | 1.000 † [1.000, 1.000] | 0.250 † [" in text  # 12 cases: flagged
    assert "| B - A † | `update_f1` | 1.000 | 0.250 | -0.750 |" in text and "▼ worse" in text


def test_compare_table_output(app, db):
    result = CliRunner().invoke(app, ["compare", "main", "pr", "--by-tag", "--db", str(db)])
    assert result.exit_code == 0, result.output
    for expected in ("runs", "metrics (95% bootstrap intervals)", "paired differences B - A",
                     "update_f1", "▼ worse", "micro_f1 per tag"):  # fmt: skip
        assert expected in result.output


def test_compare_and_gate_markdown_parse_as_tables_of_the_right_shape(app, db, tmp_path):
    """A Markdown parser, not string matching: 6 header cells over 5 delimiters was no table."""
    compare_md, gate_md = tmp_path / "compare.md", tmp_path / "gate.md"
    compared = CliRunner().invoke(
        app,
        ["compare", "main", "pr", "--by-tag", "--markdown", str(compare_md), "--resamples", "300",
         "--db", str(db)],
    )  # fmt: skip
    assert compared.exit_code == 0, compared.output
    runs, metrics, pairs, *per_tag = tables(compare_md.read_text())
    assert runs[0] == ["", "run", "model", "template", "dataset", "cases"]
    assert [row[0] for row in runs[1:]] == ["**A**", "**B**"]
    assert [row[1] for row in runs[1:]] == ["`a` main", "`b` pr"]
    assert metrics[0] == ["metric", "A", "B"] and len(metrics) > 2
    assert pairs[0][:2] == ["pair", "metric"] and per_tag
    gated = CliRunner().invoke(
        app,
        ["gate", "pr", "--baseline", "main", "--min", "update_f1=0.9", "--markdown", str(gate_md),
         "--resamples", "300", "--db", str(db)],
    )  # fmt: skip
    assert gated.exit_code == 1, gated.output
    checks, *worst = tables(gate_md.read_text())
    assert checks[0] == ["check", "baseline", "candidate", "change [CI]", "p", "verdict", "why"]
    assert [row[0] for row in checks[1:3]] == [
        "`update_f1 >= 0.9`",
        "`micro_f1 vs baseline` (drop &lt;= 0.02)",
    ]
    assert worst and worst[0][0][:2] == ["case", "tags"]


@pytest.mark.parametrize(
    "command",
    [
        ["report", "-o", "OUT"],
        ["compare", "main", "pr", "--markdown", "OUT"],
        ["gate", "pr", "--min", "update_f1=0.9", "--markdown", "OUT"],
        ["gate", "pr", "--min", "update_f1=0.9", "--junit", "OUT"],
        ["gate", "export", "main", "-o", "OUT"],
    ],
)
@pytest.mark.parametrize("where", ["folder", "under a file"])
def test_an_output_path_that_cannot_be_written_exits_2_naming_it(db, tmp_path, capsys, command,
                                                                  where):  # fmt: skip
    """These used to end in a traceback (IsADirectoryError, NotADirectoryError)."""
    import sys
    from unittest.mock import patch

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = tmp_path if where == "folder" else blocker / "out.md"
    args = [str(out) if a == "OUT" else a for a in command]
    argv = ["harness", *args, "--db", str(db)]
    with patch.object(sys, "argv", argv), pytest.raises(SystemExit) as stopped:
        main.main()
    err = capsys.readouterr().err
    assert stopped.value.code == 2, err
    reason = "it is a folder" if where == "folder" else f"{blocker} is not a folder"
    assert err.startswith("error: cannot write ") and err.endswith(f"{out}: {reason}\n")
    assert err.count("\n") == 1 and blocker.read_text() == "x"
