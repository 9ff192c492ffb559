"""Replaying one case x repeat: seed the store, run each session through the store manager,
score the ops and the final state, run the retrieval queries, and build the case record.

Failure policy: a :class:`~harness.errors.HarnessError` (a model call that failed after its
retries, output still invalid after repair, a store or configuration fault met by this case) is
an expected failure: the case is recorded with status ``error``, its error class and message.
Any other exception is a bug: it is recorded the same way (error type prefixed ``bug:``) and
logged with its traceback, and the run goes on; the CLI exits non-zero when a run met a bug.
Cancellation (Ctrl-C) is never caught.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from harness.baselines.registry import oracle_context
from harness.data.models import Case
from harness.errors import HarnessError, ModelUnavailableError
from harness.memory.schemas import MemoryOperation
from harness.memory.store.base import BaseStore, Item
from harness.models.cache import repeat_index
from harness.models.types import CallRecord
from harness.models.usage import record_calls
from harness.results.migrations import utc_now
from harness.results.records import CaseRecord
from harness.runner._answer import answer_case
from harness.runner._extractors import Extractors, Timings, case_schemas, current_timings
from harness.runner._gold_state import GoldValue, applied_states
from harness.runner._queries import RowKey, SearchSpace, run_queries, space_sources
from harness.runner._rows import call_rows, call_totals, final_rows, op_rows, unknown_usage
from harness.runner.config import RunConfig
from harness.runner.pool import Pool
from harness.scoring.metrics import ascore_case

logger = logging.getLogger(__name__)

_LIST_LIMIT = 100_000


class Slots:
    """How many cases may be prepared, replay (talk to the model) and be evaluated at once.

    Three stages, so the work that never calls the extraction model (seeding the store before
    the first session; scoring and retrieval queries after the last) does not hold a replay
    slot. A prepared case keeps its preparation slot until it gets a replay slot, so at most
    ``replay`` cases wait ready. The model calls themselves are limited apart, run-wide (see
    :mod:`harness.models.limits`). ``None``: no limit.
    """

    def __init__(self, replay: int | None = None, evaluate: int | None = None) -> None:
        self.prepare = _semaphore(replay)
        self.replay = _semaphore(replay)
        self.evaluate = _semaphore(evaluate)


def _semaphore(limit: int | None) -> asyncio.Semaphore:
    return asyncio.Semaphore(limit or sys.maxsize)


@dataclass
class CaseEnv:
    """What every case of a run shares."""

    run_id: str
    config: RunConfig
    store: BaseStore
    extractors: Extractors
    matcher: Any
    registry: Any
    case_hashes: dict[str, str]
    split_of: Any
    slots: Slots = field(default_factory=Slots)
    answering: Any = None  # the answer stage (harness.runner._answer.Answering) or None
    pool: Pool | None = None
    """The shared pool of gold memories and distractors, when the run is pooled."""


@dataclass
class Replay:
    """What a replay produced; ``session_of_call[i]``: the session model call ``i`` served."""

    predicted: list[list[MemoryOperation]]
    final_items: list[Item]
    session_of_call: list[int | None]
    current: int | None = None

    def attribute(self, calls: Sequence[CallRecord], session: int | None) -> None:
        """Assign the calls made since the last attribution to ``session``."""
        self.session_of_call += [session] * (len(calls) - len(self.session_of_call))


def pooled_namespace(run_id: str) -> tuple[str, ...]:
    """The namespace holding a pooled run's shared pool (see :mod:`harness.runner.pool`)."""
    return ("pooled", run_id)


def namespaces(run_id: str, case_id: str, repeat: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The namespace the system writes, and the one holding the gold final state."""
    return ("run", run_id, case_id, f"r{repeat}"), ("gold", run_id, case_id, f"r{repeat}")


def _state_writes(
    namespace: tuple[str, ...], state: dict[str, GoldValue], present: Sequence[Item] = ()
) -> list[Any]:
    """The writes that make ``namespace`` hold exactly ``state`` (deleting the rest)."""
    writes: list[Any] = [
        (namespace, item.key, None)
        for item in present
        if item.namespace == namespace and item.key not in state
    ]
    return writes + [(namespace, key, value.value()) for key, value in state.items()]


async def _seed(env: CaseEnv, case: Case, repeat: int, states: list[dict[str, GoldValue]]) -> None:
    """One batch: the memories before the first session and, for queries, the gold final state."""
    run_ns, gold_ns = namespaces(env.run_id, case.id, repeat)
    writes = _state_writes(run_ns, states[0])
    if case.queries:
        writes += _state_writes(gold_ns, states[-1])
    if writes:
        await env.store.aput_many(writes)


async def _prepare(env: CaseEnv, case: Case, repeat: int) -> None:
    timings = current_timings.get()
    assert timings is not None
    started = time.perf_counter()
    await _seed(env, case, repeat, applied_states(case))
    timings.store_s += time.perf_counter() - started


async def _reset(store: BaseStore, namespace: tuple[str, ...], state: dict[str, GoldValue]) -> None:
    present = await store.asearch(namespace, limit=_LIST_LIMIT)
    writes = _state_writes(namespace, state, present)
    if writes:
        await store.aput_many(writes)


async def _replay(
    env: CaseEnv, case: Case, repeat: int, calls: list[CallRecord], replay: Replay
) -> None:
    timings = current_timings.get()
    assert timings is not None
    run_ns, _ = namespaces(env.run_id, case.id, repeat)
    states = applied_states(case)
    manager = env.extractors.store_manager(case_schemas(case, env.registry))
    configurable = {"run_id": env.run_id, "case_id": case.id, "repeat": f"r{repeat}"}
    oracle = env.extractors.replays_gold
    for s, session in enumerate(case.sessions):
        replay.current = s
        started = time.perf_counter()
        if s > 0 and env.config.state == "gold":
            await _reset(env.store, run_ns, states[s])
        timings.store_s += time.perf_counter() - started
        messages = [m.model_dump(exclude_none=True) for m in session.messages]
        started = time.perf_counter()
        with _oracle(case, s, env.registry) if oracle else contextlib.nullcontext():
            payload = {"messages": messages, **({"date": session.date} if session.date else {})}
            result = await manager.ainvoke(payload, {"configurable": configurable})
        timings.extract_s += time.perf_counter() - started
        replay.predicted.append(list(result.net_operations))
        replay.attribute(calls, s)
    replay.current = None
    started = time.perf_counter()
    items = await env.store.asearch(run_ns, limit=_LIST_LIMIT)
    replay.final_items = [item for item in items if item.namespace == run_ns]
    timings.store_s += time.perf_counter() - started


def _oracle(case: Case, session: int, registry: Any) -> Any:
    return oracle_context(case, session, schemas=registry.models())


async def _evaluate(env: CaseEnv, case: Case, repeat: int, replay: Replay) -> dict[str, Any]:
    timings = current_timings.get()
    assert timings is not None
    key = RowKey(env.run_id, case.id, repeat)
    final = {item.key: item.value.get("content") for item in replay.final_items}
    started = time.perf_counter()
    scored = await ascore_case(
        case, replay.predicted, final, env.matcher, state_mode=env.config.state
    )
    timings.scoring_s += time.perf_counter() - started
    rows: dict[str, Any] = {
        "counts": dict(scored.counts),
        "ops": op_rows(key, case, replay.predicted, scored),
        "final_state": final_rows(key, scored),
        "queries": [],
        "retrieval": {},
    }
    if case.queries:
        started = time.perf_counter()
        rows["queries"], rows["retrieval"] = await _retrieval(env, case, repeat, replay, scored)
        timings.retrieval_s += time.perf_counter() - started
    return rows


async def _retrieval(env: CaseEnv, case: Case, repeat: int, replay: Replay, scored: Any):
    run_ns, gold_ns = namespaces(env.run_id, case.id, repeat)
    gold_final = applied_states(case)[-1]  # written with the seed (see _seed)
    final_map = scored.final_map
    spaces = [
        SearchSpace(
            "end_to_end",
            run_ns,
            space_sources(replay.final_items),
            {predicted: gold for gold, predicted in final_map.items()},
            final_map,
        ),
        SearchSpace(
            "gold",
            gold_ns,
            {k: list(v.source) for k, v in gold_final.items()},
            {k: k for k in gold_final},
            None,
        ),
    ]
    if env.pool is not None:
        sources, relevant_map = env.pool.space_for(case.id)
        to_gold = {pooled: gold for gold, pooled in relevant_map.items()}
        spaces.append(
            SearchSpace("pooled", pooled_namespace(env.run_id), sources, to_gold, relevant_map)
        )
    key = RowKey(env.run_id, case.id, repeat)
    return await run_queries(
        env.store,
        case,
        spaces,
        modes=env.config.search_modes,
        top_k=env.config.top_k,
        key=key,
    )


async def _answers(env: CaseEnv, case: Case, repeat: int) -> tuple[list, dict[str, float]]:
    run_ns, _ = namespaces(env.run_id, case.id, repeat)
    key = RowKey(env.run_id, case.id, repeat)
    return await answer_case(env.answering, env.store, case, run_ns, key)


class _Clock:
    """A case's working time: from getting its first slot, minus waiting for the later ones.

    ``now``: the time source (a fake one in tests: real time under load proves nothing)."""

    def __init__(self, now: Callable[[], float] = time.perf_counter) -> None:
        self.now = now
        self.started: float | None = None
        self.waited = 0.0

    async def acquire(self, slots: asyncio.Semaphore) -> None:
        asked = self.now()
        await slots.acquire()
        if self.started is None:
            self.started = self.now()
        else:
            self.waited += self.now() - asked

    @contextlib.asynccontextmanager
    async def slot(self, slots: asyncio.Semaphore) -> Any:
        await self.acquire(slots)
        try:
            yield
        finally:
            slots.release()

    def elapsed(self) -> float:
        return 0.0 if self.started is None else self.now() - self.started - self.waited


_replay_clock: ContextVar[_Clock | None] = ContextVar("harness_replay_clock", default=None)


def waited_for_model(seconds: float) -> None:
    """A model call of the current case queued ``seconds`` for a call slot: while the case
    replays (one call at a time), that is waiting, not working time."""
    clock = _replay_clock.get()
    if clock is not None:
        clock.waited += seconds


async def run_case(env: CaseEnv, case: Case, repeat: int) -> CaseRecord:
    """Replay, score and record one case x repeat; failures become an ``error`` record."""
    timings = Timings()
    token = current_timings.set(timings)
    clock = _Clock()
    error: BaseException | None = None
    rows: dict[str, Any] = {}
    calls: list[CallRecord] = []
    replay = Replay([], [], [])
    try:
        with record_calls() as calls, repeat_index(repeat):
            try:
                async with clock.slot(env.slots.prepare):
                    await _prepare(env, case, repeat)
                    await clock.acquire(env.slots.replay)  # hand over: stay ready, not queued
                waiting = _replay_clock.set(clock)
                try:
                    await _replay(env, case, repeat, calls, replay)
                finally:
                    _replay_clock.reset(waiting)
                    env.slots.replay.release()
                replay.attribute(calls, None)
                async with clock.slot(env.slots.evaluate):
                    rows = await _evaluate(env, case, repeat, replay)
                if env.answering is not None:  # question slots of its own, see _answer
                    rows["answers"], rows["answer_counts"] = await _answers(env, case, repeat)
            except ModelUnavailableError:
                raise  # every case would fail the same way: the run stops (see the engine)
            except HarnessError as exc:
                error = exc
            except Exception as exc:
                logger.exception("case %r repeat %d: unexpected error", case.id, repeat)
                error = exc
    finally:
        current_timings.reset(token)
    replay.attribute(calls, replay.current)
    elapsed = clock.elapsed()
    return _record(env, case, repeat, rows, calls, replay.session_of_call, timings, elapsed, error)


def failed_record(env: CaseEnv, case: Case, repeat: int, error: BaseException) -> CaseRecord:
    """The record of a case x repeat that could not run at all (its worker kept dying)."""
    return _record(env, case, repeat, {}, [], [], Timings(), 0.0, error)


def _error_type(error: BaseException) -> str:
    name = type(error).__name__
    return name if isinstance(error, HarnessError) else f"bug:{name}"


def _record(
    env: CaseEnv,
    case: Case,
    repeat: int,
    rows: dict[str, Any],
    calls: Sequence[CallRecord],
    sessions: Sequence[int | None],
    timings: Timings,
    elapsed: float,
    error: BaseException | None,
) -> CaseRecord:
    key = RowKey(env.run_id, case.id, repeat)
    totals = call_totals(calls)
    if not env.extractors.usage_known:
        totals = unknown_usage(totals)
    ok = error is None
    return CaseRecord(
        run_id=env.run_id,
        case_id=case.id,
        repeat=repeat,
        split=env.split_of(case),
        tags=list(case.tags),
        case_hash=env.case_hashes.get(case.id, ""),
        status="ok" if ok else "error",
        error_type=None if ok else _error_type(error),  # type: ignore[arg-type]
        error=None if ok else (str(error) or type(error).__name__),
        n_sessions=len(case.sessions),
        latency_s=elapsed,
        input_tokens=totals.input_tokens,
        output_tokens=totals.output_tokens,
        cost_usd=totals.cost_usd,
        n_calls=totals.n_calls,
        retries=totals.retries,
        cached_calls=totals.cached_calls,
        counts=rows.get("counts") if ok else None,
        retrieval=rows.get("retrieval") if ok else None,
        timings=timings.as_dict(elapsed) | {"model_s": totals.model_s},
        finished_at=utc_now(),
        ops=rows.get("ops", []) if ok else [],
        final_state=rows.get("final_state", []) if ok else [],
        queries=rows.get("queries", []) if ok else [],
        calls=call_rows(key, calls, sessions),
        answer_counts=rows.get("answer_counts") if ok else None,
        answers=rows.get("answers", []) if ok else [],
    )
