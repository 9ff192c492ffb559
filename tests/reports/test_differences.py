"""Report and comparison headers name the options in which the runs differ."""

from __future__ import annotations

import pytest
from run_factory import add_run, case_record, run_record, update_counts

from harness.reports._differences import differences_text, option_differences
from harness.reports._markdown import comparison_markdown
from harness.reports.compare import compare_runs
from harness.reports.html import write_report
from harness.results import open_results

DEFAULTS = {
    "dataset": "datasets/tiny.jsonl",
    "model": "scripted/m",
    "prompt": "default",
    "name": None,
    "concurrency": 8,
    "cache": "read-write",
    "state": "predicted",
    "enable_deletes": True,
    "answer_model": None,
    "tags": [],
}


def test_only_options_that_differ_are_named_with_each_runs_value():
    a = DEFAULTS | {"name": "a", "concurrency": 2}
    b = DEFAULTS | {"name": "b", "enable_deletes": False, "cache": "off"}
    c = DEFAULTS | {"name": "c", "state": "gold", "answer_model": "baseline/extractive"}
    c.pop("tags")  # recorded before the option existed
    differences = option_differences({"A": a, "B": b, "C": c})
    assert differences == {
        "answer_model": {"A": "none", "B": "none", "C": "baseline/extractive"},
        "enable_deletes": {"A": "true", "B": "false", "C": "true"},
        "state": {"A": "predicted", "B": "predicted", "C": "gold"},
        "tags": {"A": "[]", "B": "[]", "C": "-"},
    }
    assert differences_text({"state": differences["state"]}) == (
        "state: A predicted, B predicted, C gold"
    )


def test_identical_or_single_runs_have_no_differences():
    assert option_differences({"A": DEFAULTS, "B": dict(DEFAULTS)}) == {}
    assert option_differences({"A": DEFAULTS | {"enable_deletes": False}}) == {}
    assert option_differences({"A": DEFAULTS, "B": DEFAULTS | {"model": "x", "prompt": "y"}}) == {}


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "results.duckdb"
    with open_results(path) as store:
        for run_id, started, parameters in (
            ("a", 0, DEFAULTS),
            ("b", 1, DEFAULTS | {"enable_deletes": False, "state": "gold"}),
        ):
            cases = [case_record(run_id, f"c{i}", update_counts(1)) for i in range(3)]
            add_run(store, run_record(run_id, started=started, parameters=parameters), cases)
    return path


def test_compare_header_shows_the_differing_options(db):
    with open_results(db, read_only=True) as store:
        comparison = compare_runs(store, ["a", "b"])
    assert comparison.options == {
        "enable_deletes": {"A": "true", "B": "false"},
        "state": {"A": "predicted", "B": "gold"},
    }
    assert comparison.as_dict()["differing_options"] == comparison.options
    assert "parameters" not in comparison.as_dict()["runs"][0]
    lines = comparison_markdown(comparison).splitlines()
    line = next(x for x in lines if x.startswith("**Options that differ:**"))
    assert line == (
        "**Options that differ:** `enable_deletes` A `true`, B `false`; "
        "`state` A `predicted`, B `gold`"
    )
    assert lines.index(line) < lines.index("**Metrics** (value [95% bootstrap interval])")


def test_report_header_shows_the_differing_options(db, tmp_path):
    page = write_report(db, output=tmp_path / "report.html").path.read_text(encoding="utf-8")
    header = page[page.index('<header class="top">') : page.index("</header>")]
    assert "Options that differ:" in header
    assert (
        "<code>enable_deletes</code> A&nbsp;<code>true</code>, B&nbsp;<code>false</code>" in header
    )
    assert "<code>state</code> A&nbsp;<code>predicted</code>, B&nbsp;<code>gold</code>" in header
