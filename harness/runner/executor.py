"""Where a run's (case, repeat) shards execute: in this process, or on a Ray cluster.

The engine prepares the run, hands each shard to an executor and writes the record that comes
back. Only the engine (the driver) writes the results database, one transaction per case, so
every executor keeps the same guarantees: a crash loses at most the shards in flight, and
``--resume`` replays what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from harness.data.models import Case
from harness.models.ratelimit import LocalLimiter, RateLimit, limiting
from harness.results.records import CaseRecord
from harness.runner._case import CaseEnv, run_case

ExecutorKind = Literal["local", "ray"]


@dataclass(frozen=True)
class ExecutorOptions:
    """How to execute a run: ``kind`` local or ray; ``ray_address`` an existing cluster
    (None: a local Ray); ``rate_limits`` requests/tokens per minute per model, shared by every
    worker; ``workers`` Ray workers (None: one per CPU of the cluster)."""

    kind: ExecutorKind = "local"
    ray_address: str | None = None
    rate_limits: tuple[RateLimit, ...] = field(default_factory=tuple)
    workers: int | None = None


class Executor(Protocol):
    async def start(self, env: CaseEnv) -> None:
        """Get ready to run shards of ``env``'s run."""

    async def run(self, case: Case, repeat: int) -> CaseRecord:
        """Replay, score and return one shard (failures are error records, as locally)."""

    async def close(self) -> None:
        """Release what :meth:`start` took (workers, folders)."""


class LocalExecutor:
    """Every shard on this process's event loop, within the engine's slots and call limit."""

    def __init__(self, options: ExecutorOptions | None = None) -> None:
        limits = options.rate_limits if options else ()
        self.limiter = LocalLimiter(limits) if limits else None
        self.env: CaseEnv | None = None

    async def start(self, env: CaseEnv) -> None:
        self.env = env  # the engine has set its slots and opened its call limit

    async def run(self, case: Case, repeat: int) -> CaseRecord:
        assert self.env is not None, "start() first"
        with limiting(self.limiter):
            return await run_case(self.env, case, repeat)

    async def close(self) -> None:
        self.env = None


def make_executor(options: ExecutorOptions | None) -> Any:
    """A fresh executor for one run."""
    if options is None or options.kind == "local":
        return LocalExecutor(options)
    from harness.runner.ray_executor import RayExecutor

    return RayExecutor(options)
