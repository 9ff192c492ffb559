"""Testing your own memory manager: run a dataset through it and assert metric floors.

``memory_eval`` replays a dataset (file path) through *your* memory manager (any object with
``async ainvoke({"messages", "existing"})``, such as one built by
:func:`harness.create_memory_manager`) or through a model string with an instruction template,
using the harness's own runner and scorer, and returns a :class:`MemoryEval`. Its assertions
fail with a message that says which cases lost points and why, op by op::

    from harness.testing import memory_eval

    def test_memory_quality():
        result = memory_eval(my_manager, "datasets/core.jsonl", tags=["update"])
        result.assert_min(update_f1=0.8, micro_f1=0.7).assert_max(error_rate=0.0)

With pytest, the ``memory_eval`` fixture of :mod:`harness.pytest_plugin` does the same and can
record every evaluation in a results database (``--memory-eval-db``) for ``harness compare``.
Results go to a throw-away in-memory database unless ``db`` names one.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness._async import run_sync
from harness.reports._casedata import CaseData, case_data
from harness.reports._format import fmt, fmt_interval
from harness.reports._problems import problem_lines
from harness.results.db import ResultsStore, open_results
from harness.runner.config import RunConfig
from harness.scoring.catalogue import case_value, check_metrics
from harness.systems.registry import OWN_SYSTEM, PEER_SYSTEMS, is_import_spec

__all__ = ["CaseOutcome", "MemoryEval", "amemory_eval", "memory_eval"]


@dataclass(frozen=True)
class CaseOutcome:
    """One case of an evaluation: status, additive counts and what went wrong."""

    case_id: str
    tags: tuple[str, ...]
    status: str  # ok | error (any repeat)
    error: str | None
    counts: dict[str, float]
    problems: list[str] = field(default_factory=list)

    def value(self, metric: str) -> float | None:
        """The metric over this case alone (None where it has nothing to score)."""
        return case_value(metric, self.counts)


@dataclass(frozen=True)
class MetricValue:
    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass
class MemoryEval:
    """The outcome of :func:`memory_eval`: every metric with its interval, and every case."""

    run_id: str
    system: str
    dataset: str
    selection: dict[str, Any]
    metrics: dict[str, MetricValue]
    cases: list[CaseOutcome]
    max_cases_shown: int = 5

    def __getitem__(self, metric: str) -> float | None:
        check_metrics([metric], option="MemoryEval[...]")
        found = self.metrics.get(metric)
        return None if found is None else found.value

    def __repr__(self) -> str:
        return (
            f"MemoryEval(run_id={self.run_id!r}, system={self.system!r}, cases={len(self.cases)})"
        )

    @property
    def errors(self) -> list[CaseOutcome]:
        return [case for case in self.cases if case.status != "ok"]

    def failures(
        self,
        floors: Mapping[str, float] | None = None,
        ceilings: Mapping[str, float] | None = None,
    ) -> list[str]:
        """One line per bound not met (an undefined metric does not meet any bound)."""
        lines = []
        for bounds, below in ((floors or {}, True), (ceilings or {}, False)):
            check_metrics(bounds, option="assert_min" if below else "assert_max")
            for metric, bound in bounds.items():
                m = self.metrics.get(metric)
                if m is None:
                    lines.append(f"{metric} was not measured by this run (see search_modes)")
                    continue
                interval = fmt_interval(m.low, m.high)
                if m.value is None:
                    lines.append(f"{metric} is undefined: these cases have nothing it could score")
                elif (m.value < bound) if below else (m.value > bound):
                    sign = "<" if below else ">"
                    lines.append(f"{metric} = {fmt(m.value)} {interval} {sign} {bound:g}")
        return lines

    def worst_cases(
        self, metric: str, bound: float | None = None, *, low: bool = True
    ) -> list[CaseOutcome]:
        """Cases in error, then cases whose own value misses ``bound``, worst first."""
        check_metrics([metric], option="worst_cases")
        scored: list[tuple[float, CaseOutcome]] = []
        for case in self.cases:
            value = case.value(metric)
            if case.status != "ok":
                scored.append((-math.inf, case))
            elif value is not None:
                bar = (1.0 if low else 0.0) if bound is None else bound
                if (value < bar) if low else (value > bar):
                    scored.append((value if low else -value, case))
        return [case for _, case in sorted(scored, key=lambda item: (item[0], item[1].case_id))]

    def _message(self, lines: list[str], metric: str, bound: float, low: bool) -> str:
        scope = f"{self.dataset}" + (f" ({_selection(self.selection)})" if self.selection else "")
        head = [
            f"memory_eval of {self.system} on {scope}: {len(lines)} bound(s) not met "
            f"({len(self.cases)} cases, run {self.run_id})",
            *(f"  {line}" for line in lines),
        ]
        worst = self.worst_cases(metric, bound, low=low)
        if worst:
            head.append(
                f"cases that lost {metric} ({len(worst)} of {len(self.cases)}), worst first:"
            )
        for case in worst[: self.max_cases_shown]:
            tags = f" [{', '.join(case.tags)}]" if case.tags else ""
            head.append(f"  {case.case_id}{tags}: {metric} {fmt(case.value(metric))}")
            head.extend(f"    {problem}" for problem in case.problems or ["(no wrong op recorded)"])
        if len(worst) > self.max_cases_shown:
            head.append(f"  ... and {len(worst) - self.max_cases_shown} more (MemoryEval.cases)")
        return "\n".join(head)

    def assert_min(self, floors: Mapping[str, float] | None = None, /, **more: float) -> MemoryEval:
        """Raise AssertionError unless every metric is at least its floor; returns self.

        Metric names that are not identifiers go in the mapping:
        ``assert_min({"e2e_hybrid_recall@5": 0.9}, update_f1=0.8)``.
        """
        wanted = {**(floors or {}), **more}
        lines = self.failures(floors=wanted)
        if lines:
            metric = next(m for m in wanted if any(line.startswith(m + " ") for line in lines))
            raise AssertionError(self._message(lines, metric, wanted[metric], low=True))
        return self

    def assert_max(
        self, ceilings: Mapping[str, float] | None = None, /, **more: float
    ) -> MemoryEval:
        """Raise AssertionError unless every metric is at most its ceiling; returns self."""
        wanted = {**(ceilings or {}), **more}
        lines = self.failures(ceilings=wanted)
        if lines:
            metric = next(m for m in wanted if any(line.startswith(m + " ") for line in lines))
            raise AssertionError(self._message(lines, metric, wanted[metric], low=False))
        return self


def _selection(selection: Mapping[str, Any]) -> str:
    def shown(value: Any) -> str:
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)

    return "; ".join(f"{key} {shown(value)}" for key, value in selection.items())


def _outcomes(data: CaseData, records: Sequence[Any], ops: Sequence[Any]) -> list[CaseOutcome]:
    by_case: dict[str, list[Any]] = {}
    for record in records:
        by_case.setdefault(record.case_id, []).append(record)
    ops_by_case: dict[str, list[Any]] = {}
    for row in ops:
        ops_by_case.setdefault(row.case_id, []).append(row)
    out = []
    for case_id, recs in by_case.items():
        failed = [r for r in recs if r.status != "ok"]
        error = f"{failed[0].error_type}: {failed[0].error}" if failed else None
        out.append(
            CaseOutcome(
                case_id=case_id,
                tags=data.tags.get(case_id, ()),
                status="error" if failed else "ok",
                error=error,
                counts=data.rows[case_id],
                problems=problem_lines(recs, ops_by_case.get(case_id, [])),
            )
        )
    return out


def _label(system: Any, prompt: str) -> str:
    """How failure messages name the system: its own repr, else its class name."""
    if isinstance(system, str):
        return f"{system} (template {prompt})"
    if inspect.isfunction(system) or inspect.ismethod(system):
        return system.__qualname__
    own_repr: object = type(system).__repr__
    if own_repr is object.__repr__:
        return type(system).__name__
    return repr(system)[:100]


def load_eval(store: Any, run_id: str, system: str, dataset: str | None = None) -> MemoryEval:
    """A :class:`MemoryEval` of a recorded run (``dataset``: how to name the file)."""
    run = store.get_run(run_id)
    records = store.case_results(run_id)
    data = case_data(run, records)
    metrics = {
        name: MetricValue(row.value, row.ci_low, row.ci_high, row.n)
        for name, row in store.run_metrics(run_id).items()
    }
    return MemoryEval(
        run_id=run_id,
        system=system,
        dataset=dataset or run.dataset_path,
        selection=dict(run.selection or {}),
        metrics=metrics,
        cases=_outcomes(data, records, store.ops(run_id)),
    )


async def amemory_eval(
    system: Any,
    dataset: str | Path = "datasets/core.jsonl",
    *,
    prompt: str = "default",
    tags: Sequence[str] | None = None,
    split: str | None = None,
    case_ids: Sequence[str] | None = None,
    limit: int | None = None,
    db: Any = None,
    name: str | None = None,
    **options: Any,
) -> MemoryEval:
    """Replay ``dataset`` through ``system`` and score it (see :func:`memory_eval`)."""
    from harness.runner.engine import arun

    custom = not isinstance(system, str)
    chosen: dict[str, Any] = {"model": f"custom/{type(system).__name__}"} if custom else {}
    if isinstance(system, str):
        chosen = {"system": system} if _names_system(system) else {"model": system}
    config = RunConfig.model_validate(
        {
            **options,
            **chosen,
            "dataset": str(dataset),
            "prompt": prompt,
            "tags": list(tags or []),
            "split": split,
            "case_ids": list(case_ids or []),
            "limit": limit,
            "name": name,
        }
    )
    owned = not isinstance(db, ResultsStore)
    store = open_results(":memory:" if db is None else db) if owned else db
    try:
        result = await arun(config, db=store, extractor=system if custom else None)
        if not result.ok:  # no metric of such a run means anything: fail the test loudly
            from harness.errors import RunFailedError

            run = store.get_run(result.run_id)
            why = (run.error if run else None) or "every case failed"
            raise RunFailedError(
                f"memory_eval of {_label(system, prompt)}: {why}", run_id=result.run_id
            )
        return load_eval(store, result.run_id, _label(system, prompt), str(dataset))
    finally:
        if owned:
            store.close()


def _names_system(value: str) -> bool:
    """True when a string names a system (``module:attr``, ``langmem``...) rather than a model."""
    return value == OWN_SYSTEM or value in PEER_SYSTEMS or is_import_spec(value)


def memory_eval(
    system: Any,
    dataset: str | Path = "datasets/core.jsonl",
    *,
    prompt: str = "default",
    tags: Sequence[str] | None = None,
    split: str | None = None,
    case_ids: Sequence[str] | None = None,
    limit: int | None = None,
    db: Any = None,
    name: str | None = None,
    **options: Any,
) -> MemoryEval:
    """Replay ``dataset`` through ``system`` and return the scored :class:`MemoryEval`.

    ``system`` is your memory system (a memory manager object, or a function
    ``fn(session, memories)``: see :mod:`harness.systems.custom`), a system name (``"module:attr"``,
    ``"langmem"`` or ``"mem0"``, run on ``model=``), or a model string (``"openai/gpt-4o-mini"``,
    ``"baseline/heuristic"``) used with template ``prompt``. ``tags``/``split``/``case_ids``/
    ``limit`` select cases; ``options`` are any other run options (``state="gold"``,
    ``matcher="token_f1"``, ``repeats=3``, ``concurrency=4``, ``n_resamples=200``...). ``db`` (a
    path or an open results store) keeps the run for ``harness compare``.
    """
    return run_sync(
        amemory_eval(
            system,
            dataset,
            prompt=prompt,
            tags=tags,
            split=split,
            case_ids=case_ids,
            limit=limit,
            db=db,
            name=name,
            **options,
        )
    )
