"""GitHub-flavoured Markdown for comparisons and gate results (PR comments, job summaries).

Text that comes from data (case ids, op contents, reasons) is escaped: a ``|`` cannot break a
table and ``<``/``>`` cannot open HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.reports._format import answering_text, fmt, fmt_interval, fmt_p
from harness.reports._paired import IMPROVED, REGRESSED
from harness.scoring.stats import SMALL_SAMPLE_LEGEND, SMALL_SAMPLE_MARK

if TYPE_CHECKING:  # pragma: no cover
    from harness.reports._casedata import RunInfo
    from harness.reports.compare import Comparison
    from harness.reports.gate import GateResult

_VERDICT = {"pass": "✅ pass", "fail": "❌ fail", "skip": "⚪ skip"}
_CHANGE = {IMPROVED: "▲ better", REGRESSED: "▼ worse"}


def escape(text: object) -> str:
    """Safe inside a table cell: no pipes, no HTML, no line breaks but ``<br>``."""
    value = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = value.replace("|", "\\|").replace("`", "'")
    return "<br>".join(part.strip() for part in value.splitlines()) or " "


def code(text: object) -> str:
    """A code span safe inside a table cell: a ``|`` is escaped (GitHub splits cells on it even
    inside backticks) and a line break, which would end the table row, is shown as ``\\n``."""
    plain = str(text).replace("`", "'").replace("|", "\\|")
    plain = plain.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")
    return f"`{plain}`"


def table(header: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> list[str]:
    """``align`` has one letter per column: l, r or c. A header and delimiter row of different
    widths is no table to a Markdown parser, so a mismatch is a bug caught here."""
    if len(header) != len(align):
        raise ValueError(f"{len(header)} header cells but {len(align)} alignments: {header}")
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _cell(
    value: float | None, low: float | None, high: float | None, small: str | None = None
) -> str:
    if value is None:
        return "-"
    mark = f" {SMALL_SAMPLE_MARK}" if small else ""
    return fmt(value) + mark + (f" {fmt_interval(low, high)}" if low is not None else "")


def run_line(run: RunInfo) -> str:
    name = f" ({escape(run.name)})" if run.name else ""
    return (
        f"run {code(run.run_id)}{name} · model {code(run.model)} · template "
        f"{code(run.template_name)} ({code(run.template_hash[:8])}) · dataset "
        f"{code(run.dataset_name)} ({run.n_cases} cases, {run.state_mode} state)"
    )


def options_markdown(options: Mapping[str, Mapping[str, str]]) -> str:
    """The options compared runs differ in: ``enable_deletes`` A ``true``, B ``false``; ..."""
    return "; ".join(
        f"{code(name)} " + ", ".join(f"{key} {code(value)}" for key, value in values.items())
        for name, values in options.items()
    )


# --- compare --------------------------------------------------------------------------------


def comparison_markdown(comparison: Comparison, *, title: str = "Run comparison") -> str:
    lines = [f"## {title}", ""]
    if comparison.headline:
        lines += [f"**{escape(comparison.headline)}**", ""]
    lines += table(
        ["", "run", "model", "template", "dataset", "cases"],
        "lllllr",
        (
            [
                f"**{c.key}**",
                code(c.run.run_id) + (f" {escape(c.run.name)}" if c.run.name else ""),
                code(c.run.model),
                f"{code(c.run.template_name)} {code(c.run.template_hash[:8])}",
                f"{escape(c.run.dataset_name)} ({c.run.state_mode})"
                + (
                    f" · {escape(answering_text(c.run.answer_model, c.run.judge_model))}"
                    if c.run.answer_model
                    else ""
                ),
                str(c.n_cases),
            ]
            for c in comparison.runs
        ),
    )
    if comparison.options:
        lines += ["", f"**Options that differ:** {options_markdown(comparison.options)}"]
    level = round(comparison.confidence * 100)
    lines += ["", f"**Metrics** (value [{level}% bootstrap interval])", ""]
    lines += table(
        ["metric", *(c.key for c in comparison.runs)],
        "l" + "r" * len(comparison.runs),
        (
            [code(m), *(_cell(*_triple(c.metrics[m])) for c in comparison.runs)]
            for m in comparison.metrics
        ),
    )
    if comparison.pairs:
        lines += ["", *_pairs_markdown(comparison)]
    keys = [c.key for c in comparison.runs]
    for tags in comparison.tags:
        lines += ["", f"**{escape(tags.metric)} per tag**", ""]
        lines += table(
            ["tag", "cases", *(c.key for c in comparison.runs)],
            "lr" + "r" * len(comparison.runs),
            (
                [escape(r.tag), str(r.n_cases), *(_cell(*_triple(r.cells[k])) for k in keys)]
                for r in tags.rows
            ),
        )
    lines += _categories_markdown(comparison)
    if comparison.has_small_samples():
        lines += ["", f"> {escape(SMALL_SAMPLE_LEGEND)}"]
    if comparison.notes:
        lines += ["", *(f"> note: {escape(note)}" for note in comparison.notes)]
    return "\n".join(lines) + "\n"


def _diff_text(d: Any) -> str:
    if d.diff is None:
        return "-"
    mark = f" {_CHANGE.get(d.verdict, '')}" if d.significant else ""
    interval = fmt_interval(d.low, d.high, signed=True)
    return f"{fmt(d.diff, signed=True)} {interval} p {fmt_p(d.p)}{mark}"


def _categories_markdown(comparison: Comparison) -> list[str]:
    lines: list[str] = []
    keys = [c.key for c in comparison.runs]
    for block in comparison.categories:
        labels = list(block.rows[0].diffs) if block.rows else []
        lines += ["", f"**{escape(block.metric)} per question category** (paired differences "
                  "unadjusted)", ""]  # fmt: skip
        lines += table(
            ["category", "questions", *keys, *labels],
            "lr" + "r" * (len(keys) + len(labels)),
            (
                [
                    escape(r.category),
                    str(r.n_questions) + (f" {SMALL_SAMPLE_MARK}" if r.small else ""),
                    *(_cell(*_triple(r.cells[k])) for k in keys),
                    *(_diff_text(r.diffs[label]) for label in labels),
                ]
                for r in block.rows
            ),
        )
    return lines


def _triple(cell) -> tuple[float | None, float | None, float | None, str | None]:
    return cell.value, cell.low, cell.high, cell.small


def _pairs_markdown(comparison: Comparison) -> list[str]:
    p_name = "p (Holm)" if comparison.adjust == "holm" else "p"
    lines = [
        f"**Paired differences B - A** (significant when {p_name} < {comparison.alpha:g} and the "
        "interval excludes 0)",
        "",
    ]
    rows = []
    for pair in comparison.pairs:
        same = [d.metric for d in pair.diffs if d.identical]
        for d in pair.diffs:
            if d.diff is None or d.identical:
                continue
            rows.append(
                [
                    f"{pair.b} - {pair.a}" + (f" {SMALL_SAMPLE_MARK}" if pair.small else ""),
                    code(d.metric),
                    fmt(d.a),
                    fmt(d.b),
                    fmt(d.diff, signed=True),
                    fmt_interval(d.low, d.high, signed=True),
                    fmt_p(d.p),
                    _CHANGE.get(d.verdict, "") if d.significant else "",
                ]
            )
        if same:
            identical = "unchanged in every resample: " + ", ".join(code(m) for m in same)
            small = f" {SMALL_SAMPLE_MARK}" if pair.small else ""
            rows.append([f"{pair.b} - {pair.a}{small}", identical, *[""] * 6])
    lines += table(["pair", "metric", "A", "B", "B - A", "interval", p_name, ""], "llrrrrrl", rows)
    return lines


# --- gate -----------------------------------------------------------------------------------


def _check_row(check) -> list[str]:
    name = code(check.name)
    if check.kind == "regression":
        name += f" ({escape(check.threshold_text)})"
        candidate = fmt(check.value)
    else:
        candidate = _cell(check.value, check.low, check.high)
    change = "-"
    if check.diff is not None:
        interval = fmt_interval(check.low, check.high, signed=True)
        change = f"{fmt(check.diff, signed=True)} {interval}"
    return [
        name,
        fmt(check.baseline),
        candidate,
        change,
        fmt_p(check.p_value),
        _VERDICT[check.status],
        escape(check.message),
    ]


def gate_markdown(result: GateResult) -> str:
    """The PR-comment summary of a gate: verdict, checks, worst cases, notes."""
    icon = "✅" if result.passed else "❌"
    word = "passed" if result.passed else "failed"
    lines = [f"## {icon} Memory quality gate {word}", "", f"**{escape(result.summary)}**", ""]
    lines.append(f"- candidate: {run_line(result.candidate)}")
    if result.baseline is not None:
        source = escape(result.baseline_source or result.baseline.run_id)
        lines.append(f"- baseline: {run_line(result.baseline)}, from {source}")
        lines.append(f"- compared on {result.n_compared} shared cases")
    lines.append("")
    lines += table(
        ["check", "baseline", "candidate", "change [CI]", "p", "verdict", "why"],
        "lrrrrll",
        (_check_row(check) for check in result.checks),
    )
    if result.worst_cases:
        lines += ["", f"### {escape(result.worst_title)}", ""]
        lines += table(
            ["case", "tags", "baseline", "candidate", "what went wrong"],
            "llrrl",
            (
                [
                    code(w.case_id),
                    escape(", ".join(w.tags)) if w.tags else "-",
                    fmt(w.baseline),
                    fmt(w.candidate),
                    escape("\n".join(w.problems)) if w.problems else "-",
                ]
                for w in result.worst_cases
            ),
        )
    if result.notes:
        lines += ["", *(f"> note: {escape(note)}" for note in result.notes)]
    return "\n".join(lines) + "\n"
