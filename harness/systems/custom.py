"""Your own memory system as the system under test: an object or a function, adapted.

Two shapes are accepted (see :func:`as_system`):

- **a memory manager object** with the LangMem-style interface: ``ainvoke(input)`` and/or
  ``invoke(input)`` taking ``{"messages": [...], "existing": [(id, content), ...]}``. Its result
  is this project's :class:`~harness.memory.manager.ExtractionResult` (operations reported as
  they are) or LangMem's list of changed memories (``(id, content)``, ``RemoveDoc`` for deletes),
  from which the operations are derived by diffing against the memories it was shown;
- **a function** ``fn(session, memories)`` (async, or sync: then it runs in a worker thread).
  ``session`` is a :class:`Session` (the messages and date of one replayed session);
  ``memories`` is a dict ``id -> content`` of the memories it is shown (a string for
  ``Memory``, a dict for a structured schema). It returns operations
  (``[{"op": "insert", "content": ...}, {"op": "update", "id": ..., "content": ...},
  {"op": "delete", "id": ...}]``) or the new state of those memories (a dict
  ``id -> content``; a missing id is a delete, a new id an insert). ``None`` or ``[]``
  changes nothing.

Either way the system sees what an LLM manager would see: the memories the store manager
retrieved for the session (``--query-limit``), and its decisions are applied to the run's store.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from harness.baselines.registry import Baseline, SchemasArg, _entries, _result
from harness.errors import ConfigurationError
from harness.memory._existing import Entry
from harness.memory._input import read_input
from harness.memory._prompt import Turn, fingerprint, normalise_messages
from harness.memory.manager import ExtractionResult, MemoryManager
from harness.memory.schemas import Memory
from harness.systems import _convert

__all__ = ["CallableSystem", "ManagerSystem", "Session", "as_system", "check_system"]

OpsSource = Literal["reported", "diffed", "reported or diffed"]
_INPUT_KEYS = frozenset({"messages", "existing", "max_steps", "date"})


@dataclass(frozen=True)
class Session:
    """One replayed session as a function-style system receives it."""

    messages: list[dict[str, Any]]
    """``{"id", "role", "content"}`` (plus ``"name"`` for a named speaker), in order."""
    date: str | None = None
    """The session's ISO 8601 date, when the dataset gives one."""


class AdaptedSystem(Baseline):
    """An adapted system: reads the store manager's input and returns an ExtractionResult.

    ``operations`` says how its operations are known: ``reported`` by the system, ``diffed``
    (derived by comparing the memories it was shown with what it returned), or either, call by
    call. It is recorded with the run.
    """

    name = "custom"
    operations: OpsSource = "diffed"
    usage_known: bool = True  # False: it calls models the harness does not count (usage None)

    def __init__(self, schemas: SchemasArg = (Memory,), *, label: str = "custom") -> None:
        super().__init__(schemas)
        self.label = label

    async def ainvoke(self, input: Mapping[str, Any] | Any) -> ExtractionResult:
        messages, existing, date = read_input(input, _INPUT_KEYS, "date", ("existing", "date"))
        turns = normalise_messages(messages)
        entries = _entries(existing, self.schema_map)
        seed = fingerprint(turns, entries, self.schema_map, date=date)
        return await self._decide(turns, entries, date, seed)

    async def _decide(
        self, turns: tuple[Turn, ...], entries: tuple[Entry, ...], date: str | None, seed: str
    ) -> ExtractionResult:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What the run records about the system."""
        return {"name": self.label, "operations": self.operations}

    def finish(self, entries: Sequence[Entry], changes: Sequence[Any]) -> ExtractionResult:
        """The result of applying ``changes`` to ``entries``."""
        final = {entry.id: entry for entry in entries}
        for change in changes:
            if change.value is None:
                final.pop(change.id, None)
            else:
                final[change.id] = Entry.of(change.id, change.value)
        return _result(entries, final, changes, steps=1, usage_known=self.usage_known)


class CallableSystem(AdaptedSystem):
    """A function ``fn(session, memories)`` returning operations or the new state."""

    operations: OpsSource = "reported or diffed"

    def __init__(self, fn: Any, schemas: SchemasArg = (Memory,), *, name: str | None = None):
        super().__init__(schemas, label=name or _qualname(fn))
        self.fn = fn

    def __repr__(self) -> str:
        return f"CallableSystem({self.label})"

    async def _decide(
        self, turns: tuple[Turn, ...], entries: tuple[Entry, ...], date: str | None, seed: str
    ) -> ExtractionResult:
        session = Session([_message(turn) for turn in turns], date)
        memories = {entry.id: _plain(entry) for entry in entries}
        if _is_async(self.fn):
            returned = await self.fn(session, memories)
        else:  # off the event loop, so a slow function does not hold up the other cases
            returned = await asyncio.to_thread(self.fn, session, memories)
            if inspect.isawaitable(returned):
                returned = await returned
        if returned is None or (isinstance(returned, list | tuple) and not returned):
            return self.finish(entries, [])
        shown = _convert.Shown(entries, self.schema_map, seed, f"{self.label}(...) returned")
        if _convert.is_operation_list(returned):
            changes = _convert.changes_from_ops(returned, shown)
        else:
            changes = _convert.changes_from_state(returned, shown)
        return self.finish(entries, changes)


class ManagerSystem(AdaptedSystem):
    """An object with LangMem-style ``invoke``/``ainvoke({"messages", "existing"})``."""

    operations: OpsSource = "reported or diffed"

    def __init__(self, manager: Any, schemas: SchemasArg = (Memory,), *, name: str | None = None):
        super().__init__(schemas, label=name or type(manager).__name__)
        self.manager = manager

    def __repr__(self) -> str:
        return repr(self.manager)

    async def ainvoke(self, input: Mapping[str, Any] | Any) -> ExtractionResult:
        if _reports_operations(self.manager) and isinstance(input, Mapping):
            return await self.manager.ainvoke(input)  # this project's own managers
        return await super().ainvoke(input)

    async def _decide(
        self, turns: tuple[Turn, ...], entries: tuple[Entry, ...], date: str | None, seed: str
    ) -> ExtractionResult:
        request = {
            "messages": [_message(turn) for turn in turns],
            "existing": [(entry.id, entry.value) for entry in entries],
        }
        if hasattr(self.manager, "ainvoke"):
            returned = await self.manager.ainvoke(request)
        else:
            returned = await asyncio.to_thread(self.manager.invoke, request)
        if isinstance(returned, ExtractionResult):
            return returned
        if returned is None:
            return self.finish(entries, [])
        shown = _convert.Shown(
            entries, self.schema_map, seed, f"{self.label}.ainvoke(...) returned"
        )
        if _convert.is_operation_list(returned):
            changes = _convert.changes_from_ops(returned, shown)
        else:
            changes = _convert.changes_from_memories(returned, shown)
        return self.finish(entries, changes)


def as_system(system: Any, schemas: SchemasArg = (Memory,), *, name: str | None = None) -> Any:
    """``system`` adapted to the store manager's extractor interface (see the module docstring).

    A :class:`~harness.baselines.registry.Baseline` (adapted systems included) is returned as
    it is; ConfigurationError says what is wrong with anything else.
    """
    if isinstance(system, Baseline):
        return system
    shape = check_system(system, name or _qualname(system))
    if shape == "manager":
        return ManagerSystem(system, schemas, name=name)
    return CallableSystem(system, schemas, name=name)


def check_system(system: Any, label: str) -> Literal["manager", "callable"]:
    """Which shape ``system`` has; ConfigurationError naming ``label`` when it has neither."""
    if isinstance(system, Baseline):
        return "manager"
    if isinstance(system, type):
        raise ConfigurationError(
            f"{label} is a class; give an instance (module:attr naming an object), a memory "
            "manager or a function fn(session, memories)"
        )
    if callable(getattr(system, "ainvoke", None)) or callable(getattr(system, "invoke", None)):
        return "manager"
    if not callable(system):
        raise ConfigurationError(
            f"{label} ({type(system).__name__}) is neither a memory manager (an object with "
            "invoke/ainvoke({'messages', 'existing'})) nor a function fn(session, memories)"
        )
    try:
        inspect.signature(system).bind(None, None)
    except TypeError:
        raise ConfigurationError(
            f"{label} has the wrong signature {_signature(system)}: a memory system function "
            "takes (session, memories)"
        ) from None
    except ValueError:
        pass  # no signature available (some builtins): accept it and let the call tell
    return "callable"


def _is_async(fn: Any) -> bool:
    call = type(fn).__call__ if not inspect.isroutine(fn) else None
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


def _reports_operations(manager: Any) -> bool:
    """This project's managers take the store manager's input as it is and report operations."""
    return isinstance(manager, MemoryManager)


def _message(turn: Turn) -> dict[str, Any]:
    message = {"id": turn.id, "role": turn.role, "content": turn.text}
    if turn.name:
        message["name"] = turn.name
    return message


def _plain(entry: Entry) -> Any:
    """A ``Memory`` as its string, any other schema as its dict."""
    if entry.kind == "Memory" and set(entry.content) == {"content"}:
        return entry.content["content"]
    return dict(entry.content)


def _qualname(obj: Any) -> str:
    name = getattr(obj, "__qualname__", None) or type(obj).__name__
    module = getattr(obj, "__module__", None)
    return f"{module}:{name}" if module and module != "__main__" else str(name)


def _signature(fn: Any) -> str:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(?)"
