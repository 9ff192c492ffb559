"""Re-judge a run's answers with another judge, without answering again.

:func:`arejudge` creates a new run linked to its parent (``runs.parent_run_id``): every case row,
op, final-state row, retrieval query and answer of the parent is copied, each answer is graded
again by the new judge under its protocol, and the answer metrics are recomputed. No memory is
extracted and no question is answered again, so the only model calls of the new run are judge
calls (its ``llm_calls`` rows, tokens and cost are those of judging alone); the answers and their
search and answer latencies are the parent's. This is how two judges are compared on the same
answers (``harness compare PARENT CHILD``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness._async import run_sync
from harness.data import load_dataset
from harness.errors import ConfigurationError, RunFailedError
from harness.models import ResponseCache, get_model
from harness.models.usage import record_calls
from harness.results.db import ResultsStore, open_results
from harness.results.migrations import utc_now
from harness.results.records import AnswerRow, CaseRecord, MetricRow, RunRecord
from harness.results.summary import latency_rows, metrics_json, summarise
from harness.runner import RunConfig
from harness.scoring.answer_metrics import answer_counts
from harness.scoring.judging import ajudge_answer, protocol_for

__all__ = ["arejudge", "rejudge_run"]

_DECLINE_GOLD = "The information is not available."


def _sources(run: RunRecord) -> dict[str, str | None]:
    """Case id -> dataset of origin, read from the parent's dataset file while it still exists."""
    path = Path(run.dataset_path)
    if not path.is_file():
        return {}

    return {case.id: case.metadata.get("source") for case in load_dataset(path)}


def _protocol(
    row: AnswerRow, sources: dict[str, str | None], override: str | None, run: RunRecord
) -> str:
    if override is not None or row.case_id in sources:
        return protocol_for(sources.get(row.case_id), override)
    if row.judge_protocol is not None:
        return row.judge_protocol
    raise ConfigurationError(
        f"cannot tell which judge protocol case {row.case_id!r} of run {run.run_id} needs: its "
        f"dataset {run.dataset_path} is gone and the run was not judged; give --judge-protocol"
    )


def _new_run(
    parent: RunRecord, run_id: str, judge_model: str, protocol: str | None, name: str | None
) -> RunRecord:
    parameters = {**parent.parameters, "judge_model": judge_model, "judge_protocol": protocol}
    components = dict(parent.components)
    if "answering" in components:
        components["answering"] = {
            **components["answering"],
            "judge_model": judge_model,
            "judge_protocol": protocol or "by dataset origin",
        }
    return dataclasses.replace(
        parent,
        run_id=run_id,
        name=name,
        status="running",
        parameters=parameters,
        components=components,
        started_at=utc_now(),
        finished_at=None,
        error=None,
        metrics=None,
        parent_run_id=parent.run_id,
    )


async def _judge_row(
    row: AnswerRow, judge: Any, judge_model: str, protocol: str, slots: asyncio.Semaphore
) -> AnswerRow:
    """The row re-graded; an answer the parent never got stays unjudged."""
    fresh = dataclasses.replace(
        row,
        judge_model=None,
        judge_protocol=None,
        verdict=None,
        judge_reason=None,
        judge_error=None,
    )
    if row.answer is None:
        return fresh
    async with slots:
        verdict = await ajudge_answer(
            judge,
            row.question,
            row.gold_answer if row.gold_answer is not None else _DECLINE_GOLD,
            row.answer,
            protocol=protocol,
            type=row.category,
            abstention=row.kind != "answer",
            question_date=row.question_date,
        )
    fresh.judge_model, fresh.judge_protocol = judge_model, protocol
    fresh.verdict, fresh.judge_reason, fresh.judge_error = (
        verdict.label,
        verdict.reason,
        verdict.error,
    )
    return fresh


def _group(rows: Sequence[Any]) -> dict[tuple[str, int], list[Any]]:
    groups: dict[tuple[str, int], list[Any]] = {}
    for row in rows:
        groups.setdefault((row.case_id, row.repeat), []).append(row)
    return groups


def _moved(rows: Sequence[Any], run_id: str) -> list[Any]:
    return [dataclasses.replace(row, run_id=run_id) for row in rows]


class _Children:
    """The parent's child rows, by (case id, repeat)."""

    def __init__(self, results: ResultsStore, run_id: str) -> None:
        self.ops = _group(results.ops(run_id))
        self.final_state = _group(results.final_state(run_id))
        self.queries = _group(results.queries(run_id))
        self.answers = _group(results.answers(run_id))


async def _case(
    record: CaseRecord, children: _Children, judging: dict[str, Any], run_id: str
) -> CaseRecord:
    from harness.runner._answer import _result
    from harness.runner._queries import RowKey
    from harness.runner._rows import call_rows, call_totals

    key = (record.case_id, record.repeat)
    started = time.perf_counter()
    with record_calls() as calls:
        answers = await asyncio.gather(
            *(
                _judge_row(
                    row,
                    judging["model"],
                    judging["name"],
                    judging["protocol"](row),
                    judging["slots"],
                )
                for row in children.answers.get(key, [])
            )
        )
    answers = _moved(answers, run_id)
    totals = call_totals(calls)
    elapsed = time.perf_counter() - started
    ok = record.status == "ok"
    return dataclasses.replace(
        record,
        run_id=run_id,
        latency_s=elapsed,
        input_tokens=totals.input_tokens,
        output_tokens=totals.output_tokens,
        cost_usd=totals.cost_usd,
        n_calls=totals.n_calls,
        retries=totals.retries,
        cached_calls=totals.cached_calls,
        timings={"judge_s": elapsed, "model_s": totals.model_s},
        finished_at=utc_now(),
        ops=_moved(children.ops.get(key, []), run_id),
        final_state=_moved(children.final_state.get(key, []), run_id),
        queries=_moved(children.queries.get(key, []), run_id),
        calls=call_rows(RowKey(run_id, *key), calls, [None] * len(calls)),
        answer_counts=answer_counts(_result(a) for a in answers) if ok and answers else None,
        answers=answers,
    )


def _finish(results: ResultsStore, run_id: str, config: Any) -> dict[str, MetricRow]:
    records = results.case_results(run_id)
    rows = summarise(
        records,
        run_id=run_id,
        modes=config.search_modes,
        n_resamples=config.n_resamples,
        seed=config.seed,
    )
    rows += latency_rows(results.answers(run_id), run_id)
    summary = {
        "case_repeats": len(records),
        "errors": sum(1 for r in records if r.status != "ok"),
        "metrics": metrics_json(rows),
    }
    answers = [a for a in results.answers(run_id) if a.answer is not None]
    failed = [a for a in answers if a.judge_error]
    if answers and len(failed) == len(answers):
        error = (
            f"every judge call failed ({len(failed)} answers); first: {failed[0].question}: "
            f"{failed[0].judge_error}"
        )
        results.finish_run(run_id, rows, summary, status="failed", error=error)
        raise RunFailedError(f"run {run_id} failed: {error}", run_id=run_id)
    results.finish_run(run_id, rows, summary)
    return {row.metric: row for row in rows}


async def arejudge(
    parent_ref: str,
    *,
    judge_model: str,
    judge_protocol: str | None = None,
    db: str | Path | ResultsStore | None = None,
    name: str | None = None,
    run_id: str | None = None,
    concurrency: int | None = None,
) -> tuple[str, dict[str, MetricRow]]:
    """Judge the answers of run ``parent_ref`` (id or name) again; (new run id, its metrics).

    ConfigurationError when the run does not exist, has no answers or is still running;
    RunFailedError (the new run recorded ``failed``) when every judge call failed.
    """
    results = db if isinstance(db, ResultsStore) else open_results(db)
    try:
        return await _arejudge(
            results, parent_ref, judge_model, judge_protocol, name, run_id, concurrency
        )
    finally:
        if not isinstance(db, ResultsStore):
            results.close()


def _check_parent(results: ResultsStore, parent: RunRecord) -> None:
    if parent.status == "running":
        raise ConfigurationError(
            f"run {parent.run_id} is still running (or was killed): finish it with "
            f"harness run --resume {parent.run_id} before re-judging it"
        )
    if not results.answers(parent.run_id):
        raise ConfigurationError(
            f"run {parent.run_id} has no answers to re-judge (it ran without --answer-model)"
        )


async def _arejudge(
    results: ResultsStore,
    parent_ref: str,
    judge_model: str,
    judge_protocol: str | None,
    name: str | None,
    run_id: str | None,
    concurrency: int | None,
) -> tuple[str, dict[str, MetricRow]]:
    from harness.runner.engine import new_run_id

    parent = results.find_run(parent_ref)
    _check_parent(results, parent)
    if judge_protocol is not None:
        protocol_for(None, judge_protocol)  # an unknown protocol fails before any work
    config = RunConfig.model_validate(
        {**parent.parameters, "judge_model": judge_model, "judge_protocol": judge_protocol}
    )
    sources = await asyncio.to_thread(_sources, parent)
    run_id = run_id or new_run_id()
    judging: dict[str, Any] = {
        "model": get_model(judge_model, cache=ResponseCache(mode=config.cache)),
        "name": judge_model,
        "protocol": lambda row: _protocol(row, sources, judge_protocol, parent),
        "slots": asyncio.Semaphore(concurrency or config.concurrency),
    }
    children = _Children(results, parent.run_id)
    records = results.case_results(parent.run_id)
    for row in (r for rows in children.answers.values() for r in rows):
        judging["protocol"](row)  # a protocol that cannot be told fails before any call
    results.create_run(_new_run(parent, run_id, judge_model, judge_protocol, name))
    try:
        copied = await asyncio.gather(*(_case(r, children, judging, run_id) for r in records))
        results.write_cases(copied)
    except BaseException as exc:
        results.set_status(run_id, "failed", error=str(exc) or type(exc).__name__)
        raise
    return run_id, _finish(results, run_id, config)


def rejudge_run(parent_ref: str, *, judge_model: str, **options: Any) -> str:
    """Sync twin of :func:`arejudge`; returns the new run id."""
    return run_sync(arejudge(parent_ref, judge_model=judge_model, **options))[0]
