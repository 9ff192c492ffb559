"""Comparisons over hand-made runs in a real results database, with hand-computed expectations."""

from __future__ import annotations

import pytest
from run_factory import add_run, case_record, run_record, update_counts

from harness.errors import ConfigurationError
from harness.reports._paired import decide, holm
from harness.reports.compare import CompareOptions, build_comparison, compare_runs, run_keys
from harness.results import open_results

FAST = {"n_resamples": 400, "n_permutations": 2000}


@pytest.fixture
def store():
    with open_results(":memory:") as results:
        yield results


def _cases(run_id: str, outcomes: list[str], *, tags=None, prefix="c"):
    """'tp': the case's one update matched; 'fn': missed; 'fp': matched plus a spurious one."""
    rows = []
    for i, outcome in enumerate(outcomes):
        counts = {
            "tp": update_counts(1),
            "fn": update_counts(0, fn=1),
            "fp": update_counts(1, fp=1),
        }[outcome]
        case_tags = tags[i] if tags else ["update"]
        rows.append(case_record(run_id, f"{prefix}{i:02d}", counts, tags=case_tags))
    return rows


def test_metrics_recomputed_from_cases_equal_hand_values_and_stored_ones(store):
    add_run(store, run_record("a", name="base"), _cases("a", ["tp"] * 10))
    add_run(store, run_record("b", name="cand", started=1), _cases("b", ["tp"] * 6 + ["fn"] * 4))
    comparison = compare_runs(store, ["base", "cand"], CompareOptions(**FAST))
    a, b = comparison.runs
    assert (a.key, b.key) == ("A", "B")
    assert a.metrics["update_f1"].value == 1.0
    # B: tp 6, fn 4 -> F1 = 2*6 / (2*6 + 4) = 0.75; exact sessions 6 of 10
    assert b.metrics["update_f1"].value == pytest.approx(0.75)
    assert b.metrics["exact_session_accuracy"].value == pytest.approx(0.6)
    assert b.metrics["update_f1"].n == 10
    assert b.metrics["insert_f1"].value is None  # nothing to score
    low, high = b.metrics["update_f1"].low, b.metrics["update_f1"].high
    assert low < 0.75 < high
    stored = store.run_metrics("b")["update_f1"].value
    assert stored == pytest.approx(b.metrics["update_f1"].value)
    assert comparison.scope == "all" and comparison.n_cases == 10 and not comparison.notes
    assert b.usage["errors"] == 0 and b.usage["input_tokens"] == 1000


def test_paired_difference_matches_the_exact_permutation_distribution(store):
    # 4 informative cases, all worse in B. Swapping k of them gives |diff| 0.25 only for k = 0
    # or 4: the exact two-sided p-value is 2/16 = 0.125, so this is not a credible change.
    add_run(store, run_record("a"), _cases("a", ["tp"] * 10))
    add_run(store, run_record("b", started=1), _cases("b", ["tp"] * 6 + ["fn"] * 4))
    diff = next(
        d
        for d in compare_runs(store, ["a", "b"], CompareOptions(**FAST)).pairs[0].diffs
        if d.metric == "update_f1"
    )
    assert (diff.a, diff.b) == (1.0, pytest.approx(0.75))
    assert diff.diff == pytest.approx(-0.25)
    assert diff.p_permutation == pytest.approx(0.125, abs=0.025)
    assert not diff.significant and diff.verdict == "no significant change"


def test_twelve_cases_worse_is_a_significant_regression(store):
    # 12 informative cases: exact p = 2 / 4096, far below 0.05.
    add_run(store, run_record("a"), _cases("a", ["tp"] * 14))
    add_run(store, run_record("b", started=1), _cases("b", ["tp"] * 2 + ["fn"] * 12))
    pair = compare_runs(store, ["a", "b"], CompareOptions(**FAST)).pairs[0]
    diff = next(d for d in pair.diffs if d.metric == "update_f1")
    # B: tp 2, fn 12 -> F1 = 4 / 16 = 0.25
    assert diff.diff == pytest.approx(0.25 - 1.0)
    assert diff.p_permutation < 0.005
    assert diff.high < 0
    assert diff.significant and diff.verdict == "regressed"
    assert (pair.a, pair.b, pair.n_cases) == ("A", "B", 14)


def test_lower_is_better_metrics_regress_when_they_rise():
    assert decide("error_rate", 0.2, 0.1, 0.3, 0.001, 0.05) == (True, "regressed")
    assert decide("error_rate", -0.2, -0.3, -0.1, 0.001, 0.05) == (True, "improved")
    assert decide("micro_f1", 0.2, 0.1, 0.3, 0.001, 0.05) == (True, "improved")
    # the interval must exclude zero too, and p must be below alpha
    assert decide("micro_f1", 0.2, -0.01, 0.3, 0.001, 0.05) == (False, "no significant change")
    assert decide("micro_f1", 0.2, 0.1, 0.3, 0.05, 0.05) == (False, "no significant change")
    assert decide("micro_f1", None, None, None, None, 0.05) == (False, "undefined")


def test_holm_adjustment_by_hand():
    # sorted p: 0.01 (x3) = 0.03; 0.03 (x2) = 0.06; 0.04 (x1) = 0.04 -> running max 0.06
    assert holm([0.01, 0.04, 0.03, None]) == [
        pytest.approx(0.03),
        pytest.approx(0.06),
        pytest.approx(0.06),
        None,
    ]
    assert holm([0.5, 0.9]) == [1.0, 1.0]


def test_holm_option_applies_to_every_paired_test(store):
    add_run(store, run_record("a"), _cases("a", ["tp"] * 14))
    add_run(store, run_record("b", started=1), _cases("b", ["tp"] * 2 + ["fn"] * 12))
    options = CompareOptions(**FAST, adjust="holm", metrics=["update_f1", "micro_f1"])
    diffs = compare_runs(store, ["a", "b"], options).pairs[0].diffs
    raw = [d.p_permutation for d in diffs]
    assert [d.p_adjusted for d in diffs] == [pytest.approx(p) for p in holm(raw)]
    assert all(d.p == d.p_adjusted for d in diffs)


def test_different_case_sets_are_compared_on_the_intersection_and_say_so(store):
    add_run(store, run_record("a"), _cases("a", ["tp"] * 8))
    b_cases = _cases("b", ["fn"] * 6)  # c00..c05
    b_cases.append(case_record("b", "extra", update_counts(1)))
    b_cases[0].case_hash = "changed"  # c00 differs in content: not the same case
    add_run(store, run_record("b", started=1), b_cases)
    comparison = compare_runs(store, ["a", "b"], CompareOptions(**FAST))
    assert comparison.scope == "common"
    assert comparison.n_cases == 5  # c01..c05
    assert [c.n_cases for c in comparison.runs] == [5, 5]
    assert comparison.notes == []  # said in the headline, not a footnote
    note = comparison.headline
    assert note.startswith("Compared on the 5 cases common to all runs")
    assert "2 only in A" in note and "1 only in B" in note  # c06, c07; extra
    assert "1 whose content differs between runs (c00)" in note
    assert comparison.runs[1].metrics["update_f1"].value == 0.0
    assert comparison.pairs[0].n_cases == 5


def test_runs_without_shared_cases_are_not_paired(store):
    add_run(store, run_record("a"), _cases("a", ["tp"] * 3, prefix="x"))
    add_run(store, run_record("b", started=1), _cases("b", ["tp"] * 3, prefix="y"))
    add_run(store, run_record("c", started=2), _cases("c", ["fn"] * 3, prefix="y"))
    comparison = compare_runs(store, ["a", "b", "c"], CompareOptions(**FAST))
    assert comparison.scope == "own"
    assert [(p.a, p.b) for p in comparison.pairs] == [("B", "C")]
    assert "A and B share no cases: not compared" in comparison.notes
    assert comparison.runs[0].metrics["update_f1"].value == 1.0  # over its own cases


def test_per_tag_breakdown_by_hand(store):
    tags = [["update", "city"], ["update", "city"], ["update", "pet"], ["update", "pet"]]
    add_run(store, run_record("a"), _cases("a", ["tp", "fn", "tp", "tp"], tags=tags))
    add_run(store, run_record("b", started=1), _cases("b", ["fp", "tp", "fn", "fn"], tags=tags))
    comparison = compare_runs(store, ["a", "b"], CompareOptions(**FAST, by_tag=True))
    table = comparison.tags[0]
    assert table.metric == "micro_f1"
    rows = {row.tag: row for row in table.rows}
    assert list(rows) == ["city", "pet", "update"]
    # city: A tp1 fn1 -> 2/3; B tp2 fp1 -> 4/5
    assert rows["city"].cells["A"].value == pytest.approx(2 / 3)
    assert rows["city"].cells["B"].value == pytest.approx(4 / 5)
    # pet: A tp2 -> 1; B fn2 -> 0
    assert (rows["pet"].cells["A"].value, rows["pet"].cells["B"].value) == (1.0, 0.0)
    assert rows["update"].n_cases == 4


def test_reference_compares_every_run_against_one(store):
    for i, run_id in enumerate("abc"):
        add_run(store, run_record(run_id, name=f"run-{run_id}", started=i), _cases(run_id, ["tp"]))
    comparison = compare_runs(store, ["run-b", "run-c"], CompareOptions(**FAST, reference="run-a"))
    assert [c.run.run_id for c in comparison.runs] == ["a", "b", "c"]
    assert [(p.a, p.b) for p in comparison.pairs] == [("A", "B"), ("A", "C")]


def test_latest_picks_the_newest_finished_run_per_model_and_template(store):
    add_run(store, run_record("old", started=0), _cases("old", ["tp"]))
    add_run(store, run_record("new", started=5), _cases("new", ["tp"]))
    add_run(store, run_record("other", started=1, model="scripted/x"), _cases("other", ["tp"]))
    add_run(store, run_record("broken", started=9, status="interrupted"), _cases("broken", ["tp"]))
    chosen = compare_runs(store, latest=True, options=CompareOptions(**FAST)).runs
    assert [c.run.run_id for c in chosen] == ["new", "other"]
    only = compare_runs(store, latest=True, model="scripted/x", options=CompareOptions(**FAST))
    assert [c.run.run_id for c in only.runs] == ["other"]
    with pytest.raises(ConfigurationError, match="no finished run with model nope"):
        compare_runs(store, latest=True, model="nope")


def test_bad_requests_are_configuration_errors(store):
    add_run(store, run_record("a"), _cases("a", ["tp"]))
    with pytest.raises(ConfigurationError, match="no run with id or name 'zzz'"):
        compare_runs(store, ["zzz"])
    with pytest.raises(ConfigurationError, match="name the runs to compare"):
        compare_runs(store, [])
    with pytest.raises(ConfigurationError, match=r"unknown metric 'micro_f2' \(did you mean"):
        CompareOptions(metrics=["micro_f2"])


def test_run_keys_and_pure_build_for_one_run(store):
    assert run_keys(3) == ["A", "B", "C"]
    assert run_keys(28)[-2:] == ["AA", "AB"]
    add_run(store, run_record("a"), _cases("a", ["tp", "fn"]))
    from harness.reports._casedata import load_case_data

    single = build_comparison([load_case_data(store, store.get_run("a"))], CompareOptions(**FAST))
    assert single.pairs == [] and single.runs[0].metrics["update_f1"].value == pytest.approx(2 / 3)


def test_markdown_folds_metrics_no_resample_changes(store):
    from harness.reports._markdown import comparison_markdown

    add_run(store, run_record("a"), _cases("a", ["tp", "fn", "tp"]))
    add_run(store, run_record("b", started=1), _cases("b", ["tp", "fn", "fn"]))
    options = CompareOptions(**FAST, metrics=["update_f1", "error_rate"])
    text = comparison_markdown(compare_runs(store, ["a", "b"], options))
    assert "| B - A † | `update_f1` | 0.800 | 0.500 | -0.300 |" in text  # 4/5, 2/4; 3 cases
    assert "| B - A † | unchanged in every resample: `error_rate` |  |  |  |  |  |  |" in text
    assert "| B - A † | `error_rate` |" not in text


def _provenance_cases(run_id: str):
    """c0: its evidence session found, 1 of 4 memories unsourced; c1: not found, 3 of 4."""
    rows = []
    for i, (found, unsourced) in enumerate([(1.0, 1), (0.0, 3)]):
        record = case_record(run_id, f"c{i}", update_counts(1))
        record.retrieval = {
            "e2e_hybrid_session_queries": 1,
            "e2e_hybrid_recall_session@5": found,
            "e2e_hybrid_ndcg_session@5": found,
            "provenance_memories": 4,
            "provenance_unsourced": unsourced,
        }
        rows.append(record)
    return rows


def test_provenance_metrics_join_the_default_comparison_when_a_run_has_them(store):
    from harness.scoring.catalogue import COMPARE_METRICS

    add_run(store, run_record("a"), _provenance_cases("a"))
    add_run(store, run_record("b", started=1), _cases("b", ["tp", "tp"]))
    comparison = compare_runs(store, ["a", "b"], CompareOptions(**FAST))
    extras = ["e2e_hybrid_recall_session@5", "e2e_hybrid_ndcg_session@5", "unsourced"]
    assert comparison.metrics == [*COMPARE_METRICS, *extras]  # no turn-level evidence: not shown
    a, b = comparison.runs
    assert a.metrics["e2e_hybrid_recall_session@5"].value == 0.5  # (1 + 0) / 2 queries
    assert a.metrics["unsourced"].value == 0.5  # (1 + 3) / (4 + 4)
    assert b.metrics["unsourced"].value is None  # scored by memory id: n/a, not 0
    plain = compare_runs(store, ["b"], CompareOptions(**FAST))
    assert plain.metrics == list(COMPARE_METRICS)
    chosen = compare_runs(store, ["a"], CompareOptions(**FAST, metrics=["micro_f1"]))
    assert chosen.metrics == ["micro_f1"]


def test_figures_on_fewer_than_20_cases_are_flagged_and_20_are_not(store):
    add_run(store, run_record("a"), _cases("a", ["tp"] * 10 + ["fn"] * 10))
    add_run(store, run_record("b", started=1), _cases("b", ["tp"] * 19))
    # A and B share 19 cases: every figure of the comparison stands on 19 cases
    narrowed = compare_runs(store, ["a", "b"], CompareOptions(**FAST, metrics=["update_recall"]))
    cell = narrowed.runs[0].metrics["update_recall"]
    assert (cell.value, cell.n) == (pytest.approx(10 / 19), 19)
    assert cell.small == "19 cases (fewer than 20)"
    assert narrowed.pairs[0].small == "19 cases (fewer than 20)"
    assert narrowed.has_small_samples()
    whole = compare_runs(store, ["a"], CompareOptions(**FAST, metrics=["update_recall"]))
    assert whole.runs[0].metrics["update_recall"].small is None  # 20 cases
    assert not whole.has_small_samples()


def test_a_narrowed_comparison_says_so_first_in_every_rendering(store):
    from rich.console import Console

    from harness.reports._console import comparison_renderables
    from harness.reports._markdown import comparison_markdown

    add_run(store, run_record("a"), _cases("a", ["tp"] * 3))
    add_run(store, run_record("b", started=1), _cases("b", ["tp"] * 2))
    comparison = compare_runs(store, ["a", "b"], CompareOptions(**FAST, metrics=["update_f1"]))
    expected = "Compared on the 2 cases common to all runs; left out: 1 only in A."
    assert comparison.headline == expected
    assert comparison.as_dict()["headline"] == expected
    console = Console(width=200, record=True)
    for renderable in comparison_renderables(comparison):
        console.print(renderable)
    text = console.export_text()
    assert text.startswith(expected)
    assert "† small sample: computed on fewer than 20 cases" in text
    markdown = comparison_markdown(comparison).splitlines()
    assert markdown[:3] == ["## Run comparison", "", f"**{expected}**"]
