"""Answer metrics per question category in ``harness compare``: values, intervals and paired
differences computed from hand-made per-case answer sums.

Run A, temporal: case c0 1 question (0 correct, F1 sum 0.5), c1 2 questions (1 correct, F1 sum
1.0) -> qa_j 1/3, qa_f1 1.5/3 = 0.5. Run B, temporal: c0 1 correct (F1 1.0), c1 2 correct (F1
sum 2.0) -> qa_j 1, qa_f1 1. B - A: qa_j +2/3, qa_f1 +0.5. Run B alone has a single-hop
question (correct): A's single-hop figures are n/a, so is the difference.
"""

from __future__ import annotations

import pytest
from run_factory import add_run, case_record, run_record

from harness.errors import ConfigurationError
from harness.reports._console import comparison_renderables
from harness.reports._markdown import comparison_markdown
from harness.reports.compare import CompareOptions, compare_runs
from harness.results import open_results

FAST = {"n_resamples": 300, "n_permutations": 500}
ANSWERING = {"answer_model": "baseline/extractive", "judge_model": "scripted/judge"}


def _temporal(n: int, correct: int, f1_sum: float) -> dict[str, float]:
    return {
        "qa_asked": n, "qa_answered": n, "qa_n": n, "qa_judged": n, "qa_correct": correct,
        "qa_f1_sum": f1_sum, "qa_n[temporal]": n, "qa_judged[temporal]": n,
        "qa_correct[temporal]": correct, "qa_f1_sum[temporal]": f1_sum,
        "qa_bleu1_sum[temporal]": 0.0, "qa_em_sum[temporal]": 0.0,
    }  # fmt: skip


def _cases(run_id: str, sums: list[dict[str, float]]):
    records = []
    for i, answer_counts in enumerate(sums):
        record = case_record(run_id, f"c{i}", {"sessions": 1})
        record.answer_counts = answer_counts
        records.append(record)
    return records


@pytest.fixture
def comparison():
    single_hop = {"qa_n[single-hop]": 1, "qa_judged[single-hop]": 1,
                  "qa_correct[single-hop]": 1, "qa_f1_sum[single-hop]": 1.0,
                  "qa_bleu1_sum[single-hop]": 1.0, "qa_em_sum[single-hop]": 1.0}  # fmt: skip
    with open_results(":memory:") as store:
        add_run(
            store,
            run_record("a", name="base", parameters=ANSWERING),
            _cases("a", [_temporal(1, 0, 0.5), _temporal(2, 1, 1.0)]),
        )
        add_run(
            store,
            run_record("b", name="cand", started=1),
            _cases("b", [_temporal(1, 1, 1.0) | single_hop, _temporal(2, 2, 2.0)]),
        )
        yield compare_runs(store, ["base", "cand"], CompareOptions(**FAST))


def test_category_tables_by_hand(comparison):
    j, f1 = comparison.categories
    assert (j.metric, f1.metric) == ("qa_j", "qa_f1")
    rows = {row.category: row for row in j.rows}
    assert sorted(rows) == ["single-hop", "temporal"]
    temporal = rows["temporal"]
    assert temporal.n_questions == 3
    assert temporal.cells["A"].value == pytest.approx(1 / 3)
    assert temporal.cells["B"].value == 1.0
    diff = temporal.diffs["B - A"]
    assert diff.diff == pytest.approx(2 / 3)
    assert diff.low is not None and diff.low <= diff.diff <= diff.high
    assert rows["single-hop"].cells["A"].value is None  # no question: n/a, not 0
    assert rows["single-hop"].cells["B"].value == 1.0
    assert rows["single-hop"].diffs["B - A"].diff is None
    f1_temporal = {row.category: row for row in f1.rows}["temporal"]
    assert f1_temporal.cells["A"].value == pytest.approx(0.5)
    assert f1_temporal.diffs["B - A"].diff == pytest.approx(0.5)
    data = comparison.as_dict()["categories"][0]["rows"]
    assert {r["category"] for r in data} == {"single-hop", "temporal"}


def test_rendered_tables_name_categories_and_each_runs_answerer_and_judge(comparison):
    from rich.console import Console

    console = Console(width=200, record=True)
    for renderable in comparison_renderables(comparison):
        console.print(renderable)
    text = console.export_text()
    assert "qa_j per question category" in text and "temporal" in text
    assert "answers: baseline/extractive, judge: scripted/judge" in text
    markdown = comparison_markdown(comparison)
    assert "**qa_f1 per question category**" in markdown
    assert "| temporal | 3 † | 0.500 † " in markdown  # 3 questions from 2 cases: flagged
    assert "answers: baseline/extractive, judge: scripted/judge" in markdown


def test_a_category_metric_can_be_named():
    options = CompareOptions(metrics=["qa_j[temporal]"], category_metrics=["qa_em"])
    assert options.metrics == ["qa_j[temporal]"]
    with pytest.raises(ConfigurationError, match=r"unknown metric 'qa_jj\[temporal\]'"):
        CompareOptions(metrics=["qa_jj[temporal]"])
    with pytest.raises(ValueError, match="'micro_f1' has no per-category form"):
        CompareOptions(category_metrics=["micro_f1"])
