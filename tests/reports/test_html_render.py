"""The rendered page: escaping of untrusted text, self-containment, content, and the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from report_cases import INJECTION, hand_made_db

from harness.reports._charts import Series, bar_chart, heatmap, score_color
from harness.reports.html import ReportOptions, write_report
from harness.results import open_results

HOSTILE_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    db, _ = hand_made_db(folder)
    with open_results(db) as store:
        store.connection.execute("UPDATE runs SET name = ? WHERE run_id = 'run-b'", [HOSTILE_NAME])
    return db, folder


@pytest.fixture(scope="module")
def page(hand):
    db, folder = hand
    result = write_report(db, output=folder / "out" / "report.html")
    return result, result.path.read_text(encoding="utf-8")


def test_untrusted_text_is_escaped_everywhere(page):
    _, html = page
    # Exactly one script element: the page's own (at the end of the body).
    assert html.count("<script") == 1
    assert "window.__pwned" in html  # the text is there...
    assert INJECTION not in html  # ...but never as markup
    assert "&lt;script&gt;window.__pwned" in html
    assert HOSTILE_NAME not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_page_needs_no_network(page):
    _, html = page
    assert re.findall(r"https?://[^\s\"'<>]+", html) == ["http://www.w3.org/2000/svg"] * html.count(
        'xmlns="http://www.w3.org/2000/svg"'
    )
    for needle in ("<link", "url(", "@import", "<iframe", "<img"):
        assert needle not in html, needle
    assert re.search(r"<[^>]+\s(src|href)=\"(?!#)", html) is None  # only in-page anchors
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', html).group(1)
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "default-src 'none'" in csp
    assert f'<script nonce="{nonce}">' in html and f'<style nonce="{nonce}">' in html


def test_every_section_is_there(page):
    result, html = page
    assert (result.n_runs, result.n_cases) == (2, 4)
    assert result.n_bytes == len(html.encode("utf-8"))
    for anchor in ("leaderboard", "intervals", "tags", "confusion", "usage", "cases"):
        assert f'<section id="{anchor}">' in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 5
    assert "No model tokens were used" not in html  # the hand-made cases used tokens
    # Leaderboard: A's micro F1 (4/6) is the best of the column; B's 0.000 is not.
    assert re.search(
        r'class="num metric best" data-value="0\.666[0-9]*">\s*<span class="v">0\.667', html
    )
    # Confusion: B's duplicate insert instead of an update is in the gold update row.
    assert "duplicate instead of update" in html
    # Drill-down: the error of forget-001 in run B and the reason of a wrong update.
    assert "ModelError: rate limited" in html
    assert "&#39;m1&#39; was updated with the wrong content" in html
    assert 'data-failing="A B "' in html  # corr-001 fails in both runs


def test_the_drilldown_cap_and_modes_are_stated(hand):
    db, folder = hand
    capped = write_report(db, output=folder / "capped.html", options=ReportOptions(max_cases=1))
    html = capped.path.read_text()
    assert capped.n_cases == 1
    assert "Showing 1 of 4" in html and "--max-cases" in html
    none = write_report(db, output=folder / "none.html", options=ReportOptions(cases="none"))
    assert none.n_cases == 0 and "drill-down was left out" in none.path.read_text()


def test_default_case_cap_shrinks_with_more_runs():
    options = ReportOptions()
    assert [options.case_cap(n) for n in (1, 6, 7, 20, 100)] == [100, 100, 85, 30, 10]
    assert ReportOptions(max_cases=5).case_cap(20) == 5
    with pytest.raises(ValueError, match="extra"):
        ReportOptions(max_case=5)


def test_charts_escape_labels_and_handle_missing_values():
    series = [Series("A", "<b>run</b>", 0), Series("B", "plain", 1)]
    svg = heatmap(series, ["<tag>"], lambda s, t: (None, f"{s.label} {t}"), fmt=str, title="t")
    assert "<b>" not in svg and "&lt;b&gt;run&lt;/b&gt;" in svg and "&lt;tag&gt;" in svg
    bars = bar_chart(series, [("cost", [None, 2.0])], title="Cost", fmt=lambda v: f"{v:g}")
    assert "n/a" in bars and ">2<" in bars
    assert score_color(0.0) == "#d73027" and score_color(1.0) == "#1a9850"
    assert score_color(0.5) == "#fee08b" and score_color(None) == "#eeeeee"


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from harness.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_cli_writes_the_report_and_reports_errors(hand, tmp_path):
    db, _ = hand
    out = tmp_path / "cli" / "r.html"
    done = _harness("report", "--db", str(db), "--runs", "run-b,run-a", "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["path"] == str(out) and payload["runs"] == 2 and payload["cases"] == 4
    html = out.read_text()
    assert html.index("&lt;img src=x") < html.index("scripted/m / default")  # B listed first

    missing = _harness("report", "--db", str(db), "--runs", "nope", "-o", str(tmp_path / "x.html"))
    assert missing.returncode == 2
    assert "no run with id or name 'nope'" in missing.stderr
    assert not (tmp_path / "x.html").exists()
    absent = _harness("report", "--db", str(tmp_path / "absent.duckdb"))
    assert absent.returncode == 2 and "does not exist" in absent.stderr


def test_small_samples_are_flagged_in_the_leaderboard(page):
    _, html = page
    # the hand-made runs have 4 cases: every leaderboard figure stands on fewer than 20
    assert 'class="small-sample" title="small sample: 4 cases (fewer than 20)"' in html
    assert "&dagger; a small sample" in html


def test_a_cell_is_small_below_20_cases_or_questions_or_10_clusters():
    from harness.reports._report_data import Cell

    assert Cell(0.5, n=19).small == "19 cases (fewer than 20)"
    assert Cell(0.5, n=20).small is None
    assert Cell(None, n=3).small is None  # no figure, no flag
    # a per-category answer figure: 50 questions from 9 conversations
    assert Cell(0.5, n=9, questions=50).small == "interval from 9 cases (fewer than 10)"
    assert Cell(0.5, n=10, questions=19).small == "19 questions (fewer than 20)"
    assert Cell(0.5, n=10, questions=20).small is None
