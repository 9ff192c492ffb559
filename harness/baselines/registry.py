"""Baselines: memory managers that call no model, to bracket what a real one achieves.

They implement the memory-manager interface (``await b.ainvoke({"messages": ..., "existing":
...})``, ``b.invoke(...)``, ``await b(messages, existing)``) and return the same
:class:`~harness.memory.manager.ExtractionResult` (changed memories, one operation per memory,
zero usage), so a store manager or the runner treats them like an LLM manager.
Build one with :func:`get_baseline`:

- ``baseline/noop`` changes nothing: every existing memory gets a ``none`` operation.
- ``baseline/oracle`` emits the gold ops of the session being replayed, so it scores 1.0 on
  every extraction metric. Inserted memories get the insert's ``ref`` as id, so later gold ops
  and queries naming that ref find them; optional ops are emitted too (matched optional ops are
  neutral in scoring); ``source`` carries the gold op's message ids. The oracle must be told
  which session runs, in one of two ways:

  * ``with oracle_context(case, session_index, id_map=..., schemas=...): await ...`` around the
    call, e.g. around a store manager call (the context variable reaches the oracle wherever
    the store manager invokes it within that task);
  * ``{"messages": ..., "existing": ..., "gold": GoldContext.for_session(case, i)}`` as input
    (direct calls; a plain list of gold ops also works, for memories passed in ``existing``).

  ``id_map`` maps gold keys (existing ids, insert refs) to store ids when the caller stores them
  under other ids; by default a key is its own id. Without a context the oracle raises
  :class:`~harness.errors.ConfigurationError` rather than silently acting as ``noop``.
- ``baseline/heuristic`` is the honest floor and the zero-key default: first-person statements
  of user messages rewritten in third person, updates by embedding similarity, deletes on
  explicit forget requests, secrets never stored (text rules in :mod:`._heuristic` and
  :mod:`._rewrite`, decisions and thresholds in :mod:`._heuristic_plan`). Its inserts get ids
  derived from the whole input plus position and text (uuid5), so a rerun gives the same ids.

Structured schemas: pass ``schemas=`` (models, or name -> model). Existing memories of kinds a
baseline does not know are accepted as open models of that name (the baselines only pass them
through). The heuristic writes ``Memory`` when offered, else maps a statement onto the first
schema with a statement-like field (see :func:`~._heuristic_plan.statement_value`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness._async import run_sync
from harness.baselines import _heuristic_plan as rules
from harness.baselines._heuristic import ForgetRequest, Statement, read_turns
from harness.baselines._oracle import (
    GoldContext,
    _open_model,
    current_gold,
    gold_changes,
    oracle_context,
    schema_map,
)
from harness.data.models import GoldOp
from harness.errors import ConfigurationError
from harness.memory._apply import Change, State, summarise
from harness.memory._existing import ID_NAMESPACE, Entry, normalise_existing
from harness.memory._input import read_input
from harness.memory._prompt import Turn, fingerprint, normalise_messages
from harness.memory.manager import ExtractionResult
from harness.memory.schemas import Memory, memory_text
from harness.models.types import Usage

__all__ = [
    "BASELINE_NAMES",
    "Baseline",
    "GoldContext",
    "HeuristicBaseline",
    "HeuristicOptions",
    "NoopBaseline",
    "OracleBaseline",
    "baseline_class",
    "baseline_for_run",
    "get_baseline",
    "is_baseline",
    "oracle_context",
]

SchemasArg = Sequence[type[BaseModel]] | Mapping[str, type[BaseModel]] | type[BaseModel]
_INPUT_KEYS = frozenset({"messages", "existing", "max_steps", "gold", "date"})


class Baseline:
    """Shared plumbing: input reading, the sync twin, and the result shape."""

    name: ClassVar[str]
    replays_gold: ClassVar[bool] = False
    """Whether a replay must tell it each session's gold ops (inside :func:`oracle_context`)."""
    run_options: ClassVar[tuple[str, ...]] = ()
    """The run settings (``RunConfig`` fields) it takes as options, besides ``schemas``."""

    def __init__(self, schemas: SchemasArg = (Memory,)) -> None:
        self.schema_map = schema_map(schemas)
        if not self.schema_map:
            raise ConfigurationError(f"{self.name}: schemas must name at least one schema")
        self.schemas = tuple(self.schema_map.values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(schemas=[{', '.join(self.schema_map)}])"

    async def __call__(
        self, messages: Sequence[Any], existing: Sequence[Any] | None = None, **extra: Any
    ) -> ExtractionResult:
        return await self.ainvoke({"messages": messages, "existing": existing, **extra})

    def invoke(self, input: Mapping[str, Any] | Any) -> ExtractionResult:
        """Sync twin of :meth:`ainvoke`."""
        return run_sync(self.ainvoke(input))

    async def ainvoke(self, input: Mapping[str, Any] | Any) -> ExtractionResult:
        """Extract from ``input["messages"]`` given ``input["existing"]`` (no model call)."""
        messages, existing, gold = _read_input(input)
        return await self._extract(normalise_messages(messages), existing, gold)

    async def _extract(self, turns: tuple[Turn, ...], existing: Any, gold: Any) -> ExtractionResult:
        raise NotImplementedError


class NoopBaseline(Baseline):
    """Never changes anything."""

    name = "baseline/noop"

    async def _extract(self, turns: tuple[Turn, ...], existing: Any, gold: Any) -> ExtractionResult:
        entries = _entries(existing, self.schema_map)
        return _result(entries, {entry.id: entry for entry in entries}, [], steps=0)


class OracleBaseline(Baseline):
    """Emits the gold ops of the session named by the gold context (see the module docstring)."""

    name = "baseline/oracle"
    replays_gold = True

    async def _extract(self, turns: tuple[Turn, ...], existing: Any, gold: Any) -> ExtractionResult:
        context = _gold_context(gold)
        schemas = {**self.schema_map, **context.schemas}
        entries = _entries(existing, schemas, context.kinds)
        initial, final, changes = gold_changes(context, entries, schemas)
        return _result(initial, final, changes, steps=1)


class HeuristicOptions(BaseModel):
    """Options of ``baseline/heuristic`` (thresholds are cosines of the chosen embedder)."""

    model_config = ConfigDict(extra="forbid")

    update_threshold: float = Field(default=rules.UPDATE_THRESHOLD, ge=-1.0, le=1.0)
    forget_threshold: float = Field(default=rules.FORGET_THRESHOLD, ge=-1.0, le=1.0)
    embedder: str | None = Field(
        default=None, description="Embedder name; None: the default embedder."
    )
    enable_inserts: bool = True
    enable_updates: bool = True
    enable_deletes: bool = True


class HeuristicBaseline(Baseline):
    """Rule-based extraction: the floor every model must beat (module docstring for the rules)."""

    name = "baseline/heuristic"
    run_options = ("enable_inserts", "enable_updates", "enable_deletes", "embedder")

    def __init__(self, schemas: SchemasArg = (Memory,), options: HeuristicOptions | None = None):
        super().__init__(schemas)
        self.options = options or HeuristicOptions()
        self.schema = rules.choose_schema(self.schemas)

    async def _extract(self, turns: tuple[Turn, ...], existing: Any, gold: Any) -> ExtractionResult:
        entries = _entries(existing, self.schema_map)
        statements, forgets = read_turns(
            [(turn.id, turn.role, turn.text) for turn in turns], speakers=_speakers(turns)
        )
        if self.schema is None:
            statements = []
        texts = [statement.text for statement in statements]
        targets = [request.target for request in forgets]
        memories = [memory_text(entry.content) for entry in entries]
        stmt_sims, forget_sims = await self._similarities(texts, targets, memories)
        kind = self.schema.__name__ if self.schema is not None else None
        options = self.options
        decisions = rules.plan(
            texts,
            targets,
            memories,
            stmt_sims,
            forget_sims,
            updatable=[entry.kind == kind for entry in entries],
            update_threshold=options.update_threshold,
            forget_threshold=options.forget_threshold,
            inserts=options.enable_inserts,
            updates=options.enable_updates,
            deletes=options.enable_deletes,
        )
        seed = fingerprint(turns, entries, self.schema_map)
        final = {entry.id: entry for entry in entries}
        changes: list[Change] = []
        for decision in decisions:
            change = self._change(decision, statements, forgets, entries, seed, len(changes))
            if change is None:
                continue
            changes.append(change)
            if change.value is None:
                final.pop(change.id, None)
            else:
                final[change.id] = Entry.of(change.id, change.value)
        return _result(entries, final, changes, steps=1)

    def _change(
        self,
        decision: rules.Decision,
        statements: Sequence[Statement],
        forgets: Sequence[ForgetRequest],
        entries: Sequence[Entry],
        seed: str,
        n: int,
    ) -> Change | None:
        """The change a decision makes (None when the statement does not fit the schema)."""
        if decision.op == "delete":
            assert decision.memory is not None and decision.forget is not None
            entry = entries[decision.memory]
            source = (forgets[decision.forget].source,)
            return Change("delete", entry.id, entry.kind, None, 1, source)
        assert decision.statement is not None and self.schema is not None
        statement = statements[decision.statement]
        base = None
        if decision.op == "update":
            assert decision.memory is not None
            base = entries[decision.memory]
        value = rules.statement_value(self.schema, statement.text, base.value if base else None)
        if value is None:
            return None
        id_ = base.id if base else _insert_id(seed, n, statement.text)
        kind = type(value).__name__
        return Change(decision.op, id_, kind, value, 1, (statement.source,))

    async def _similarities(
        self, texts: list[str], targets: list[str | None], memories: list[str]
    ) -> tuple[list[list[float]], list[list[float]]]:
        """Cosine matrices statements x memories and forget targets x memories."""
        named = [target for target in targets if target is not None]
        if not memories or not (texts or named):
            return [[] for _ in texts], [[] for _ in targets]
        from harness.models.embeddings import get_embedder

        vectors = await get_embedder(self.options.embedder).aembed([*texts, *named, *memories])
        sims = (vectors[: len(texts) + len(named)] @ vectors[len(texts) + len(named) :].T).tolist()
        stmt_sims, named_sims = sims[: len(texts)], iter(sims[len(texts) :])
        forget_sims = [next(named_sims) if t is not None else [] for t in targets]
        return stmt_sims, forget_sims


def _insert_id(seed: str, n: int, text: str) -> str:
    """Deterministic: the same conversation and memories give the same ids on every run."""
    return str(uuid.uuid5(ID_NAMESPACE, f"heuristic:{seed}:{n}:{text}"))


# --- construction --------------------------------------------------------------------------------

_BASELINES: dict[str, type[Baseline]] = {
    "baseline/heuristic": HeuristicBaseline,
    "baseline/noop": NoopBaseline,
    "baseline/oracle": OracleBaseline,
}
BASELINE_NAMES: tuple[str, ...] = tuple(sorted(_BASELINES))


def is_baseline(name: object) -> bool:
    """True for model names that select a baseline (``baseline/...``)."""
    return isinstance(name, str) and name.startswith("baseline/")


def baseline_class(name: str) -> type[Baseline]:
    """The class registered as ``name``; ConfigurationError naming the known ones otherwise."""
    cls = _BASELINES.get(name)
    if cls is None:
        raise ConfigurationError(
            f"unknown baseline {name!r}; known baselines: {', '.join(BASELINE_NAMES)}"
        )
    return cls


def baseline_for_run(name: str, schemas: SchemasArg, settings: Mapping[str, Any]) -> Baseline:
    """The baseline ``name`` configured from a run's ``settings`` (the ones it takes)."""
    options = {key: settings[key] for key in baseline_class(name).run_options}
    return get_baseline(name, schemas=schemas, **options)


def get_baseline(name: str, **options: Any) -> Baseline:
    """The baseline ``name`` (one of :data:`BASELINE_NAMES`).

    Every baseline takes ``schemas`` (default ``(Memory,)``); ``baseline/heuristic`` also takes
    the fields of :class:`HeuristicOptions`.
    """
    cls = baseline_class(name)
    schemas = options.pop("schemas", (Memory,))
    if cls is HeuristicBaseline:
        try:
            return HeuristicBaseline(schemas, HeuristicOptions(**options))
        except ValidationError as exc:
            raise ConfigurationError(f"{name}: invalid options: {_problems(exc)}") from exc
    if options:
        raise ConfigurationError(
            f"{name} takes no option(s) {sorted(options)}; it accepts only 'schemas'"
        )
    return cls(schemas)


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
    )


# --- helpers -------------------------------------------------------------------------------------


def _speakers(turns: Sequence[Turn]) -> dict[str, str]:
    """Message id -> speaker name, when user turns come from more than one named person.

    Then the facts are about several people and "User ..." would merge them; a single named
    user stays "User"."""
    names = {turn.name for turn in turns if turn.role == "user" and turn.name}
    if len(names) < 2:
        return {}
    return {turn.id: turn.name for turn in turns if turn.role == "user" and turn.name}


def _read_input(input: Any) -> tuple[Any, Any, Any]:
    return read_input(input, _INPUT_KEYS, "gold", ("existing",))


def _gold_context(gold: Any) -> GoldContext:
    if gold is None:
        context = current_gold()
        if context is None:
            raise ConfigurationError(
                "baseline/oracle needs the gold ops of the session: call it inside "
                "`with oracle_context(case, session_index): ...` or pass input['gold']"
            )
        return context
    if isinstance(gold, GoldContext):
        return gold
    if isinstance(gold, Sequence) and not isinstance(gold, str | bytes):
        try:
            return GoldContext(ops=tuple(GoldOp.model_validate(op) for op in gold))
        except ValidationError as exc:
            raise ConfigurationError(f"input['gold']: invalid gold op: {_problems(exc)}") from exc
    raise ConfigurationError(
        f"input['gold'] must be a GoldContext or a list of gold ops, got {type(gold).__name__}"
    )


def _named_kinds(existing: Any) -> set[str]:
    """Kinds named explicitly by ``(id, kind, dict)`` triples or ``{"kind": ...}`` mappings."""
    kinds: set[str] = set()
    if not isinstance(existing, Iterable) or isinstance(existing, str | bytes | Mapping):
        return kinds
    for item in existing:
        if isinstance(item, tuple | list) and len(item) == 3 and isinstance(item[1], str):
            kinds.add(item[1])
        elif isinstance(item, Mapping) and isinstance(item.get("kind"), str):
            kinds.add(item["kind"])
    return kinds


def _entries(
    existing: Any, schemas: Mapping[str, type[BaseModel]], extra_kinds: Iterable[str] = ()
) -> tuple[Entry, ...]:
    """``existing`` normalised as the manager does; unknown kinds become open models."""
    known = dict(schemas)
    for kind in {*_named_kinds(existing), *extra_kinds}:
        if kind not in known and kind != "Memory":
            known[kind] = _open_model(kind)
    return normalise_existing(existing, known)


def _result(
    initial: Sequence[Entry],
    final: Mapping[str, Entry],
    changes: Sequence[Change],
    *,
    steps: int,
    usage_known: bool = True,
) -> ExtractionResult:
    """``usage_known``: False for a system whose model calls are not counted (usage None); a
    baseline calls no model, so its usage is known to be zero."""
    state = State(entries=dict(final), ids={}, handles={})
    extracted, operations = summarise(initial, state, changes)
    usage = Usage(cost_usd=0.0) if usage_known else None
    return ExtractionResult(extracted, operations=operations, usage=usage, steps=steps)
