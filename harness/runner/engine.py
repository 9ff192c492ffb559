"""The replay engine: a dataset through the system under test, recorded in the results database.

:func:`arun` prepares everything that can fail on bad input before it records anything (dataset,
template, model, matcher: each error names what is wrong), creates the run row (status
``running``), then replays every (case, repeat) pair not yet recorded, concurrently up to
``config.concurrency``, each in its own store namespace of one LanceDB store that lives in a
temporary folder for the duration of the call. Each finished pair is committed on its own (see
:mod:`harness.runner._writer`), so a crash, Ctrl-C or SIGKILL loses at most the pairs in flight,
and ``resume`` replays only what is missing. At the end the aggregates are computed from the
database rows and stored, and the run is marked ``finished``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import _scratch as scratch
from harness._async import run_sync
from harness.data import load_dataset
from harness.errors import ConfigurationError, RunFailedError
from harness.memory.schemas import Memory
from harness.models.limits import CallLimit, call_limit
from harness.results.db import ResultsStore, open_results
from harness.results.migrations import utc_now
from harness.results.records import MetricRow, RunRecord
from harness.results.summary import latency_rows, metrics_json, summarise
from harness.runner import _environment as environment
from harness.runner._answer import Answering
from harness.runner._case import CaseEnv, Slots, pooled_namespace, waited_for_model
from harness.runner._extractors import Extractors, text_hash
from harness.runner._gold_state import applied_states
from harness.runner._writer import CaseWriter, WriterStats
from harness.runner.config import RunConfig, resolve_dataset_path
from harness.runner.executor import Executor, ExecutorOptions, make_executor
from harness.runner.pool import build_pool
from harness.runner.progress import NoProgress, Progress
from harness.scoring import get_matcher
from harness.templates import TemplateVariables, load_template

logger = logging.getLogger(__name__)
STORE_DRAIN_TIMEOUT_S = 30.0
"""How long removing a run's temporary store waits for its last background commit."""
CASES_PER_CALL_SLOT = 2
"""Cases replaying at once per model call allowed at once (``concurrency``): while one case
works between its calls (parsing, store writes), another's call keeps the slot busy."""


@dataclass
class RunResult:
    """How a call of :func:`arun` ended (the database holds everything else)."""

    run_id: str
    status: str
    metrics: dict[str, MetricRow]
    recorded: int  # case x repeat pairs recorded by this call
    errors: int  # of those, how many ended in an error
    bugs: int  # of those errors, how many were unexpected exceptions
    wall_s: float
    writer: WriterStats = field(default_factory=WriterStats)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """False when every case failed (status ``failed``): there is no result to read."""
        return self.status == "finished"


@dataclass
class _Prepared:
    config: RunConfig
    dataset: Any
    template: Any
    matcher: Any
    answering: Any = None


def new_run_id() -> str:
    """Sortable and unique: ``20250101-120000-1a2b3c``."""
    return f"{utc_now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def prepare(config: RunConfig) -> _Prepared:
    """Load and check the dataset, template and matcher (ConfigurationError/DatasetError)."""
    dataset = load_dataset(resolve_dataset_path(config.dataset)).select(
        split=config.split,
        tags=config.tags or None,
        ids=config.case_ids or None,
        limit=config.limit,
    )
    template = load_template(config.prompt)
    _check_instructions(template, dataset, config)
    matcher = get_matcher(
        config.matcher, threshold=config.matcher_threshold, model=config.judge_model
    )

    return _Prepared(config, dataset, template, matcher, Answering.build(config))


def _check_instructions(template: Any, dataset: Any, config: RunConfig) -> None:
    """A template that renders to nothing would fail every case: refuse it before the run."""
    kinds = dict.fromkeys(case.schema_ for case in dataset) or {"Memory": None}
    variables = TemplateVariables.for_schemas(
        tuple(dataset.schemas.model(kind) for kind in kinds),
        enable_inserts=config.enable_inserts,
        enable_updates=config.enable_updates,
        enable_deletes=config.enable_deletes,
        today=config.today,
    )
    if not template.render(variables).strip():
        raise ConfigurationError(
            f"template {template.name} renders to empty instructions: the memory system would "
            "get nothing to follow; give it some text"
        )


def _run_record(run_id: str, prepared: _Prepared, extractors: Extractors) -> RunRecord:
    """The run row; ``instructions_hash`` is that of the instructions for plain memories."""
    config, dataset, template = prepared.config, prepared.dataset, prepared.template
    instructions = extractors.instructions((Memory,))
    matcher = prepared.matcher
    return RunRecord(
        run_id=run_id,
        name=config.name,
        status="running",
        dataset_path=str(dataset.path),
        dataset_name=dataset.name,
        dataset_hash=dataset.content_hash,
        dataset_source_hash=dataset.source_hash,
        selection=dataset.selection,
        n_cases=len(dataset),
        repeats=config.repeats,
        model=extractors.model_name,
        template_name=template.name,
        template_hash=template.content_hash,
        template_text=template.source,
        instructions_hash=text_hash(instructions),
        matcher=matcher.name,
        matcher_threshold=matcher.threshold,
        state_mode=config.state,
        parameters=config.model_dump(mode="json"),
        components=_components(prepared, extractors),
        harness_version=environment.harness_version(),
        git_revision=environment.git_revision(),
        python_version=environment.python_version(),
        package_versions=environment.package_versions(),
        schema_version=0,
        started_at=utc_now(),
    )


def _components(prepared: _Prepared, extractors: Extractors) -> dict[str, Any]:
    config = prepared.config
    return {
        **extractors.describe(),
        "matcher": prepared.matcher.description,
        "retrieval": {"modes": list(config.search_modes), "top_k": config.top_k},
        "embedder": config.embedder or "default",
        "bootstrap": {"n_resamples": config.n_resamples, "seed": config.seed},
        **({"answering": prepared.answering.describe()} if prepared.answering else {}),
    }


def _check_resumable(run: RunRecord, prepared: _Prepared, where: str) -> None:
    dataset, template = prepared.dataset, prepared.template
    if dataset.content_hash != run.dataset_hash:
        raise ConfigurationError(
            f"cannot resume run {run.run_id} ({where}): the dataset {run.dataset_path} changed "
            f"since the run started (recorded hash {run.dataset_hash}, now "
            f"{dataset.content_hash}); start a new run instead"
        )
    if template.content_hash != run.template_hash:
        raise ConfigurationError(
            f"cannot resume run {run.run_id} ({where}): the template {run.template_name} changed "
            f"(recorded hash {run.template_hash}, now {template.content_hash})"
        )


def _open(db: str | Path | ResultsStore | None) -> tuple[ResultsStore, bool]:
    if isinstance(db, ResultsStore):
        return db, False
    return open_results(db), True


async def arun(
    config: RunConfig | None = None,
    *,
    db: str | Path | ResultsStore | None = None,
    resume: str | None = None,
    run_id: str | None = None,
    concurrency: int | None = None,
    progress: Progress | None = None,
    extractor: Any = None,
    executor: ExecutorOptions | None = None,
) -> RunResult:
    """Run ``config`` (or finish run ``resume``) and return how it ended.

    ``db`` is a path (default ``$HARNESS_DB`` or ``reports/harness.duckdb``) or an open
    :class:`ResultsStore`. ``run_id`` names a new run (default: :func:`new_run_id`). On resume
    the configuration comes from the database; only ``concurrency`` may be changed.
    ``extractor``: replay through your own memory system instead of one built from
    ``config.model``: a memory manager object (``invoke``/``ainvoke``, e.g. a configured
    :class:`~harness.memory.manager.MemoryManager`) or a function ``fn(session, memories)``
    (see :mod:`harness.systems.custom`); to resume such a run, pass the same object again.
    ``executor``: where the shards run (default: here; see :mod:`harness.runner.executor`);
    this process alone writes the database either way.
    """
    if extractor is not None and executor is not None and executor.kind != "local":
        raise ConfigurationError(
            f"a custom extractor object runs in this process only, not with the {executor.kind} "
            "executor: give a model string instead"
        )
    results, owned = _open(db)
    try:
        return await _arun(
            results,
            config,
            resume,
            run_id,
            concurrency,
            progress or NoProgress(),
            extractor,
            executor,
        )
    finally:
        if owned:
            results.close()


async def _arun(
    results: ResultsStore,
    config: RunConfig | None,
    resume: str | None,
    run_id: str | None,
    concurrency: int | None,
    progress: Progress,
    extractor: Any,
    executor: ExecutorOptions | None,
) -> RunResult:
    run: RunRecord | None = None
    if resume is not None:
        if config is not None:
            raise ConfigurationError("give a configuration or a run to resume, not both")
        run = results.find_run(resume)
        config = RunConfig.model_validate(run.parameters)
        if Path(run.dataset_path).is_file():  # the file it ran on, wherever we are now
            config = config.model_copy(update={"dataset": run.dataset_path})
    config = config or RunConfig()
    if concurrency is not None:
        config = config.model_copy(update={"concurrency": concurrency})
    prepared = await asyncio.to_thread(prepare, config)
    if run is not None:
        _check_resumable(run, prepared, results.where)
    if run is not None:
        run_id = run.run_id
    elif run_id is None:
        run_id = new_run_id()
    elif results.get_run(run_id) is not None:
        raise ConfigurationError(f"{results.where}: a run with id {run_id!r} exists already")
    # A killed process cannot remove its temporary store: the next run does (see scratch).
    await asyncio.to_thread(scratch.sweep, run.run_id if run is not None else None)
    folder = scratch.make_folder(run_id)
    store = None
    try:
        # Off the loop: an embedder of unknown dimension asks its model once, synchronously.
        store = await asyncio.to_thread(_private_store, folder, prepared.config)
        return await _execute(results, prepared, run, run_id, store, progress, extractor, executor)
    finally:
        await _remove_private_store(folder, store)


def _private_store(folder: Path, config: RunConfig) -> Any:
    from harness.memory.store import LanceStore  # LanceDB loads with the first store

    # Full-text matches ranked by each search's own items: a case's retrieval must not depend
    # on the other cases of the run, nor on when the table's index was last brought up to date.
    return LanceStore(
        folder / "lance",
        embedder=config.embedder,
        compact_every=10,
        exclusive=True,
        bm25_scope="search",
    )


async def _remove_private_store(folder: Path, store: Any) -> None:
    """Remove the run's temporary store once its background commits are over.

    On an interrupt the cases stop at once, but a commit already handed to LanceDB goes on
    writing into the folder; removed under it, the folder would be recreated and left behind.
    The wait is bounded, so a stuck commit cannot keep the process from exiting.
    """
    if store is not None and not await asyncio.to_thread(store.wait_idle, STORE_DRAIN_TIMEOUT_S):
        logger.warning(
            "the run's store was still committing after %s s; removing %s anyway",
            STORE_DRAIN_TIMEOUT_S,
            folder,
        )
    shutil.rmtree(folder, ignore_errors=True)


async def _execute(
    results: ResultsStore,
    prepared: _Prepared,
    run: RunRecord | None,
    run_id: str,
    store: Any,
    progress: Progress,
    extractor: Any,
    executor: ExecutorOptions | None,
) -> RunResult:
    config = prepared.config
    extractors = await asyncio.to_thread(Extractors, config, prepared.template, store, extractor)
    shards = make_executor(executor)  # a missing extra fails here, before anything is recorded
    if run is None:
        run = _run_record(run_id, prepared, extractors)
        run.schema_version = results.schema_version
        results.create_run(run)
    else:
        results.set_status(run_id, "running")
    local = executor is None or executor.kind == "local"
    env = await case_env(prepared, run_id, store, extractors, seed_pool=local)
    done = results.completed(run_id)
    todo = [
        (case, r)
        for case in prepared.dataset
        for r in range(config.repeats)
        if (case.id, r) not in done
    ]
    total = len(prepared.dataset) * config.repeats
    return await _replay_all(results, env, todo, total, len(done), progress, shards)


async def case_env(
    prepared: _Prepared, run_id: str, store: Any, extractors: Extractors, *, seed_pool: bool = True
) -> CaseEnv:
    """What every shard of the run shares; a pooled run's pool is written into ``store``
    (unless ``seed_pool`` is False: the shards run elsewhere, each seeds its own)."""
    env = CaseEnv(
        run_id=run_id,
        config=prepared.config,
        store=store,
        extractors=extractors,
        matcher=prepared.matcher,
        registry=prepared.dataset.schemas,
        case_hashes=prepared.dataset.case_hashes,
        split_of=prepared.dataset.split_of,
        answering=prepared.answering,
    )
    if prepared.config.pooled and seed_pool:
        env.pool = await _seed_pool(store, run_id, prepared.dataset)
    return env


async def _seed_pool(store: Any, run_id: str, cases: Any) -> Any:
    """Write the pooled run's shared pool once, before any case (re-written on resume)."""
    selected = list(cases)
    pool = build_pool(selected, {case.id: applied_states(case)[-1] for case in selected})
    await store.aput_many(pool.writes(pooled_namespace(run_id)))
    logger.info(
        "pooled retrieval: %d memories, at least %s distractors per case",
        len(pool),
        pool.min_distractors,
    )
    return pool


def set_slots(env: CaseEnv, concurrency: int) -> CallLimit:
    """Give ``env`` the stage slots of ``concurrency`` cases and return the limit on model
    calls in flight to open around them (every executor runs its shards this way)."""
    replaying = concurrency if env.extractors.baseline else CASES_PER_CALL_SLOT * concurrency
    env.slots = Slots(replay=replaying, evaluate=concurrency)
    return CallLimit(concurrency, on_wait=waited_for_model)


async def _replay_all(
    results: ResultsStore,
    env: CaseEnv,
    todo: list,
    total: int,
    already: int,
    progress: Progress,
    executor: Executor,
) -> RunResult:
    started = time.perf_counter()
    writer = CaseWriter(results, expected=len(todo))
    limit = set_slots(env, env.config.concurrency)
    outcome = _Tally()

    async def one(case: Any, repeat: int) -> None:
        record = await executor.run(case, repeat)
        await writer.write(record)  # the next case starts while this one is committed
        outcome.add(record)
        progress.case_done(
            error=record.status != "ok",
            input_tokens=record.input_tokens,
            output_tokens=record.output_tokens,
            cost=record.cost_usd,
        )

    progress.start(env.run_id, total, already)
    try:
        await executor.start(env)
        with call_limit(limit):
            tasks = [asyncio.ensure_future(one(case, repeat)) for case, repeat in todo]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    except asyncio.CancelledError:
        results.set_status(env.run_id, "interrupted")
        raise
    except Exception as exc:
        results.set_status(env.run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        progress.close()
        await executor.close()
    metrics, status = await asyncio.to_thread(_finish, results, env)
    if status == "failed":
        logger.warning("every case of run %s failed (status failed)", env.run_id)
    return RunResult(
        run_id=env.run_id,
        status=status,
        metrics=metrics,
        recorded=outcome.recorded,
        errors=outcome.errors,
        bugs=outcome.bugs,
        wall_s=time.perf_counter() - started,
        writer=writer.stats,
        timings=outcome.timings,
    )


@dataclass
class _Tally:
    recorded: int = 0
    errors: int = 0
    bugs: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def add(self, record: Any) -> None:
        self.recorded += 1
        if record.status != "ok":
            self.errors += 1
            self.bugs += int((record.error_type or "").startswith("bug:"))
        for name, seconds in record.timings.items():
            self.timings[name] = self.timings.get(name, 0.0) + seconds


def _finish(results: ResultsStore, env: CaseEnv) -> tuple[dict[str, MetricRow], str]:
    """Store the aggregates; a run in which every case errored ends ``failed``, not
    ``finished``, so no report, gate or matrix takes it for a result."""
    config = env.config
    records = results.case_results(env.run_id)
    rows = summarise(
        records,
        run_id=env.run_id,
        modes=config.search_modes,
        n_resamples=config.n_resamples,
        seed=config.seed,
    )
    if env.answering is not None:
        rows += latency_rows(results.answers(env.run_id), env.run_id)
    errors = sum(1 for r in records if r.status != "ok")
    summary = {
        "case_repeats": len(records),
        "errors": errors,
        "metrics": metrics_json(rows),
    }
    status, error = "finished", None
    if records and errors == len(records):
        first = records[0]
        status = "failed"
        error = f"every case failed ({errors} case x repeat); first: {first.case_id}: {first.error}"
    results.finish_run(env.run_id, rows, summary, status=status, error=error)
    return {row.metric: row for row in rows}, status


def run_dataset(
    config: RunConfig | None = None,
    *,
    db: str | Path | ResultsStore | None = None,
    progress: Progress | None = None,
    extractor: Any = None,
) -> str:
    """Run ``config`` and return the run id (sync twin of :func:`arun`).

    Raises :class:`~harness.errors.RunFailedError` when every case failed (no key set for a
    hosted model, say): the run is recorded with status ``failed``.
    """
    return _succeeded(run_sync(arun(config, db=db, progress=progress, extractor=extractor)))


def _succeeded(result: RunResult) -> str:
    if not result.ok:
        raise RunFailedError(
            f"every case of run {result.run_id} failed (status failed); the errors are in "
            "the table case_results",
            run_id=result.run_id,
        )
    return result.run_id


def resume_run(
    run_id: str,
    *,
    db: str | Path | ResultsStore | None = None,
    concurrency: int | None = None,
    progress: Progress | None = None,
) -> str:
    """Finish run ``run_id`` (id or name): replay only the missing case x repeat pairs.
    Raises :class:`~harness.errors.RunFailedError` like :func:`run_dataset`."""
    return _succeeded(
        run_sync(arun(db=db, resume=run_id, concurrency=concurrency, progress=progress))
    )
