"""The HTML report's answer section over a real LoCoMo-shaped run: per-category figures with
their intervals, the question drill-down, and the published LoCoMo panel with its caveat."""

from __future__ import annotations

import re

import pytest

from harness.reports.html import write_report
from harness.results.db import open_results

from .test_answer_stage import _judge, _run


@pytest.mark.slow
def test_report_shows_categories_questions_and_the_published_panel(tmp_path, scripted):
    scripted.respond_with(_judge)
    store, run_id = _run(tmp_path, "baseline/oracle", judge=scripted.model)
    with store:
        metrics = store.run_metrics(run_id)
        out = write_report(store, runs=[run_id], output=tmp_path / "report.html")
    html = out.path.read_text(encoding="utf-8")
    section = html[html.index('<section id="answers">') :]
    section = section[: section.index("</section>")]
    assert f"answers: baseline/extractive, judge: {scripted.model} (locomo protocol)" in section
    # per category, each figure with its stored interval
    temporal = metrics["qa_f1[temporal]"]
    row = re.search(r"<tr><td>temporal</td>(.*?)</tr>", section, re.S).group(1)
    assert (
        f"{temporal.value:.3f}" in row and f"[{temporal.ci_low:.3f}, {temporal.ci_high:.3f}]" in row
    )
    assert "<tr><td>single-hop</td>" in section
    # the published figures, their source, conditions and caveat
    assert "Published LoCoMo figures" in section
    for figure in ("66.88", "65.99", "58.10", "52.90"):
        assert f'<td class="num">{figure}</td>' in section
    assert "arXiv 2504.19413" in section and "not directly comparable" in section.lower()
    # the drill-down: question, gold, category, memories with session dates and sources,
    # the answer, the verdict and the judge's reason; the judge error comes first
    questions = section.split('<details class="case question">')[1:]
    assert len(questions) == 4
    assert (
        "What breed is Tomas&#39;s horse?" in questions[0]
        and "unparseable judge reply" in questions[0]
    )
    temporal_q = next(q for q in questions if "LGBTQ support group?" in q)
    assert "<b>gold answer:</b> 7 May 2023" in temporal_q
    assert '<span class="tag">temporal</span>' in temporal_q
    assert "Caroline went to the LGBTQ support group on 7 May 2023" in temporal_q
    assert "<td>2023-05-08T13:56</td><td>Caroline</td><td>D1:1</td>" in temporal_q
    assert "correct &mdash; same day" in temporal_q


@pytest.mark.slow
def test_no_answer_section_without_answers_and_no_panel_off_locomo(tmp_path):
    from harness.runner import RunConfig
    from harness.runner.engine import run_dataset

    db = tmp_path / "results.duckdb"
    config = RunConfig(model="baseline/oracle", limit=1, search_modes=["vector"], n_resamples=0)
    run_id = run_dataset(config, db=db)
    with open_results(db) as store:
        html = write_report(store, runs=[run_id], output=tmp_path / "r.html").path.read_text()
    assert 'id="answers"' not in html and "Published LoCoMo" not in html
