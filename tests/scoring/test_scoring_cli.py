"""``harness matchers evaluate|calibrate`` through the real command line app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from harness.cli import main

PAIRS = [
    {"id": "p1", "a": "User likes green tea", "b": "User likes green tea a lot", "same": True,
     "require": ["green"], "tags": ["paraphrase"]},
    {"id": "p2", "a": "User likes green tea", "b": "User likes black tea", "same": False,
     "require": ["green"], "forbid": ["black"], "tags": ["changed-value"]},
    {"id": "p3", "a": "User lives in Oslo", "b": "User's sister owns a boat", "same": False,
     "tags": ["unrelated"]},
]  # fmt: skip


@pytest.fixture(scope="module")
def app():
    main._register()
    return main.app


@pytest.fixture
def pairs_file(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PAIRS), encoding="utf-8")
    return path


def test_evaluate_json(app, pairs_file):
    result = CliRunner().invoke(
        app,
        ["matchers", "evaluate", str(pairs_file), "--matcher", "token_f1", "--threshold", "0.5",
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # p1: F1 8/9 accepted; p2: F1 0.75 but key terms fail; p3: F1 2/9 rejected.
    assert (report["tp"], report["fp"], report["tn"], report["fn"]) == (1, 0, 2, 0)
    assert report["accuracy"] == 1.0 and report["key_terms"] is True


def test_evaluate_without_key_terms_table(app, pairs_file):
    result = CliRunner().invoke(
        app,
        ["matchers", "evaluate", str(pairs_file), "-m", "token_f1", "--threshold", "0.5",
         "--no-key-terms"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "without key terms" in result.output
    assert "66.7 %" in result.output  # p2 accepted without key terms: 2 of 3 right


def test_evaluate_reports_bad_lines(app, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "p1", "a": "x", "b": "y"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["matchers", "evaluate", str(bad)])
    assert result.exit_code != 0
    assert "same" in str(result.exception) or "same" in result.output


def test_calibrate_writes_where_asked(app, pairs_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "calibration.json"
    result = CliRunner().invoke(
        app, ["matchers", "calibrate", pairs_file.name, "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["pairs_file"] == "pairs.jsonl" and data["n_pairs"] == 3
    assert set(data["matchers"]) == {"exact", "token_f1", "embedding"}
    assert data["matchers"]["token_f1"]["with_key_terms"]["accuracy"] == 1.0
    # The file is usable as the calibration in effect.
    monkeypatch.setenv("HARNESS_CALIBRATION", str(out))
    from harness.scoring.calibration import calibrated_threshold

    assert calibrated_threshold("token_f1") == data["matchers"]["token_f1"]["threshold"]


def test_evaluate_reports_history_pairs_apart(app, tmp_path):
    pairs = [
        *PAIRS,
        {"id": "h1", "a": "User lives in Lille", "b": "User moved from Lyon to Lille",
         "same": True, "require": ["Lille"], "forbid": ["Lyon"], "tags": ["history"]},
        {"id": "h2", "a": "User lives in Lille", "b": "User moved from Lille to Lyon",
         "same": False, "require": ["Lille"], "forbid": ["Lyon"], "tags": ["history"]},
    ]  # fmt: skip
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["matchers", "evaluate", str(path), "-m", "token_f1", "--threshold", "0.3"]
    )
    assert result.exit_code == 0, result.output
    # h1: F1 4/9 >= 0.3 and Lyon only as history; h2: Lyon asserted. Both right.
    assert "accuracy on history pairs │ 100.0 % of 2" in result.output
    assert "accuracy on other pairs   │ 100.0 % of 3" in result.output
