"""Matrix runs: every dataset x model x system x template combination of one TOML file, run and
compared.

A matrix file names the dimensions at the top level and shares every other ``harness run``
option in a ``[run]`` table::

    name = "models-vs-prompts"          # prefixes the run names (default: the file name)
    datasets = ["datasets/core.jsonl"]
    models = ["baseline/heuristic", "baseline/oracle", "openai/gpt-4o-mini"]
    systems = ["harness"]                # or e.g. ["harness", "langmem", "mem0", "my.pkg:system"]
    prompts = ["default", "concise"]
    repeats = 1                          # runs per case, in every combination
    parallel = 1                         # combinations run at once

    [run]
    limit = 40
    concurrency = 8

Resuming is by content: a combination's *key* hashes its full run configuration (minus the
options that cannot change results: name, concurrency, cache mode) together with the content
hashes of its selected cases and of its template. A combination whose key matches a finished
run in the results database is not run again (whatever that run was named); one matching an
unfinished run is resumed; the rest start fresh. Editing a template or a case therefore reruns
exactly the combinations it affects. A combination whose run failed (every case errored: a
hosted model without its key, say) is never taken as done: it is reported failed again until
``retry_failed`` runs it anew; ``force`` runs every combination anew.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness._async import run_sync
from harness.data import load_dataset
from harness.errors import ConfigurationError, HarnessError
from harness.results.db import ResultsStore, open_results
from harness.results.records import RunRecord
from harness.runner.config import DEFAULT_DATASET, DEFAULT_PROMPT, RunConfig, resolve_dataset_path
from harness.systems.registry import OWN_SYSTEM, normalise_system
from harness.templates import load_template

logger = logging.getLogger(__name__)

__all__ = [
    "Combination",
    "MatrixConfig",
    "MatrixEntry",
    "MatrixResult",
    "arun_matrix",
    "combinations",
    "config_key",
    "load_matrix",
    "one_factor_pairs",
    "plan_matrix",
    "run_key",
    "run_matrix",
]

DIMENSIONS = ("dataset", "model", "system", "prompt", "repeats", "name")
KEY_EXCLUDES = frozenset({"name", "concurrency", "cache", "dataset", "prompt"})
"""Run options left out of a combination's key: they cannot change results, or (dataset,
prompt) are represented by the content hashes instead of a path that may be spelled two ways."""


class MatrixConfig(BaseModel):
    """A matrix file; unknown keys anywhere (``[run]`` included) are refused."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    datasets: list[str] = Field(default_factory=lambda: [DEFAULT_DATASET], min_length=1)
    models: list[str] = Field(min_length=1)
    systems: list[str] = Field(default_factory=lambda: [OWN_SYSTEM], min_length=1)
    system: str | None = Field(default=None, description="One system: same as systems = [it].")
    prompts: list[str] = Field(default_factory=lambda: [DEFAULT_PROMPT], min_length=1)
    repeats: int = Field(default=1, ge=1)
    parallel: int = Field(default=1, ge=1)
    run: dict[str, Any] = Field(default_factory=dict)

    @field_validator("datasets", "models", "prompts")
    @classmethod
    def _distinct(cls, value: list[str], info: Any) -> list[str]:
        from harness.models.names import check_model_name

        if any(not item.strip() for item in value):
            raise ValueError("entries must not be empty")
        if info.field_name == "models":
            for model in value:
                try:
                    check_model_name(model.strip(), "model")
                except ConfigurationError as error:
                    raise ValueError(str(error)) from None
        return list(dict.fromkeys(item.strip() for item in value))

    @field_validator("systems")
    @classmethod
    def _systems(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(normalise_system(item) or OWN_SYSTEM for item in value))

    @model_validator(mode="after")
    def _one_system(self) -> MatrixConfig:
        if self.system is not None:
            if "systems" in self.model_fields_set:
                raise ValueError("give system or systems, not both")
            self.systems = [normalise_system(self.system) or OWN_SYSTEM]
            self.system = None
        return self

    @field_validator("run")
    @classmethod
    def _run_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(set(value) & set(DIMENSIONS))
        if clash:
            raise ValueError(
                f"{clash[0]!r} is a matrix dimension: set datasets / models / prompts / repeats "
                "at the top level (run names come from the matrix name)"
            )
        RunConfig.model_validate(value)  # unknown or invalid options fail here, by name
        return value


def load_matrix(path: str | Path) -> MatrixConfig:
    """Read and check a matrix file; errors name the file, the key and the reason."""
    source = Path(path)
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read matrix file {source}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{source}: not valid TOML: {error}") from None
    try:
        matrix = MatrixConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in error.errors()
        )
        raise ConfigurationError(f"{source}: {problems}") from None
    if matrix.name is None:
        matrix = matrix.model_copy(update={"name": source.stem})
    return matrix


@dataclass(frozen=True)
class Combination:
    """One cell of the matrix: its run configuration and content key."""

    index: int
    dataset: str
    model: str
    prompt: str
    config: RunConfig
    key: str
    dataset_name: str = ""
    system: str | None = None

    @property
    def label(self) -> str:
        system = f" · {self.system}" if self.system else ""
        return f"{self.dataset_name or self.dataset} · {self.model}{system} · {self.prompt}"


def config_key(parameters: dict[str, Any], dataset_hash: str, template_hash: str) -> str:
    """The content key of a run configuration (pure): what decides whether results can differ."""
    kept = {k: v for k, v in parameters.items() if k not in KEY_EXCLUDES}
    if kept.get("system") is None:
        kept.pop("system", None)  # runs recorded before systems existed keep their keys
    payload = json.dumps(
        {"parameters": kept, "dataset": dataset_hash, "template": template_hash},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def run_key(run: RunRecord) -> str:
    """The content key of a recorded run (comparable with :attr:`Combination.key`)."""
    return config_key(run.parameters, run.dataset_hash, run.template_hash)


def _content(config: RunConfig, datasets: dict[Any, Any]) -> tuple[str, str, str]:
    """``(dataset name, selected-cases hash, template hash)``, loading each file once."""
    path = resolve_dataset_path(config.dataset)
    if path not in datasets:
        datasets[path] = load_dataset(path)
    selected = datasets[path].select(
        split=config.split,
        tags=config.tags or None,
        ids=config.case_ids or None,
        limit=config.limit,
    )
    return selected.name, selected.content_hash, load_template(config.prompt).content_hash


def combinations(matrix: MatrixConfig) -> list[Combination]:
    """Every combination in file order (dataset, then model, then system, then prompt); loads
    the inputs, so a missing dataset or template fails here, before anything runs."""
    out: list[Combination] = []
    datasets: dict[Any, Any] = {}
    cells = [
        (dataset, model, normalise_system(system), prompt)
        for dataset in matrix.datasets
        for model in matrix.models
        for system in matrix.systems
        for prompt in matrix.prompts
    ]
    for dataset, model, system, prompt in cells:
        config = RunConfig.model_validate(
            {**matrix.run, "dataset": dataset, "model": model, "system": system,
             "prompt": prompt, "repeats": matrix.repeats}
        )  # fmt: skip
        name, dataset_hash, template_hash = _content(config, datasets)
        shown = f"{system}:{model}" if system else model
        config = config.model_copy(update={"name": f"{matrix.name}:{name}:{shown}:{prompt}"})
        key = config_key(config.model_dump(mode="json"), dataset_hash, template_hash)
        out.append(Combination(len(out), dataset, model, prompt, config, key, name, system))
    return out


PlanStatus = Literal["done", "resume", "new", "failed"]
EntryStatus = Literal["reused", "resumed", "ran", "failed", "planned"]


@dataclass
class MatrixEntry:
    """A combination and what became of it (``run_id`` is None only for a failed new run)."""

    combination: Combination
    status: EntryStatus
    run_id: str | None = None
    error: str | None = None
    plan: PlanStatus = "new"

    def as_dict(self) -> dict[str, Any]:
        c = self.combination
        return {
            "index": c.index,
            "dataset": c.dataset,
            "model": c.model,
            "system": c.system or OWN_SYSTEM,
            "prompt": c.prompt,
            "key": c.key,
            "name": c.config.name,
            "plan": self.plan,
            "status": self.status,
            "run_id": self.run_id,
            "error": self.error,
        }


@dataclass
class MatrixResult:
    matrix: MatrixConfig
    entries: list[MatrixEntry] = field(default_factory=list)

    @property
    def run_ids(self) -> list[str]:
        return [e.run_id for e in self.entries if e.run_id and e.status != "failed"]

    @property
    def failed(self) -> list[MatrixEntry]:
        return [e for e in self.entries if e.status == "failed"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "matrix": self.matrix.model_dump(mode="json"),
            "entries": [e.as_dict() for e in self.entries],
        }


def _failed(run: RunRecord) -> bool:
    """Status ``failed``, or finished with every case in error (recorded before such runs were
    marked failed): never a result to reuse."""
    if run.status == "failed":
        return True
    summary = run.metrics or {}
    return run.status == "finished" and 0 < summary.get("case_repeats", 0) == summary.get("errors")


def plan_matrix(
    matrix: MatrixConfig, store: Any, *, retry_failed: bool = False, force: bool = False
) -> list[MatrixEntry]:
    """What each combination needs: ``done`` (a finished run has its key), ``resume`` (the
    newest unfinished one does), ``failed`` (the newest run with its key failed: it is run
    again only with ``retry_failed``) or ``new``. ``force`` plans every combination ``new``."""
    finished: dict[str, str] = {}
    unfinished: dict[str, RunRecord] = {}
    for run in store.list_runs():  # oldest first: later runs win
        if run.status == "finished" and not _failed(run):
            finished[run_key(run)] = run.run_id
        else:
            unfinished[run_key(run)] = run
    entries = []
    for combination in combinations(matrix):
        key, entry = combination.key, MatrixEntry(combination, "planned", plan="new")
        if force:
            pass
        elif key in finished:
            entry = MatrixEntry(combination, "planned", finished[key], plan="done")
        elif key in unfinished and _failed(unfinished[key]):
            if not retry_failed:
                run = unfinished[key]
                error = run.error or "every case failed"
                entry = MatrixEntry(combination, "planned", run.run_id, error, plan="failed")
        elif key in unfinished:
            entry = MatrixEntry(combination, "planned", unfinished[key].run_id, plan="resume")
        entries.append(entry)
    return entries


ProgressFactory = Callable[[MatrixEntry], Any]


async def _execute(
    entry: MatrixEntry, store: Any, progress: ProgressFactory | None, executor: Any = None
) -> None:
    from harness.runner.engine import arun, new_run_id

    if entry.plan == "done":
        entry.status = "reused"
        return
    if entry.plan == "failed":
        entry.status = "failed"
        entry.error = f"{entry.error} (run {entry.run_id}; run again with --retry-failed)"
        return
    shown = progress(entry) if progress is not None else None
    try:
        if entry.plan == "resume":
            result = await arun(db=store, resume=entry.run_id, progress=shown, executor=executor)
            entry.status = "resumed"
        else:
            entry.run_id = new_run_id()
            result = await arun(
                entry.combination.config,
                db=store,
                run_id=entry.run_id,
                progress=shown,
                executor=executor,
            )
            entry.status = "ran"
        entry.run_id = result.run_id
        if not result.ok:
            entry.status = "failed"
            entry.error = store.get_run(result.run_id).error or "every case failed"
    except HarnessError as error:
        logger.warning("matrix combination %s failed: %s", entry.combination.label, error)
        entry.status, entry.error = "failed", f"{type(error).__name__}: {error}"


async def arun_matrix(
    matrix: MatrixConfig,
    *,
    db: Any = None,
    parallel: int | None = None,
    progress: ProgressFactory | None = None,
    retry_failed: bool = False,
    force: bool = False,
    executor: Any = None,
) -> MatrixResult:
    """Run every combination not finished yet, ``parallel`` at a time (default: the file's).

    A combination that fails with a harness error (a model that cannot be reached, say) or in
    which every case errored is recorded as failed and the others go on; it is never reused as
    done, and runs again only with ``retry_failed``. ``force`` runs every combination anew.
    Cancelling stops everything, and running the matrix again resumes where it stopped.
    ``progress(entry)`` builds the progress display of one combination's run. ``executor``
    (:class:`~harness.runner.executor.ExecutorOptions`): where every combination's cases run;
    parallel combinations share its rate-limit buckets.
    """
    owned = not isinstance(db, ResultsStore)
    store = open_results(db) if owned else db
    try:
        entries = plan_matrix(matrix, store, retry_failed=retry_failed, force=force)
        semaphore = asyncio.Semaphore(parallel or matrix.parallel)

        async def one(entry: MatrixEntry) -> None:
            async with semaphore:
                await _execute(entry, store, progress, executor)

        await asyncio.gather(*(one(entry) for entry in entries))
        return MatrixResult(matrix, entries)
    finally:
        if owned:
            store.close()


def run_matrix(
    matrix: MatrixConfig | str | Path,
    *,
    db: Any = None,
    parallel: int | None = None,
    progress: ProgressFactory | None = None,
    retry_failed: bool = False,
    force: bool = False,
    executor: Any = None,
) -> MatrixResult:
    """Sync twin of :func:`arun_matrix`; ``matrix`` may be a file path."""
    if not isinstance(matrix, MatrixConfig):
        matrix = load_matrix(matrix)
    return run_sync(
        arun_matrix(
            matrix,
            db=db,
            parallel=parallel,
            progress=progress,
            retry_failed=retry_failed,
            force=force,
            executor=executor,
        )
    )


def one_factor_pairs(combos: Sequence[Combination]) -> list[tuple[int, int]]:
    """Index pairs of combinations that differ in exactly one of dataset, model, system and
    prompt (pure): the comparisons that isolate one change, e.g. a template within one model."""
    pairs = []
    for i, a in enumerate(combos):
        for j in range(i + 1, len(combos)):
            b = combos[j]
            same = (
                (a.dataset == b.dataset)
                + (a.model == b.model)
                + (a.system == b.system)
                + (a.prompt == b.prompt)
            )
            if same == 3:
                pairs.append((i, j))
    return pairs
