"""``harness report``: one self-contained HTML file built from the results database.

The page holds everything it needs (inline CSS, a little vanilla JavaScript, charts as inline
SVG) and loads nothing from the network, so it can be mailed, attached to a CI job or opened
offline. Conversation text, memories, run names and tags are untrusted: the Jinja2 environment
escapes every value, and the SVG helpers escape every label::

    from harness.reports.html import write_report

    result = write_report("reports/harness.duckdb", latest=6, output="reports/report.html")
    print(result.path, result.n_runs, result.n_cases)
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness._files import check_writable
from harness.errors import ConfigurationError
from harness.reports._report_answers import load_answers
from harness.reports._report_cases import load_drilldown
from harness.reports._report_data import load_report_data, select_runs
from harness.reports._report_view import FILTERS, build_context
from harness.results.db import ResultsStore, open_results
from harness.results.records import RunRecord

__all__ = ["DEFAULT_OUTPUT", "ReportOptions", "ReportResult", "render_report", "write_report"]

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT = Path("reports") / "report.html"
MAX_CASES = 100
CASE_BUDGET = 600
"""Run x case blocks the default drill-down cap aims at (about 4 kB each)."""
MIN_AUTO_CASES = 10


class ReportOptions(BaseModel):
    """What the report includes.

    ``cases`` picks the drill-down: ``failing`` (cases failing in at least one run, those failing
    in the most runs first), ``all``, or ``none``; at most ``max_cases`` cases are shown and the
    page says how many were left out. By default the cap shrinks as runs are added (each case
    shows every run it failed in), so the page stays a few megabytes: see :meth:`case_cap`.
    """

    model_config = ConfigDict(extra="forbid")

    title: str = "Memory harness report"
    cases: Literal["failing", "all", "none"] = "failing"
    max_cases: int | None = Field(default=None, ge=0)

    def case_cap(self, n_runs: int) -> int:
        """``max_cases`` if set, else 100 for up to 6 runs, then ``600 // runs`` (at least 10)."""
        if self.max_cases is not None:
            return self.max_cases
        return min(MAX_CASES, max(MIN_AUTO_CASES, CASE_BUDGET // max(n_runs, 1)))


@dataclass(frozen=True)
class ReportResult:
    path: Path
    n_runs: int
    n_cases: int  # cases in the drill-down
    n_bytes: int
    seconds: float


def write_report(
    db: Any = None,
    *,
    runs: Sequence[str] = (),
    latest: int | None = None,
    output: str | Path = DEFAULT_OUTPUT,
    options: ReportOptions | None = None,
) -> ReportResult:
    """Write the report of ``runs`` (ids or names) or the ``latest`` N finished runs to ``output``.

    ``db`` is a path (default ``$HARNESS_DB`` or ``reports/harness.duckdb``) or an open
    :class:`~harness.results.db.ResultsStore`. With neither ``runs`` nor ``latest``, every finished
    run up to the 20 newest is shown. The file is written whole (to a temporary name, then
    renamed), so a failed render never leaves half a page behind.
    """
    started = time.perf_counter()
    options = options or ReportOptions()
    target = check_writable(output, "report")  # before the work of rendering it
    if isinstance(db, ResultsStore):
        html, n_runs, n_cases = _render_from(db, runs, latest, options)
    else:
        with open_results(db, read_only=True) as store:
            html, n_runs, n_cases = _render_from(store, runs, latest, options)
    partial = target.with_name(target.name + ".partial")
    data = html.encode("utf-8")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise ConfigurationError(f"cannot write report {target}: {error.strerror}") from None
    seconds = time.perf_counter() - started
    logger.info("report of %d runs written to %s in %.2f s", n_runs, target, seconds)
    return ReportResult(target, n_runs, n_cases, len(data), seconds)


def _render_from(
    store: Any, refs: Sequence[str], latest: int | None, options: ReportOptions
) -> tuple[str, int, int]:
    runs = select_runs(store, refs, latest=latest)
    html, n_cases = render_report(store, runs, options, source=store.where)
    return html, len(runs), n_cases


def render_report(
    store: Any,
    runs: Sequence[RunRecord],
    options: ReportOptions | None = None,
    *,
    source: str = "",
) -> tuple[str, int]:
    """The report page for ``runs`` (in that order) and the number of drill-down cases."""
    options = options or ReportOptions()
    data = load_report_data(store, runs)
    cap = options.case_cap(len(runs))
    drilldown = load_drilldown(store, data.runs, mode=options.cases, max_cases=cap)
    context = build_context(data, drilldown, title=options.title, source=source)
    context["answers"] = load_answers(store, data.runs)
    context["generated_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    context["nonce"] = secrets.token_urlsafe(18)
    return _environment().get_template("report.html.j2").render(context), len(drilldown.cases)


@functools.cache
def _environment() -> Any:
    """Jinja2 with autoescaping on for every template, whatever its extension (built once)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("harness.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env
