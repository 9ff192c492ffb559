"""The gate's checks, baseline files, Markdown and JUnit output over hand-made runs."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from run_factory import add_run, case_record, op_row, run_record, update_counts

from harness.errors import ConfigurationError
from harness.reports._junit import gate_junit
from harness.reports._markdown import escape, gate_markdown
from harness.reports.gate import (
    GateOptions,
    export_baseline,
    read_baseline,
    regression_verdict,
    run_gate,
)
from harness.results import open_results

FAST = {"n_resamples": 400, "n_permutations": 2000}


@pytest.fixture
def store():
    with open_results(":memory:") as results:
        yield results


def _outcomes(run_id: str, outcomes: str, **kw):
    """One case per letter: t = update matched, f = update missed."""
    counts = {"t": update_counts(1), "f": update_counts(0, fn=1)}
    return [
        case_record(run_id, f"c{i:02d}", counts[o], tags=["update"], **kw)
        for i, o in enumerate(outcomes)
    ]


def _regression(result, metric="update_f1"):
    return next(c for c in result.checks if c.kind == "regression" and c.metric == metric)


# --- the verdict rule, by hand -------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "diff", "low", "high", "p", "options", "status", "says"),
    [
        ("micro_f1", -0.01, -0.03, 0.01, 0.2, {}, "pass", "within the 0.02 tolerance"),
        ("micro_f1", 0.05, 0.01, 0.09, 0.01, {}, "pass", "did not get worse"),
        ("micro_f1", -0.10, -0.15, -0.05, 0.001, {}, "fail", "and credibly (p = 0.001"),
        ("micro_f1", -0.10, -0.30, 0.10, 0.30, {}, "pass", "but not credibly (p = 0.300"),
        ("micro_f1", -0.10, -0.30, 0.10, 0.30, {"require_significance": False}, "fail",
         "more than the 0.02 tolerance"),
        # rule ci: the whole interval must lie beyond the tolerance
        ("micro_f1", -0.10, -0.15, -0.05, 0.001, {"rule": "ci"}, "fail", "lies entirely beyond"),
        ("micro_f1", -0.10, -0.15, -0.01, 0.001, {"rule": "ci"}, "pass", "does not lie"),
        # error_rate: a rise is the regression
        ("error_rate", 0.10, 0.05, 0.15, 0.001, {}, "fail", "error_rate rose by 0.100"),
        ("error_rate", -0.10, -0.15, -0.05, 0.001, {}, "pass", "did not get worse"),
        ("error_rate", 0.10, 0.01, 0.15, 0.001, {"rule": "ci"}, "pass", "does not lie"),
    ],
)  # fmt: skip
def test_regression_verdicts(metric, diff, low, high, p, options, status, says):
    got, message = regression_verdict(
        metric, diff, low, high, p, tolerance=0.02, options=GateOptions(**options)
    )
    assert got == status
    assert says in message


# --- checks over recorded runs --------------------------------------------------------------


def test_floors_and_ceilings(store):
    add_run(store, run_record("r"), _outcomes("r", "tttf"))  # update F1 = 6/7
    options = GateOptions(
        floors={"update_f1": 0.8, "micro_f1": 0.9, "delete_f1": 0.5},
        ceilings={"error_rate": 0.0},
        **FAST,
    )
    result = run_gate(store, "r", options)
    by_name = {c.name: c for c in result.checks}
    assert by_name["update_f1 >= 0.8"].status == "pass"
    assert by_name["update_f1 >= 0.8"].value == pytest.approx(6 / 7)
    assert by_name["micro_f1 >= 0.9"].status == "fail"
    assert "0.857" in by_name["micro_f1 >= 0.9"].message
    assert by_name["micro_f1 >= 0.9"].message.endswith("is below the floor 0.9")
    undefined = by_name["delete_f1 >= 0.5"]
    assert undefined.status == "fail" and "undefined" in undefined.message
    assert by_name["error_rate <= 0"].status == "pass"
    assert result.exit_code == 1
    assert result.summary == "2 of 4 checks failed: micro_f1 >= 0.9, delete_f1 >= 0.5"
    # worst cases: the one case below the micro_f1 floor
    assert [w.case_id for w in result.worst_cases] == ["c03"]


def test_significant_regression_fails_and_names_the_worst_cases(store):
    add_run(store, run_record("base"), _outcomes("base", "t" * 14))
    ops = [
        op_row("cand", "c00", side="gold", op="update", outcome="duplicate_instead_of_update",
               reason="a new memory was inserted instead of updating 'm1'",
               content="User lives in Lille", ref="m1"),
        op_row("cand", "c00", side="predicted", op="insert", outcome="duplicate_instead_of_update",
               reason="a new memory was inserted instead of updating 'm1'",
               content="User lives in Lille"),
    ]  # fmt: skip
    ops[0].partner_index, ops[1].partner_index = 0, 0
    cases = _outcomes("cand", "f" * 12 + "tt")
    cases[0].ops = ops
    add_run(store, run_record("cand", started=1), cases)
    result = run_gate(store, "cand", GateOptions(**FAST), baseline="base")
    check = _regression(result)
    assert check.status == "fail"
    assert check.baseline == 1.0 and check.value == pytest.approx(4 / 16)
    assert check.diff == pytest.approx(-0.75) and check.p_value < 0.005
    assert [c.metric for c in result.checks] == [
        "micro_f1", "insert_f1", "update_f1", "delete_f1", "final_f1", "error_rate"
    ]  # fmt: skip
    assert _regression(result, "insert_f1").status == "skip"
    assert _regression(result, "error_rate").status == "pass"
    assert result.worst_metric == "micro_f1"
    assert [w.case_id for w in result.worst_cases] == ["c00", "c01", "c02", "c03", "c04"]
    first = result.worst_cases[0]
    assert (first.baseline, first.candidate) == (1.0, 0.0)
    assert first.problems == [
        's1 gold update m1 "User lives in Lille" / predicted insert "User lives in Lille": '
        "duplicate_instead_of_update: a new memory was inserted instead of updating 'm1'"
    ]


def test_a_drop_beyond_tolerance_without_evidence_passes_unless_significance_is_off(store):
    # 4 of 10 cases worse: exact permutation p = 0.125
    add_run(store, run_record("base"), _outcomes("base", "t" * 10))
    add_run(store, run_record("cand", started=1), _outcomes("cand", "t" * 6 + "f" * 4))
    lenient = run_gate(store, "cand", GateOptions(**FAST), baseline="base")
    assert _regression(lenient).status == "pass"
    assert "not credibly" in _regression(lenient).message
    strict = GateOptions(**FAST, require_significance=False, max_drop={"update_f1": 0.1})
    result = run_gate(store, "cand", strict, baseline="base")
    assert [c.metric for c in result.checks] == ["update_f1"]  # only the metrics named
    assert _regression(result).status == "fail"
    wide = GateOptions(**FAST, require_significance=False, default_max_drop=0.3)
    assert run_gate(store, "cand", wide, baseline="base").passed


def test_baseline_file_round_trip_gives_the_same_verdicts(store, tmp_path):
    add_run(store, run_record("base", name="main"), _outcomes("base", "t" * 14))
    add_run(store, run_record("cand", started=1), _outcomes("cand", "f" * 12 + "tt"))
    path = tmp_path / "baseline.json"
    export_baseline(store, "main", path)
    text = path.read_text()
    lines = text.splitlines()
    case_lines = [line for line in lines if line.lstrip().startswith('{"columns"')]
    assert len(case_lines) == 14  # one case per line
    assert json.loads(case_lines[0].rstrip(","))["columns"] == {
        "case_repeats": 1.0, "exact_sessions": 1.0, "sessions": 1.0, "update_tp": 1.0
    }  # fmt: skip
    loaded = read_baseline(path)
    assert loaded.run.run_id == "base" and len(loaded.cases) == 14
    assert loaded.metrics["update_f1"].value == 1.0
    from_db = run_gate(store, "cand", GateOptions(**FAST), baseline="main")
    from_file = run_gate(store, "cand", GateOptions(**FAST), baseline_file=path)
    assert [c.as_dict() | {"message": None} for c in from_db.checks] == [
        c.as_dict() | {"message": None} for c in from_file.checks
    ]
    assert from_file.baseline_source == str(path)


def test_partial_overlap_and_setting_differences_are_noted(store):
    add_run(store, run_record("base"), _outcomes("base", "t" * 6))
    add_run(store, run_record("cand", started=1, matcher="exact"), _outcomes("cand", "t" * 4))
    result = run_gate(store, "cand", GateOptions(**FAST), baseline="base")
    assert result.n_compared == 4
    assert (
        "compared on the 4 cases common to all runs; left out: 2 only in baseline"
        in (result.notes[0])
    )
    assert "matcher differs (baseline default, candidate exact)" in result.notes[1]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("{not json", "baseline.json:1:2: not valid JSON"),
        ('{"format": "something-else"}', "not a memory-harness baseline"),
        ("[]", "invalid baseline file"),
    ],
)
def test_bad_baseline_files_name_the_file_and_problem(tmp_path, content, error):
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=error):
        read_baseline(path)


def test_baseline_file_fields_are_checked(store, tmp_path):
    add_run(store, run_record("base"), _outcomes("base", "tt"))
    path = tmp_path / "baseline.json"
    export_baseline(store, "base", path)
    data = json.loads(path.read_text())
    data["cases"][1]["id"] = data["cases"][0]["id"]
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigurationError, match=r"cases\[1\]: case id 'c00' appears twice"):
        read_baseline(path)
    data["cases"][1]["id"] = "c01"
    data["cases"][1]["columns"]["update_tpp"] = 1
    path.write_text(json.dumps(data))
    with pytest.raises(
        ConfigurationError, match=r"cases\[1\] \(c01\): unknown column 'update_tpp'"
    ):
        read_baseline(path)
    del data["run"]["model"]
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigurationError, match=r"run\.model: Field required"):
        read_baseline(path)


def test_data_errors(store):
    add_run(store, run_record("base"), _outcomes("base", "tt"))
    add_run(store, run_record("half", status="interrupted", started=1), _outcomes("half", "t"))
    add_run(store, run_record("elsewhere", started=2),
            [case_record("elsewhere", "z", update_counts(1))])  # fmt: skip
    with pytest.raises(ConfigurationError, match="candidate run half is interrupted"):
        run_gate(store, "half", GateOptions(floors={"micro_f1": 0.5}))
    with pytest.raises(ConfigurationError, match="share no cases"):
        run_gate(store, "elsewhere", GateOptions(), baseline="base")
    with pytest.raises(ConfigurationError, match="only a finished run can be a baseline"):
        export_baseline(store, "half")
    with pytest.raises(ConfigurationError, match="unknown metric 'updat_f1'"):
        GateOptions(floors={"updat_f1": 0.5})
    # without a name, the newest finished run is checked
    assert run_gate(store, None, GateOptions(floors={"micro_f1": 0.5})).candidate.run_id == (
        "elsewhere"
    )


# --- output ---------------------------------------------------------------------------------


def _failed_result(store):
    add_run(store, run_record("base"), _outcomes("base", "t" * 14))
    cases = _outcomes("cand", "f" * 12 + "tt")
    cases[0].ops = [
        op_row("cand", "c00", side="gold", op="update", outcome="missed",
               reason="not produced", content="User | likes <script>alert(1)</script>", ref="m1")
    ]  # fmt: skip
    cases[0].tags = ["update", "a|b"]
    add_run(store, run_record("cand", started=1), cases)
    options = GateOptions(floors={"update_f1": 0.8}, **FAST)
    return run_gate(store, "cand", options, baseline="base")


def test_markdown_summary(store):
    text = gate_markdown(_failed_result(store))
    assert text.startswith("## ❌ Memory quality gate failed\n")
    assert "**3 of 4 checks failed: update_f1 &gt;= 0.8, micro_f1 vs baseline, update_f1 vs" in text
    row = next(line for line in text.splitlines() if line.startswith("| `update_f1 vs baseline`"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[1:3] == ["1.000", "0.250"] and cells[4:6] == ["<0.001", "❌ fail"]
    assert re.fullmatch(r"-0\.750 \[-1\.000, -0\.\d{3}\]", cells[3])
    assert "### worst regressed cases (micro_f1, baseline -&gt; candidate)" in text
    assert "| `c00` | update, a\\|b | 1.000 | 0.000 |" in text
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert "User \\| likes" in text


def test_escape_keeps_tables_intact():
    assert escape("a|b\nc <b>") == "a\\|b<br>c &lt;b&gt;"


def test_junit_xml(store):
    result = _failed_result(store)
    root = ET.fromstring(gate_junit(result))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("7", "3", "3")
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in cases][:3] == [
        "update_f1 >= 0.8", "micro_f1 vs baseline", "insert_f1 vs baseline"
    ]  # fmt: skip
    floor = cases[0].find("failure")
    assert floor is not None and floor.get("type") == "floor"
    assert floor.get("message").startswith("update_f1 0.250 [")
    regression = cases[1].find("failure")
    assert "micro_f1 dropped by 0.750" in regression.get("message")
    assert "worst regressed cases (micro_f1" in regression.text
    assert "c00 (update, a|b): 1.000 -> 0.000" in regression.text
    assert "<script>alert(1)</script>" in regression.text  # XML-escaped on the wire, intact here
    assert cases[2].find("skipped") is not None
    props = {p.get("name"): p.get("value") for p in root.findall("testsuite/properties/property")}
    assert props["run_id"] == "cand" and props["baseline"] == "run base"


def test_junit_and_markdown_hold_control_characters_newlines_and_pipes_from_the_data(store):
    """Data that used to make the JUnit file unparsable and break the Markdown table."""
    hostile = "c\x0700\nnext|row"
    base = _outcomes("base", "t" * 14)
    base[0].case_id = hostile
    add_run(store, run_record("base"), base)
    cases = _outcomes("cand", "f" * 12 + "tt")
    cases[0].case_id = hostile
    cases[0].ops = [
        op_row("cand", cases[0].case_id, side="gold", op="update", outcome="missed",
               reason="bell \x07 and nul \x00", content="User\x1b[31m likes | tea", ref="m1")
    ]  # fmt: skip
    add_run(store, run_record("cand", started=1), cases)
    result = run_gate(store, "cand", GateOptions(**FAST), baseline="base")

    root = ET.fromstring(gate_junit(result))  # well-formed
    regression = next(c for c in root.iter("testcase") if c.find("failure") is not None)
    assert "c\\x0700" in regression.find("failure").text

    text = gate_markdown(result)
    row = next(line for line in text.splitlines() if "x0700" in line or "c\x0700" in line)
    assert row.startswith("| ") and row.endswith(" |")
    assert "next\\|row" in row  # the pipe is escaped, even inside backticks
    assert "\n" not in row and "next|row" not in row.replace("\\|", "")
