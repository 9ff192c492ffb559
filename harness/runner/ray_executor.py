"""The Ray executor: a run's (case, repeat) shards as tasks on the workers of a Ray cluster.

Each worker is an async Ray actor. It prepares the run once (dataset, template and matcher, each
checked against the driver's content hash, so every node replays the same thing), replays into
a LanceDB directory of its own and reads/writes the response cache (``HARNESS_CACHE_DIR``: a
shared folder on a cluster). Per shard the driver sends a case id and a repeat index and gets
the case record back, with its model calls; the driver alone writes DuckDB, so a case is
committed whole or not at all and ``--resume`` works as locally.

Faults: when a worker's process dies, Ray restarts the actor and runs its shards again (a shard
returns its record only once it is complete, so nothing is recorded twice); a shard whose worker
dies :data:`TASK_RETRIES` + 1 times is recorded as that case's error. A shard that fails for a
reason of its own is recorded by the worker exactly as the local executor records it.

Rate limits: one bucket actor per limited model (named, so concurrent runs of one driver share
it), asked by every worker before each request (:mod:`harness.models.ratelimit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness import _scratch as scratch
from harness.data.models import Case
from harness.errors import ConfigurationError, HarnessError, ModelUnavailableError
from harness.models.limits import call_limit
from harness.models.ratelimit import (
    Grant,
    RateLimit,
    RemoteBuckets,
    TokenBucket,
    limit_for,
    limiting,
)
from harness.models.types import CallRecord
from harness.models.usage import emit, record_calls
from harness.results.records import CaseRecord
from harness.runner._case import CaseEnv, failed_record, run_case
from harness.runner.config import RunConfig
from harness.runner.executor import ExecutorOptions

logger = logging.getLogger(__name__)

TASK_RETRIES = 3
"""Times a shard is run again after its worker's process died."""
NAMESPACE = "memory-harness"
"""The Ray namespace of the rate-limit buckets."""
FORWARDED_ENV = ("HARNESS_", "LITELLM_", "ORT_", "HF_HUB_OFFLINE")
"""Driver environment variables handed to the workers (never credentials: set those on the
nodes)."""
STORE_DRAIN_TIMEOUT_S = 30.0


def ray_module() -> Any:
    """``ray``, or a clear error naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise ConfigurationError(
            "--executor ray needs the ray extra: pip install 'memory-harness[ray]'"
        ) from None
    return ray


def connect(address: str | None) -> Any:
    """Join the cluster at ``address`` or start a local Ray (once per process)."""
    ray = ray_module()
    if not ray.is_initialized():
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
        if address is None:
            options["include_dashboard"] = False
        try:
            ray.init(address=address, **options)
        except ConnectionError as error:
            raise ConfigurationError(f"--ray-address {address}: {error}") from None
    return ray


def inputs_digest(case_hashes: dict[str, str]) -> str:
    """One hash over the selected cases' content hashes, to check a worker loaded the same."""
    text = "\n".join(f"{k}\t{v}" for k, v in sorted(case_hashes.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def worker_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV)}


@dataclass
class RunSpec:
    """What a worker needs to replay shards of one run (put in Ray's object store once per run,
    so a shard carries only a reference to it, a case id and a repeat index)."""

    run_id: str
    config: dict[str, Any]
    hashes: tuple[str, str]
    concurrency: int
    buckets: dict[str, Any]


@dataclass
class _WorkerRun:
    env: CaseEnv
    cases: dict[str, Case]
    folder: Path
    limiter: RemoteBuckets | None
    calls: Any  # the worker's limit on model calls in flight (its share of the concurrency)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)


class ShardWorker:
    """One Ray worker (an async actor): each run prepared once, its shards replayed concurrently.

    A worker outlives a run, so a matrix or an optimization (many runs) starts its processes
    once; each run gets its own store folder, removed by :meth:`finish`.
    """

    def __init__(self) -> None:
        self.runs: dict[str, _WorkerRun] = {}
        self._lock = asyncio.Lock()

    def pid(self) -> int:
        return os.getpid()

    async def open(self, spec: RunSpec) -> _WorkerRun:
        """Prepare ``spec``'s run here once (ConfigurationError when this node sees other
        inputs than the driver)."""
        async with self._lock:
            if spec.run_id not in self.runs:
                self.runs[spec.run_id] = await self._prepare(spec)
        return self.runs[spec.run_id]

    async def ready(self, spec: RunSpec) -> int:
        await self.open(spec)
        return os.getpid()

    async def _prepare(self, spec: RunSpec) -> _WorkerRun:
        from harness.runner._extractors import Extractors
        from harness.runner.engine import (
            _private_store,
            case_env,
            prepare,
            set_slots,
        )

        config = RunConfig.model_validate(spec.config)
        prepared = await asyncio.to_thread(prepare, config)
        seen = (inputs_digest(prepared.dataset.case_hashes), prepared.template.content_hash)
        if seen != spec.hashes:
            raise ConfigurationError(
                f"Ray worker on {os.uname().nodename}: the dataset {config.dataset} or the "
                f"template {config.prompt} differs from the driver's (hashes {seen} vs "
                f"{spec.hashes}); give every node the same files"
            )
        # A killed worker cannot remove its store; the next worker preparing a run here does.
        await asyncio.to_thread(scratch.sweep)
        folder = scratch.make_folder(spec.run_id, worker=True)
        store = await asyncio.to_thread(_private_store, folder, config)
        extractors = await asyncio.to_thread(Extractors, config, prepared.template, store)
        env = await case_env(prepared, spec.run_id, store, extractors)
        calls = set_slots(env, spec.concurrency)
        limiter = (
            RemoteBuckets(
                {m: b.reserve.remote for m, b in spec.buckets.items()},
                {m: b.settle.remote for m, b in spec.buckets.items()},
            )
            if spec.buckets
            else None
        )
        cases = {case.id: case for case in prepared.dataset}
        return _WorkerRun(env, cases, folder, limiter, calls)

    async def run(
        self, spec: RunSpec, case_id: str, repeat: int
    ) -> tuple[CaseRecord, list[CallRecord]]:
        run = await self.open(spec)
        task = asyncio.ensure_future(self._run(run, case_id, repeat))
        run.tasks.add(task)
        try:
            return await task
        finally:
            run.tasks.discard(task)

    async def _run(
        self, run: _WorkerRun, case_id: str, repeat: int
    ) -> tuple[CaseRecord, list[CallRecord]]:
        with record_calls() as calls, limiting(run.limiter), call_limit(run.calls):
            record = await run_case(run.env, run.cases[case_id], repeat)
        return record, calls

    async def finish(self, run_id: str) -> None:
        """Stop the run's shards in flight, then remove its store once its commits are over."""
        run = self.runs.pop(run_id, None)
        if run is None:
            return
        for task in list(run.tasks):
            task.cancel()
        await asyncio.gather(*run.tasks, return_exceptions=True)
        wait_idle = getattr(run.env.store, "wait_idle", None)
        if wait_idle is not None:
            await asyncio.to_thread(wait_idle, STORE_DRAIN_TIMEOUT_S)
        shutil.rmtree(run.folder, ignore_errors=True)


class BucketActor:
    """One model's token bucket, shared by every worker of the cluster."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] | None = None) -> None:
        self.bucket = TokenBucket(limit, clock)

    def reserve(self, tokens: int) -> Grant:
        return self.bucket.reserve(tokens)

    def settle(self, tokens: int) -> None:
        self.bucket.settle(tokens)


def bucket_actor(model: str, limit: RateLimit, clock: Callable[[], float] | None = None) -> Any:
    """The bucket of ``model`` under ``limit``: created by the first caller, shared after."""
    ray = ray_module()
    return (
        ray.remote(BucketActor)
        .options(
            name=f"rate-limit:{model}:{limit}",
            namespace=NAMESPACE,
            get_if_exists=True,
            num_cpus=0,
        )
        .remote(limit, clock)
    )


def _models(config: RunConfig) -> list[str]:
    return [m for m in (config.model, config.answer_model, config.judge_model) if m]


@dataclass
class _Worker:
    actor: Any
    free: int
    key: tuple[Any, ...]


_idle: dict[tuple[Any, ...], list[Any]] = {}
"""Workers of finished runs, by (Ray job, environment), for the next run to reuse."""
MAX_CONCURRENCY = 1000
"""Ray's cap on one worker's concurrent calls; the run's own slots are what limit shards."""


def _take_worker(ray: Any, key: tuple[Any, ...]) -> Any:
    idle = _idle.get(key)
    if idle:
        return idle.pop()
    # No CPU reservation, so idle workers never block new ones; SPREAD puts them on all nodes.
    return (
        ray.remote(ShardWorker)
        .options(
            max_restarts=-1,
            max_task_retries=TASK_RETRIES,
            max_concurrency=MAX_CONCURRENCY,
            num_cpus=0,
            scheduling_strategy="SPREAD",
            runtime_env={"env_vars": dict(key[1])},
        )
        .remote()
    )


class RayExecutor:
    """The shards of one run on Ray workers; ``config.concurrency`` shards in flight in all,
    spread over ``options.workers`` workers (default: one per CPU of the cluster)."""

    def __init__(self, options: ExecutorOptions) -> None:
        self.options = options
        self.ray = ray_module()  # a missing extra fails before the run is recorded
        self.workers: list[_Worker] = []
        self.env: CaseEnv | None = None
        self.spec: Any = None
        self._slots: asyncio.Semaphore | None = None

    async def start(self, env: CaseEnv) -> None:
        ray = await asyncio.to_thread(connect, self.options.ray_address)
        config = env.config
        self.env = env
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = max(1, min(config.concurrency, self.options.workers or cpus))
        shares = [config.concurrency // n + (i < config.concurrency % n) for i in range(n)]
        buckets = {}
        for model in _models(config):
            limit = limit_for(model, self.options.rate_limits)
            if limit is not None:
                buckets[model] = bucket_actor(model, limit)
        hashes = (inputs_digest(env.case_hashes), env.extractors.template.content_hash)
        spec = RunSpec(env.run_id, config.model_dump(mode="json"), hashes, 0, buckets)
        key = (ray.get_runtime_context().get_job_id(), tuple(sorted(worker_env().items())))
        for share in shares:
            self.workers.append(_Worker(_take_worker(ray, key), share, key))
        self.spec = [ray.put(replace(spec, concurrency=share)) for share in shares]
        self._slots = asyncio.Semaphore(sum(shares))
        try:
            await asyncio.gather(
                *(w.actor.ready.remote(s) for w, s in zip(self.workers, self.spec, strict=True))
            )
        except Exception as error:
            raise _unwrap(error) from None

    async def run(self, case: Case, repeat: int) -> CaseRecord:
        assert self._slots is not None and self.env is not None, "start() first"
        async with self._slots:
            i = max(range(len(self.workers)), key=lambda i: self.workers[i].free)
            worker = self.workers[i]
            worker.free -= 1
            try:
                record, calls = await worker.actor.run.remote(self.spec[i], case.id, repeat)
            except Exception as error:
                cause = _unwrap(error)
                if isinstance(cause, ModelUnavailableError):
                    raise cause from None  # every case would fail alike: stop, as run_case does
                return failed_record(self.env, case, repeat, self._shard_error(error))
            finally:
                worker.free += 1
        for call in calls:  # the driver's collectors (an optimizer's spend) see them
            emit(call)
        return record

    def _shard_error(self, error: Exception) -> HarnessError:
        """Why a shard has no record: its worker kept dying, or the worker call itself failed."""
        if isinstance(error, self.ray.exceptions.RayActorError):
            return HarnessError(
                f"its Ray worker died {TASK_RETRIES + 1} times while running it "
                f"({type(error).__name__})"
            )
        cause = _unwrap(error)
        return HarnessError(f"the Ray worker failed: {type(cause).__name__}: {cause}")

    async def close(self) -> None:
        """Each worker drops the run's store; healthy workers wait for the next run."""
        workers, self.workers = self.workers, []
        if not workers or self.env is None:
            return
        run_id = self.env.run_id
        finished = await asyncio.gather(
            *(
                asyncio.wait_for(w.actor.finish.remote(run_id), STORE_DRAIN_TIMEOUT_S)
                for w in workers
            ),
            return_exceptions=True,
        )
        for worker, outcome in zip(workers, finished, strict=True):
            if isinstance(outcome, BaseException):
                with contextlib.suppress(Exception):
                    self.ray.kill(worker.actor)
            else:
                _idle.setdefault(worker.key, []).append(worker.actor)


def _unwrap(error: BaseException) -> BaseException:
    """A worker's HarnessError as itself (so the CLI prints one line), anything else as is."""
    cause = getattr(error, "cause", None)
    return cause if isinstance(cause, HarnessError) else error
