"""A run recorded before a metric existed shows n/a for it, never 0, wherever runs meet.

Run ``old`` has extraction counts only, as runs recorded before the evidence-level retrieval
columns, the unsourced counts and the answer stage existed: no such columns in its case rows
and no such rows in its stored metrics. Run ``new`` has them: two cases, each with one
session-level query (found in c0, not in c1), 4 memories of which 1 and 3 cite nothing, and two
temporal questions answered (F1 1.0 and 0.5).
"""

from __future__ import annotations

import pytest
from run_factory import add_run, case_record, run_record, update_counts

from harness.reports.compare import CompareOptions, compare_runs
from harness.reports.gate import GateOptions, run_gate
from harness.results import open_results
from harness.scoring.answer_metrics import QuestionResult, answer_counts

FAST = {"n_resamples": 200, "n_permutations": 200}
NEW_METRICS = ["e2e_hybrid_recall_session@5", "unsourced", "qa_f1"]


def _new_cases():
    records = []
    for i, (found, unsourced, f1) in enumerate([(1.0, 1, 1.0), (0.0, 3, 0.5)]):
        record = case_record("new", f"c{i}", update_counts(1))
        record.retrieval = {
            "e2e_hybrid_session_queries": 1,
            "e2e_hybrid_recall_session@5": found,
            "provenance_memories": 4,
            "provenance_unsourced": unsourced,
        }
        answered = QuestionResult("answer", "temporal", True, f1=f1, bleu1=f1, em=0.0)
        record.answer_counts = answer_counts([answered])
        records.append(record)
    return records


@pytest.fixture
def store():
    with open_results(":memory:") as results:
        old = [case_record("old", f"c{i}", update_counts(1)) for i in range(2)]
        for record in old:
            record.retrieval = None  # recorded before any retrieval column it lacks
        add_run(results, run_record("old", name="old"), old)
        results.connection.execute(
            "DELETE FROM run_metrics WHERE run_id = 'old' AND metric NOT LIKE '%f1'"
            " AND metric NOT LIKE '%recall' AND metric NOT LIKE '%precision'"
        )
        add_run(results, run_record("new", name="new", started=1), _new_cases())
        yield results


def test_compare_shows_na_for_the_old_run_and_no_difference(store):
    options = CompareOptions(**FAST, metrics=NEW_METRICS)
    comparison = compare_runs(store, ["old", "new"], options)
    old, new = comparison.runs
    for metric in NEW_METRICS:
        assert old.metrics[metric].value is None, metric
        assert old.metrics[metric].n == 0
    assert new.metrics["e2e_hybrid_recall_session@5"].value == 0.5
    assert new.metrics["unsourced"].value == 0.5  # (1 + 3) / 8
    assert new.metrics["qa_f1"].value == 0.75
    diffs = {d.metric: d for d in comparison.pairs[0].diffs}
    assert all(diffs[m].diff is None and diffs[m].verdict == "undefined" for m in NEW_METRICS)
    (f1_table,) = [t for t in comparison.categories if t.metric == "qa_f1"]
    (temporal,) = f1_table.rows
    assert temporal.cells["A"].value is None and temporal.cells["B"].value == 0.75
    assert temporal.diffs["B - A"].diff is None


def test_compare_renderings_print_a_dash_not_zero(store):
    from harness.reports._markdown import comparison_markdown

    options = CompareOptions(**FAST, metrics=["unsourced"])
    text = comparison_markdown(compare_runs(store, ["old", "new"], options))
    assert "| `unsourced` | - | 0.500 † [" in text


def test_gate_skips_a_metric_the_baseline_never_recorded(store):
    options = GateOptions(**FAST, max_drop={"unsourced": 0.0, "qa_f1": 0.0})
    result = run_gate(store, "new", options, baseline="old")
    checks = {c.metric: c for c in result.checks}
    for metric in ("unsourced", "qa_f1"):
        assert checks[metric].status == "skip"
        assert checks[metric].baseline is None
        assert "undefined on the shared cases for one run" in checks[metric].message


def test_the_report_leaves_the_old_runs_cell_empty(store, tmp_path):
    from harness.reports.html import write_report

    result = write_report(store, runs=["old", "new"], output=tmp_path / "report.html")
    html = result.path.read_text(encoding="utf-8")
    board = html[
        html.index('id="leaderboard"') : html.index("</table>", html.index('id="leaderboard"'))
    ]
    rows = board.split("<tr>")[2:]  # the header row, then one row per run
    old_row, new_row = rows
    assert "unsourced" in board  # the new run has it, so the column is shown
    cells = lambda row: row.split('class="num metric')[1:]  # noqa: E731
    column = len(cells(new_row)) - 1  # unsourced is the last provenance column
    assert 'na" data-value="">&ndash;' in cells(old_row)[column]
    assert 'data-value="0.5"' in cells(new_row)[column]


def test_the_run_summary_adds_provenance_figures_only_when_defined():
    from rich.console import Console

    from harness.reports._console import summary_table
    from harness.results.records import MetricRow

    def rendered(metrics):
        console = Console(width=200, record=True)
        console.print(summary_table("run", {m.metric: m for m in metrics}))
        return console.export_text()

    plain = [
        MetricRow("r", "micro_f1", 0.5, 0.4, 0.6, 30),
        MetricRow("r", "unsourced", None, None, None, 0),
    ]
    assert "unsourced" not in rendered(plain)
    benchmark = [*plain[:1], MetricRow("r", "unsourced", 0.25, 0.1, 0.4, 12),
                 MetricRow("r", "e2e_hybrid_recall_session@5", 0.5, 0.3, 0.7, 12)]  # fmt: skip
    text = rendered(benchmark)
    assert "unsourced" in text and "e2e_hybrid_recall_session@5" in text
    assert "e2e_hybrid_recall_turn@5" not in text  # not recorded: not shown
