"""``optimize``: the whole optimization, new or resumed, from configuration to winner file.

Everything that can fail on bad input (dataset, start template, models, a budget too small to
evaluate even the start) fails before anything is recorded or spent. Phases are recorded in the
``optimizations`` row (``search`` -> ``select`` -> ``report`` -> ``done``), so ``resume`` picks up
where an interrupted optimization stopped.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness._async import run_sync
from harness._files import check_writable
from harness._scratch import owned_folder
from harness.data import SPLITS, load_dataset
from harness.errors import ConfigurationError, OptimizeFailedError
from harness.models import ResponseCache, get_model
from harness.optimize import _final
from harness.optimize._state import START_ID, SearchState
from harness.optimize.budget import Spend, refusal, worst_case
from harness.optimize.config import OptimizeConfig
from harness.optimize.evaluate import RunnerEvaluator
from harness.optimize.loop import Search
from harness.optimize.progress import OptimizeProgress
from harness.optimize.proposer import validation_variables
from harness.optimize.result import OptimizeResult, build_result
from harness.optimize.store import OptimizationRow, OptimizeStore
from harness.results.db import ResultsStore, open_results
from harness.results.migrations import utc_now
from harness.runner import _environment as environment
from harness.runner.config import resolve_dataset_path
from harness.templates import TemplateVariables, load_template


def new_opt_id() -> str:
    return f"opt-{utc_now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass
class _Setup:
    row: OptimizationRow
    config: OptimizeConfig
    dataset: Any
    start_source: str


def _load_dataset(config: OptimizeConfig) -> Any:
    return load_dataset(resolve_dataset_path(config.dataset)).select(tags=config.tags or None)


def _new(config: OptimizeConfig) -> _Setup:
    dataset = _load_dataset(config)
    splits: dict[str, list[str]] = {
        name: [case.id for case in dataset.split(name)] for name in SPLITS
    }
    if not splits["train"]:
        raise ConfigurationError(f"{dataset.path}: no train cases to optimize on ({splits})")
    template = load_template(config.prompt)
    row = OptimizationRow(
        opt_id=new_opt_id(),
        name=config.name,
        status="running",
        phase="search",
        config=config.model_dump(mode="json"),
        dataset_path=str(dataset.path),
        dataset_hash=dataset.content_hash,
        start_template=template.name,
        start_hash=template.content_hash,
        metric=config.metric,
        splits=splits,
        stop_reason=None,
        winner_id=None,
        out_path=None,
        result=None,
        harness_version=environment.harness_version(),
        git_revision=environment.git_revision(),
        started_at=utc_now(),
    )
    _check_out(config, row)
    return _Setup(row, config, dataset, template.source)


def _check_out(config: OptimizeConfig, row: OptimizationRow) -> None:
    """Refuse a winner path that cannot be written before the search, not after it."""
    check_writable(_final.winner_path(config, row), "winner file")


def _resumed(store: OptimizeStore, ref: str, budget: dict[str, Any], out: str | None) -> _Setup:
    row = store.find(ref)
    config = OptimizeConfig.model_validate(row.config).with_budget(**budget)
    if out is not None:
        config = config.model_copy(update={"out": out})
    if row.phase != "done":
        _check_out(config, row)
    dataset = _load_dataset(config)
    if dataset.content_hash != row.dataset_hash:
        raise ConfigurationError(
            f"cannot resume optimization {row.opt_id}: the dataset {row.dataset_path} changed "
            f"(recorded hash {row.dataset_hash}, now {dataset.content_hash})"
        )
    start = {c.candidate_id: c for c in store.candidates(row.opt_id)}.get(START_ID)
    if start is not None:
        return _Setup(row, config, dataset, start.template_text)

    template = load_template(config.prompt)
    if template.content_hash != row.start_hash:
        raise ConfigurationError(
            f"cannot resume optimization {row.opt_id}: the start template {row.start_template} "
            f"changed before it was evaluated (recorded hash {row.start_hash}, now "
            f"{template.content_hash})"
        )
    return _Setup(row, config, dataset, template.source)


def _reopen(store: OptimizeStore, setup: _Setup, budget: dict[str, Any]) -> None:
    """A finished search given a larger budget searches on (dev and test scores are kept)."""
    recorded = setup.row.config
    raised = [
        key
        for key, value in budget.items()
        if value is not None and recorded.get(key) is not None and value > recorded[key]
    ]
    store.update(setup.row.opt_id, config=setup.config.model_dump(mode="json"))
    if raised and setup.row.phase != "search":
        store.update(setup.row.opt_id, phase="search", stop_reason=None, status="running")
        setup.row.phase = "search"


def _variables(config: OptimizeConfig, dataset: Any) -> list[Any]:
    run = config.run_config(case_ids=[])
    kinds = dict.fromkeys(case.schema_ for case in dataset)
    schemas = tuple(dataset.schemas.model(kind) for kind in kinds)
    base = TemplateVariables.for_schemas(
        schemas,
        enable_inserts=run.enable_inserts,
        enable_updates=run.enable_updates,
        enable_deletes=run.enable_deletes,
        today=run.today,
    )
    return validation_variables(base)


def _workdir(results: Any, opt_id: str) -> tuple[Path, bool]:
    """Where candidate files live: beside the results database, or (True) a temporary folder
    for an in-memory database, removed when the optimization stops (and, if this process is
    killed, by the next run's sweep)."""
    where = str(getattr(results, "where", ":memory:"))
    if where == ":memory:":
        return owned_folder(opt_id), True
    return Path(where).expanduser().resolve().parent / "optimize" / opt_id, False


def _proposer(config: OptimizeConfig) -> Any:
    cache = ResponseCache(mode=config.run_config(case_ids=[]).cache)
    return get_model(config.proposer, cache=cache)


def _check_minimum(search: Search) -> None:
    """Refuse a budget that cannot pay for the start's train evaluation plus the reserve."""
    need = search.evaluator.bound(search.state.splits["train"])
    reserve = search.reserve()
    refused = refusal(search.budget, Spend(), worst_case(need, Spend()), reserve)
    if refused is not None:
        raise ConfigurationError(
            f"budget too small: evaluating the start template on the train split can take "
            f"{need} calls and the dev selection and test report reserve {reserve.calls} "
            f"({refused})"
        )


async def aoptimize(
    config: OptimizeConfig | None = None,
    *,
    db: Any = None,
    resume: str | None = None,
    budget: dict[str, Any] | None = None,
    progress: OptimizeProgress | None = None,
    out: str | None = None,
    executor: Any = None,
) -> OptimizeResult:
    """Run a new optimization (``config``) or finish one (``resume``: id or name).

    ``db`` is a results-database path or an open :class:`~harness.results.db.ResultsStore`;
    ``budget`` may raise ``max_calls``/``max_cost``/``max_iterations`` on resume, and ``out``
    change where the winner goes. The winner path is checked before the search. Raises
    :class:`~harness.errors.OptimizeFailedError` when no proposal produced a template; when
    no candidate beats the start template, nothing is written (``winner_path`` is None).
    ``executor`` (:class:`~harness.runner.executor.ExecutorOptions`): where each evaluation
    run's cases execute.
    """
    if (config is None) == (resume is None):
        raise ConfigurationError("give a configuration or an optimization to resume (not both)")
    results = db if isinstance(db, ResultsStore) else open_results(db)
    store = OptimizeStore.of(results)
    try:
        return await _optimize(
            results, store, config, resume, budget or {}, progress, out, executor
        )
    finally:
        store.close()
        if results is not db:
            results.close()


async def _optimize(
    results, store, config, resume, budget, progress, out, executor=None
) -> OptimizeResult:
    if resume is not None:
        setup = await asyncio.to_thread(_resumed, store, resume, budget, out)
        _reopen(store, setup, budget)
    else:
        setup = await asyncio.to_thread(_new, config)
    workdir, temporary = _workdir(results, setup.row.opt_id)
    try:
        search = _search(results, store, setup, progress, workdir, executor)
        if resume is None:
            _check_minimum(search)
            store.create(setup.row)
        if setup.row.phase == "done":
            return build_result(store, setup.row.opt_id)
        return await _phases(search, setup)
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)


def _search(results, store, setup: _Setup, progress, workdir: Path, executor=None) -> Search:
    row, config = setup.row, setup.config
    state = SearchState.load(store, row.opt_id, config.metric, row.splits)
    cases = {case.id: case for case in setup.dataset}
    evaluator = RunnerEvaluator(config, results, cases, workdir, row.opt_id, executor)
    variables = _variables(config, setup.dataset)
    proposer = _proposer(config)
    return Search(config, state, store, evaluator, proposer, variables, progress)


async def _phases(search: Search, setup: _Setup) -> OptimizeResult:
    store, opt_id = search.store, setup.row.opt_id
    row = store.get(opt_id) or setup.row
    store.update(opt_id, status="running", error=None)
    try:
        if row.phase == "search":
            if START_ID not in search.state.candidates:
                await search.start(setup.start_source)
            reason = await search.run()
            _check_proposals(store, opt_id)
            store.update(opt_id, phase="select", stop_reason=reason)
            row = store.get(opt_id) or row
        if row.phase in ("select", "report"):
            await _select_and_report(search, row)
    except (asyncio.CancelledError, KeyboardInterrupt):
        store.update(opt_id, status="interrupted")
        raise
    except Exception as exc:
        store.update(opt_id, status="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        search.progress.close()
    return build_result(store, opt_id)


def _check_proposals(store: OptimizeStore, opt_id: str) -> None:
    """Proposals were asked for and not one produced a template: a failure, not a result."""
    proposals = store.proposals(opt_id)
    if not proposals or any(p.outcome not in ("error", "invalid") for p in proposals):
        return
    first = proposals[0]
    raise OptimizeFailedError(
        f"optimization {opt_id}: none of its {len(proposals)} proposals produced a template "
        f"(first, {first.outcome}: {first.error}); nothing was written. Fix the proposer "
        f"and continue with `harness optimize --resume {opt_id} --max-iterations N`",
        opt_id=opt_id,
    )


async def _select_and_report(search: Search, row: OptimizationRow) -> None:
    store, opt_id = search.store, row.opt_id
    selection = await _final.select(search)
    store.update(opt_id, phase="report", winner_id=selection.winner)
    report = await _final.report(search, selection.winner)
    path: Path | None = None
    if selection.winner != START_ID:  # an unimproved template is no winner to write
        path = _final.write_winner(search, row, selection.winner, report)
    result = {
        "selection": selection.basis,
        "contenders": selection.contenders,
        "skipped_on_dev": selection.skipped,
        "test": None if report is None else report.model_dump(mode="json"),
    }
    store.update(
        opt_id,
        phase="done",
        status="finished",
        out_path=None if path is None else str(path),
        result=result,
        finished_at=utc_now(),
    )
    if path is None:
        search.show("done", "no candidate beat the start template: nothing written")
    else:
        search.show("done", f"winner {selection.winner} -> {path}")


def optimize(
    config: OptimizeConfig | None = None,
    *,
    db: Any = None,
    resume: str | None = None,
    budget: dict[str, Any] | None = None,
    progress: OptimizeProgress | None = None,
    out: str | None = None,
    executor: Any = None,
) -> OptimizeResult:
    """Sync twin of :func:`aoptimize`."""
    return run_sync(
        aoptimize(
            config,
            db=db,
            resume=resume,
            budget=budget,
            progress=progress,
            out=out,
            executor=executor,
        )
    )
