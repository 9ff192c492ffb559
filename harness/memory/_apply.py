"""The manager's decisions, as pure functions over plain data.

:func:`apply_calls` takes the current memories, one batch of tool calls and the toolset, and
returns the new memories plus what happened to each call (applied, rejected by policy, or invalid
and worth a repair). :func:`summarise` turns the initial memories and the changes of a whole
invocation into the result list and one explicit operation record per memory.

The model never sees real ids: memories are shown under short handles ("1", "2", ...), which cost
a fraction of the tokens of a UUID and are hard to mistype. Handles map back to real ids here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from harness.memory._existing import Entry, format_validation_error
from harness.memory._tools import ID_FIELD, SOURCES_FIELD, Toolset
from harness.memory.schemas import ExtractedMemory, MemoryOperation, RejectedCall, RemoveDoc
from harness.models.types import ToolCall

ChangeOp = Literal["insert", "update", "delete"]


@dataclass(frozen=True, slots=True)
class State:
    """Live memories by real id (in order), and the handle <-> id maps (deleted ones included)."""

    entries: Mapping[str, Entry]
    ids: Mapping[str, str]  # handle -> real id
    handles: Mapping[str, str]  # real id -> handle
    inserted: int = 0

    @classmethod
    def initial(cls, entries: Sequence[Entry]) -> State:
        handles = {entry.id: str(number) for number, entry in enumerate(entries, 1)}
        return cls(
            entries={entry.id: entry for entry in entries},
            ids={handle: id_ for id_, handle in handles.items()},
            handles=handles,
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One applied call: the memory it touched and the value after it (None for deletes)."""

    op: ChangeOp
    id: str
    kind: str
    value: BaseModel | None
    step: int
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InvalidCall:
    """A call whose arguments are not valid JSON or do not validate: a repair candidate."""

    call_id: str
    name: str
    error: str


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of one batch: new state, changes, rejections, invalid calls, tool replies."""

    state: State
    changes: tuple[Change, ...] = ()
    rejected: tuple[RejectedCall, ...] = ()
    invalid: tuple[InvalidCall, ...] = ()
    replies: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class _Batch:
    state: State
    step: int
    changes: list[Change] = field(default_factory=list)
    rejected: list[RejectedCall] = field(default_factory=list)
    invalid: list[InvalidCall] = field(default_factory=list)
    replies: list[tuple[str, str]] = field(default_factory=list)


class _Rejected(Exception):
    pass


class _Invalid(Exception):
    pass


def apply_calls(
    state: State,
    calls: Sequence[ToolCall],
    toolset: Toolset,
    *,
    step: int,
    new_id: Callable[[int], str],
    message_ids: Collection[str],
) -> Applied:
    """Apply ``calls`` in order. ``new_id(n)`` names the n-th insert (0-based) of the run."""
    batch = _Batch(state, step)
    for call in calls:
        try:
            reply = _apply_one(batch, call, toolset, new_id, message_ids)
        except _Rejected as exc:
            reason = str(exc)
            batch.rejected.append(
                RejectedCall(name=call.name, arguments=call.arguments, reason=reason, step=step)
            )
            reply = f"rejected: {reason}"
        except _Invalid as exc:
            batch.invalid.append(InvalidCall(call.id, call.name, str(exc)))
            reply = f"invalid arguments: {exc}. Call {call.name} again with corrected arguments."
        batch.replies.append((call.id, reply))
    return Applied(
        batch.state,
        tuple(batch.changes),
        tuple(batch.rejected),
        tuple(batch.invalid),
        tuple(batch.replies),
    )


def _apply_one(
    batch: _Batch,
    call: ToolCall,
    toolset: Toolset,
    new_id: Callable[[int], str],
    message_ids: Collection[str],
) -> str:
    action = toolset.actions.get(call.name)
    if action is None:
        raise _Rejected(f"unknown tool {call.name!r}")
    if call.name not in toolset.offered:
        raise _Rejected(f"{call.name} was not offered: {action.action}s are disabled")
    if call.arguments_error is not None:
        raise _Invalid(f"arguments are not a JSON object ({call.arguments_error})")
    state = batch.state
    args = call.arguments
    if action.action == "insert":
        value = _validate(action.schema, args)
        id_ = new_id(state.inserted)
        handle = str(len(state.ids) + 1)
        entries = {**state.entries, id_: Entry.of(id_, value)}
        batch.state = State(
            entries, {**state.ids, handle: id_}, {**state.handles, id_: handle}, state.inserted + 1
        )
        sources = _sources(args, message_ids)
        batch.changes.append(Change("insert", id_, action.kind, value, batch.step, sources))  # type: ignore[arg-type]
        return f"inserted {handle}"
    handle, id_ = _target(state, args)
    current = state.entries[id_]
    if action.action == "delete":
        entries = {key: entry for key, entry in state.entries.items() if key != id_}
        batch.state = replace(state, entries=entries)
        sources = _sources(args, message_ids)
        change = Change("delete", id_, current.kind, None, batch.step, sources)
        batch.changes.append(change)
        return f"deleted {handle}"
    if current.kind != action.kind:
        other = toolset.update_tool(current.kind)
        hint = f"; use {other}" if other else ""
        raise _Rejected(f"memory {handle} is a {current.kind}, not a {action.kind}{hint}")
    value = _validate(action.schema, args)
    batch.state = replace(state, entries={**state.entries, id_: Entry.of(id_, value)})
    sources = _sources(args, message_ids)
    batch.changes.append(Change("update", id_, current.kind, value, batch.step, sources))
    return f"updated {handle}"


def _target(state: State, args: Mapping[str, Any]) -> tuple[str, str]:
    raw = args.get(ID_FIELD)
    if raw is None or isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _Invalid(f"{ID_FIELD}: a memory id (string) is required")
    handle = str(raw).strip().strip("[]")
    id_ = state.ids.get(handle)
    if id_ is None:
        raise _Rejected(f"no memory with id {handle!r}")
    if id_ not in state.entries:
        raise _Rejected(f"memory {handle} was already deleted")
    return handle, id_


def _validate(schema: type[BaseModel] | None, args: Mapping[str, Any]) -> BaseModel:
    assert schema is not None
    fields = {key: value for key, value in args.items() if key not in (ID_FIELD, SOURCES_FIELD)}
    try:
        return schema.model_validate(fields)
    except ValidationError as exc:
        raise _Invalid(format_validation_error(exc)) from exc


def _sources(args: Mapping[str, Any], message_ids: Collection[str]) -> tuple[str, ...]:
    """The cited message ids that name messages of this conversation (user or assistant).

    Nothing is invented: a call citing no known message has no sources, and retrieval scoring
    counts such a memory as unsourced."""
    given = args.get(SOURCES_FIELD)
    if isinstance(given, str):
        given = [given]
    if isinstance(given, list):
        return tuple(dict.fromkeys(str(item) for item in given if str(item) in message_ids))
    return ()


def summarise(
    initial: Sequence[Entry], final: State, changes: Sequence[Change]
) -> tuple[list[ExtractedMemory], list[MemoryOperation]]:
    """The result list and one operation per memory, collapsing repeated changes of one id.

    Order: existing memories in their given order, then new ones in insertion order. An insert
    later deleted in the same invocation leaves no trace (it never existed for the caller).
    """
    by_id: dict[str, list[Change]] = {}
    for change in changes:
        by_id.setdefault(change.id, []).append(change)
    initial_ids = {entry.id for entry in initial}
    extracted: list[ExtractedMemory] = []
    operations: list[MemoryOperation] = []
    for entry in initial:
        history = by_id.get(entry.id)
        if not history:
            operations.append(
                MemoryOperation(
                    op="none",
                    id=entry.id,
                    kind=entry.kind,
                    before=entry.content,
                    after=entry.content,
                )
            )
            continue
        op = _record(entry.id, entry.kind, entry.content, final, history)
        operations.append(op)
        extracted.append(_extracted(entry.id, final, op))
    for id_, history in by_id.items():
        if id_ in initial_ids or id_ not in final.entries:
            continue
        op = _record(id_, history[0].kind, None, final, history)
        operations.append(op)
        extracted.append(_extracted(id_, final, op))
    return extracted, operations


def _record(
    id_: str, kind: str, before: dict[str, Any] | None, final: State, history: Sequence[Change]
) -> MemoryOperation:
    entry = final.entries.get(id_)
    if before is None:
        op: str = "insert"
    else:
        op = "update" if entry is not None else "delete"
    sources = dict.fromkeys(source for change in history for source in change.sources)
    return MemoryOperation(
        op=op,  # type: ignore[arg-type]
        id=id_,
        kind=kind,
        before=before,
        after=entry.content if entry is not None else None,
        step=history[-1].step,
        source=list(sources),
    )


def _extracted(id_: str, final: State, op: MemoryOperation) -> ExtractedMemory:
    entry = final.entries.get(id_)
    content = entry.value if entry is not None else RemoveDoc(json_doc_id=id_)
    return ExtractedMemory(id_, content, op)
