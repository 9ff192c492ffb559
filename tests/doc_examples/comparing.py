"""docs/comparing.md: comparisons and reports over two finished runs of the baselines."""

from __future__ import annotations

from doc_examples import Example, Scripted, seed_results


def seed(ctx: Scripted) -> None:
    seed_results(ctx.cwd)


def compare_check(ns: dict, ctx: Scripted) -> None:
    [pair] = ns["comparison"].pairs
    micro = next(diff for diff in pair.diffs if diff.metric == "micro_f1")
    assert micro.diff > 0  # the oracle (B) beats the heuristic (A)
    assert micro.low <= micro.diff <= micro.high
    assert ns["comparison"].tags  # by_tag=True added the per-tag table


def report_check(ns: dict, ctx: Scripted) -> None:
    result = ns["result"]
    html = (ctx.cwd / "reports" / "report.html").read_text(encoding="utf-8")
    assert result.n_runs == 2 and result.n_bytes == len(html.encode("utf-8"))
    assert "main-run" in html and "candidate-run" in html


EXAMPLES = {
    "compare-api": Example(script=seed, check=compare_check),
    "report-api": Example(script=seed, check=report_check),
}
