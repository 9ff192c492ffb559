"""Replaying a dataset through a memory manager *object* (not a model string) with the runner.

The replay engine builds its extractor from ``RunConfig.model``; here the caller's object takes
that place, and everything else is the engine's own: the same store manager around it, the same
per-case replay, scoring, retrieval and database rows. Used by :mod:`harness.testing`.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from harness.runner._extractors import Extractors


class CustomExtractors(Extractors):
    """The engine's extractor factory, handing out one given manager for every schema set."""

    def __init__(self, config: Any, template: Any, store: Any, manager: Any) -> None:
        self.manager = manager
        super().__init__(config, template, store)

    def check(self) -> None:
        """Nothing to check: the manager is already built."""

    def _extractor(self, schemas: tuple[type[BaseModel], ...]) -> Any:
        return self.manager

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described.update(extractor=repr(self.manager)[:300], kind="custom")
        return described


def describe_manager(manager: Any) -> str:
    """The model string recorded for a custom manager: ``custom/<class name>``."""
    return f"custom/{type(manager).__name__}"


async def arun_manager(manager: Any, config: Any, results: Any) -> Any:
    """Run ``config`` with ``manager`` as the extractor, recording into ``results``; returns the
    engine's ``RunResult``."""
    from harness.memory.store import LanceStore
    from harness.memory.store_manager import Extractor
    from harness.runner import engine
    from harness.runner._case import CaseEnv
    from harness.runner.progress import NoProgress

    if not isinstance(manager, Extractor):
        from harness.errors import ConfigurationError

        raise ConfigurationError(
            "a memory manager needs an async ainvoke(input) method (like the managers of "
            f"create_memory_manager); got {type(manager).__name__}"
        )
    prepared = await asyncio.to_thread(engine.prepare, config)
    run_id = engine.new_run_id()
    folder = Path(tempfile.mkdtemp(prefix=f"harness-run-{run_id}-"))
    try:
        store = LanceStore(folder / "lance", embedder=config.embedder)
        extractors = CustomExtractors(config, prepared.template, store, manager)
        run = engine._run_record(run_id, prepared, extractors)
        run.schema_version = results.schema_version
        results.create_run(run)
        env = CaseEnv(
            run_id=run_id,
            config=config,
            store=store,
            extractors=extractors,
            matcher=prepared.matcher,
            registry=prepared.dataset.schemas,
            case_hashes=prepared.dataset.case_hashes,
            split_of=prepared.dataset.split_of,
        )
        todo = [(case, r) for case in prepared.dataset for r in range(config.repeats)]
        return await engine._replay_all(results, env, todo, len(todo), 0, NoProgress())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
