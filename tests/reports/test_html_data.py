"""What the report loads from the database, checked against hand-computed values.

The two hand-made runs are described in :func:`report_cases.hand_made_db`.
"""

from __future__ import annotations

import json

import pytest
from report_cases import CASES, hand_made_db

from harness.errors import ConfigurationError
from harness.reports._report_cases import clip, load_drilldown, pair_ops, read_cases
from harness.reports._report_data import load_report_data, run_keys, select_runs
from harness.results import open_results


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    return hand_made_db(tmp_path_factory.mktemp("hand"))


@pytest.fixture
def store(hand):
    with open_results(hand[0], read_only=True) as results:
        yield results


@pytest.fixture
def data(store):
    return load_report_data(store, select_runs(store))


def test_runs_default_to_finished_ones_oldest_first(store):
    assert [r.run_id for r in select_runs(store)] == ["run-a", "run-b"]
    assert [r.run_id for r in select_runs(store, latest=1)] == ["run-b"]
    assert [r.run_id for r in select_runs(store, ["run-b", "run-a"])] == ["run-b", "run-a"]
    assert [r.run_id for r in select_runs(store, ["run-b"], latest=2)] == ["run-b", "run-a"]


def test_unknown_run_and_bad_latest_are_clear_errors(store):
    with pytest.raises(ConfigurationError, match="no run with id or name 'nope'"):
        select_runs(store, ["nope"])
    with pytest.raises(ConfigurationError, match="--latest 0"):
        select_runs(store, latest=0)


def test_an_empty_database_has_nothing_to_report(tmp_path):
    with (
        open_results(tmp_path / "empty.duckdb") as empty,
        pytest.raises(ConfigurationError, match="no finished run to report on"),
    ):
        select_runs(empty)


def test_run_keys_stay_short_and_unique():
    keys = run_keys(30)
    assert keys[:3] == ["A", "B", "C"] and keys[25] == "Z" and keys[26] == "A2"
    assert len(set(keys)) == 30


def test_metrics_come_from_the_stored_aggregates(data):
    a, b = data.runs
    assert (a.key, b.key) == ("A", "B")
    # A: TP insert + delete = 2, the wrong update is one FN and one FP: 2*2 / (2*2 + 1 + 1).
    assert a.metrics["micro_f1"].value == pytest.approx(4 / 6)
    assert b.metrics["micro_f1"].value == 0.0
    assert b.metrics["error_rate"].value == pytest.approx(1 / 4)
    assert a.metrics["micro_f1"].n == 3  # nothing-001 has nothing to score


def test_usage_sums_and_latency_quantiles(data):
    a, b = data.runs
    assert (a.usage.case_repeats, a.usage.errors, b.usage.errors) == (4, 0, 1)
    assert (a.usage.input_tokens, a.usage.output_tokens) == (400, 40)
    assert a.usage.cost_usd == pytest.approx(0.008)
    # latencies 1, 2, 3, 4 s: mean 2.5, median 2.5, 95th percentile 3 + 0.85 * 1
    assert a.usage.mean_latency_s == pytest.approx(2.5)
    assert a.usage.p50_latency_s == pytest.approx(2.5)
    assert a.usage.p95_latency_s == pytest.approx(3.85)
    assert a.usage.wall_s == pytest.approx(90.0)


def test_micro_f1_per_tag_pools_the_cases_counts(data):
    assert data.tags == ["adversarial", "delete", "fact", "nothing", "update"]
    cell = data.tag_cells
    # fact = inject-001 (TP 1) + corr-001 (FN 1, FP 1) -> 2 / (2 + 1 + 1)
    assert cell[("run-a", "fact")].f1 == pytest.approx(0.5)
    assert cell[("run-a", "fact")].n_cases == 2
    assert cell[("run-a", "adversarial")].f1 == 1.0
    assert cell[("run-a", "update")].f1 == 0.0
    assert cell[("run-a", "nothing")].f1 is None  # nothing expected, nothing predicted
    assert cell[("run-b", "nothing")].f1 == 0.0  # a spurious insert
    assert ("run-b", "delete") not in cell  # its only case ended in an error


def test_confusion_counts_outcomes_and_linked_op_types(data):
    a, b = data.confusion["run-a"], data.confusion["run-b"]
    assert a.outcomes == {
        "insert": {"matched": 1},
        "update": {"wrong_content": 1},
        "delete": {"matched": 1},
    }
    assert a.pairs == {"insert": {"insert": 1}, "update": {"update": 1}, "delete": {"delete": 1}}
    assert a.predicted_outcomes == {}
    assert b.outcomes == {"insert": {"missed": 1}, "update": {"duplicate_instead_of_update": 1}}
    assert b.predicted_outcomes == {"insert": {"spurious": 2}}
    assert b.pairs == {
        "insert": {"(none)": 1},
        "update": {"insert": 1},
        "(none)": {"insert": 2},
    }
    assert b.total == 4


def test_drilldown_ranks_cases_failing_in_most_runs_first(store, data):
    drill = load_drilldown(store, data.runs, mode="failing", max_cases=100)
    assert [c.case_id for c in drill.cases] == [
        "corr-001",  # fails in A and B
        "forget-001",
        "inject-001",
        "nothing-001",
    ]
    corr = drill.cases[0]
    assert corr.verdicts == {"A": "fail", "B": "fail"}
    assert [r.run_key for r in corr.runs] == ["A", "B"]
    forget = drill.cases[1]
    assert forget.verdicts == {"A": "pass", "B": "error"}
    assert [(r.run_key, r.error) for r in forget.runs] == [("B", "ModelError: rate limited")]


def test_drilldown_cap_counts_what_was_left_out(store, data):
    drill = load_drilldown(store, data.runs, mode="failing", max_cases=2)
    assert [c.case_id for c in drill.cases] == ["corr-001", "forget-001"]
    assert drill.candidates == 4
    assert load_drilldown(store, data.runs, mode="none").cases == []
    only_a = load_drilldown(store, data.runs[:1], mode="failing")
    assert [c.case_id for c in only_a.cases] == ["corr-001"]
    every = load_drilldown(store, data.runs[:1], mode="all")
    assert {c.case_id: [r.failing for r in c.runs] for c in every.cases} == {
        "corr-001": [True],
        "forget-001": [False],
        "inject-001": [False],
        "nothing-001": [False],
    }


def test_drilldown_pairs_ops_side_by_side_with_reasons(store, data):
    drill = load_drilldown(store, data.runs, mode="failing")
    corr = next(c for c in drill.cases if c.case_id == "corr-001")
    run_b = next(r for r in corr.runs if r.run_key == "B")
    [pair] = run_b.sessions[0]
    assert pair.gold.op == "update" and pair.predicted.op == "insert"
    assert pair.gold.outcome == "duplicate_instead_of_update"
    assert pair.predicted.key == "p2" and pair.gold.key == "m1"


def test_drilldown_reads_the_conversation_from_the_dataset(store, data):
    drill = load_drilldown(store, data.runs, mode="failing")
    corr = next(c for c in drill.cases if c.case_id == "corr-001")
    assert corr.notes == []
    assert corr.existing == [("m1", "User lives in Lyon"), ("m2", "User has a dog named Biscuit")]
    assert [m.id for m in corr.sessions[0]] == ["s1m1", "s1m2"]
    assert "Lille, not Lyon" in corr.sessions[0][0].content


def test_a_changed_or_missing_dataset_is_noted(hand, tmp_path):
    db, dataset = hand
    changed = [dict(c) for c in CASES]
    changed[1] = {**changed[1], "tags": ["update", "fact", "edited"]}
    original = dataset.read_text()
    try:
        dataset.write_text("".join(json.dumps(c) + "\n" for c in changed))
        with open_results(db, read_only=True) as store:
            runs = load_report_data(store, select_runs(store)).runs
            drill = load_drilldown(store, runs)
        corr = next(c for c in drill.cases if c.case_id == "corr-001")
        assert corr.notes and "changed" in corr.notes[0] and "run A" in corr.notes[0]
        assert corr.sessions  # still shown
        dataset.unlink()
        with open_results(db, read_only=True) as store:
            drill = load_drilldown(store, runs)
        assert all("conversation unavailable" in c.notes[0] for c in drill.cases)
        assert all(c.sessions == [] for c in drill.cases)
    finally:
        dataset.write_text(original)


def test_pair_ops_puts_linked_predictions_beside_their_gold_op():
    def row(side, index, partner=None, op="insert"):
        return {"side": side, "op_index": index, "partner_index": partner, "op": op,
                "ref": f"g{index}", "memory_id": f"p{index}", "content": "x", "outcome": "o",
                "counted": True, "optional": False, "similarity": None, "key_terms": None,
                "reason": "r"}  # fmt: skip

    gold = [row("gold", 0, partner=1), row("gold", 1)]
    predicted = [row("predicted", 0), row("predicted", 1, partner=0)]
    pairs = pair_ops(gold, predicted)
    assert [(p.gold and p.gold.index, p.predicted and p.predicted.index) for p in pairs] == [
        (0, 1),
        (1, None),
        (None, 0),
    ]


def test_long_text_is_clipped_with_a_count():
    assert clip("abc", 5) == "abc"
    assert clip("abcdefgh", 5) == "abcde ... (3 more characters)"


def test_read_cases_skips_bad_lines_and_reports_a_missing_file(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "x", "sessions": []}\nnot json\n{"id": "y"}\n')
    found, problem = read_cases(path, {"x", "z"})
    assert set(found) == {"x"} and problem is None
    found, problem = read_cases(tmp_path / "missing.jsonl", {"x"})
    assert found == {} and "conversation unavailable" in problem


def test_each_run_says_what_went_wrong_per_session_and_case(store, data):
    drill = load_drilldown(store, data.runs, mode="failing")
    by_id = {c.case_id: c for c in drill.cases}
    assert by_id["corr-001"].tallies() == {
        "A": "wrong content 1",
        "B": "duplicate instead of update 1",
    }
    assert by_id["inject-001"].tallies() == {"B": "missed 1, spurious 1"}
    [forget_b] = by_id["forget-001"].runs
    assert forget_b.problems() == "error" and forget_b.session_verdict(0) == "error"
    [corr_a, _] = by_id["corr-001"].runs
    assert corr_a.session_verdict(0) == "fail"
    assert corr_a.session_verdict(1) == "pass"  # no such session: nothing went wrong there
    every = load_drilldown(store, data.runs[:1], mode="all")
    inject_a = next(c for c in every.cases if c.case_id == "inject-001").runs[0]
    assert inject_a.session_verdict(0) == "pass" and inject_a.problems() == ""


def test_long_generated_ids_are_shortened_for_display():
    from harness.reports._report_view import short_id

    assert short_id("m1") == "m1"
    assert short_id("2390c416-fa49-56ad-8edf-2a4fe2683467") == "2390c416\u2026"
    assert short_id(None) == ""
