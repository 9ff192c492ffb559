"""Rules that need a whole case: the labels must describe a replay that could actually happen.

Field-level rules live in the pydantic models. Here every problem is ``(field path, reason)``,
paths relative to the case (``sessions[1].expected[0].id``). The checks walk the sessions in order
and keep the memory state the gold ops imply, so a target is judged at *its* point of the replay:

- message ids are unique within the case; op ``source`` ids name messages of this or an earlier
  session;
- existing memory ids and insert refs are unique (one namespace: queries may name either);
- an update/delete names an ``id`` from ``existing`` or the ``ref`` of an insert from an *earlier*
  session (a manager only sees what exists when a session starts), not deleted before, and at most
  one op per memory per session;
- ``schema``/``kind`` name known schemas and every content validates against its schema;
- an insert/update content passes its own ``require``/``forbid`` key terms;
- query ``relevant`` names memories alive after the last session; ``relevant_messages`` names
  messages of the case, ``relevant_sessions`` sessions of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.data.keyterms import check_key_terms
from harness.data.models import Case, GoldOp
from harness.data.schemas import SchemaRegistry
from harness.memory.schemas import memory_text

Problem = tuple[str, str]


@dataclass
class _Memory:
    kind: str
    where: str
    session: int
    deleted_at: str | None = None
    is_ref: bool = False
    optional: bool = False


@dataclass
class _Replay:
    case: Case
    schemas: SchemaRegistry
    problems: list[Problem] = field(default_factory=list)
    memories: dict[str, _Memory] = field(default_factory=dict)
    messages: dict[str, tuple[int, str]] = field(default_factory=dict)
    future_refs: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, reason: str) -> None:
        self.problems.append((path, reason))

    def known_kind(self, kind: str | None, path: str) -> str | None:
        """The schema an item uses, or ``None`` when it names an unknown one (reported here)."""
        name = kind or self.case.schema_
        if name in self.schemas:
            return name
        if kind is not None:
            self.add(path, self.schemas.unknown(name))
        return None

    def check_content(self, kind: str | None, content: Any, path: str) -> None:
        if kind is None:
            return
        for sub, reason in self.schemas.validate(kind, content):
            self.add(f"{path}.{sub}" if sub else path, reason)


def check_case(case: Case, schemas: SchemaRegistry) -> list[Problem]:
    """Every cross-field problem of one (field-valid) case, in replay order."""
    replay = _Replay(case, schemas)
    if case.schema_ not in schemas:
        replay.add("schema", schemas.unknown(case.schema_))
    _index_messages(replay)
    _check_existing(replay)
    _index_refs(replay)
    for number, session in enumerate(case.sessions):
        touched: dict[str, str] = {}
        for index, op in enumerate(session.expected):
            path = f"sessions[{number}].expected[{index}]"
            _check_sources(replay, op, number, path)
            if op.op == "insert":
                _apply_insert(replay, op, number, path)
            else:
                _apply_change(replay, op, number, path, touched)
    _check_queries(replay)
    return replay.problems


def _index_messages(replay: _Replay) -> None:
    for number, session in enumerate(replay.case.sessions):
        for index, message in enumerate(session.messages):
            path = f"sessions[{number}].messages[{index}].id"
            first = replay.messages.get(message.id)
            if first is not None:
                replay.add(path, f"duplicate message id '{message.id}' (first at {first[1]})")
            else:
                replay.messages[message.id] = (number, path)


def _check_existing(replay: _Replay) -> None:
    for index, memory in enumerate(replay.case.existing):
        path = f"existing[{index}]"
        first = replay.memories.get(memory.id)
        if first is not None:
            replay.add(f"{path}.id", f"duplicate memory id '{memory.id}' (first at {first.where})")
            continue
        kind = replay.known_kind(memory.kind, f"{path}.kind")
        replay.check_content(kind, memory.content, f"{path}.content")
        name = kind or memory.kind or replay.case.schema_
        replay.memories[memory.id] = _Memory(name, f"{path}.id", session=-1)


def _index_refs(replay: _Replay) -> None:
    for number, session in enumerate(replay.case.sessions):
        for index, op in enumerate(session.expected):
            if op.op == "insert" and op.ref is not None:
                replay.future_refs.setdefault(op.ref, f"sessions[{number}].expected[{index}].ref")


def _check_sources(replay: _Replay, op: GoldOp, number: int, path: str) -> None:
    for index, message_id in enumerate(op.source):
        found = replay.messages.get(message_id)
        if found is None:
            replay.add(f"{path}.source[{index}]", f"no message with id '{message_id}' in this case")
        elif found[0] > number:
            replay.add(
                f"{path}.source[{index}]",
                f"message '{message_id}' is in a later session ({found[1]})",
            )


def _apply_insert(replay: _Replay, op: GoldOp, number: int, path: str) -> None:
    ref = op.ref or ""
    first = replay.memories.get(ref)
    if first is not None:
        what = "used as a ref" if first.is_ref else "the id of an existing memory"
        replay.add(f"{path}.ref", f"'{ref}' is already {what} (at {first.where})")
    kind = replay.known_kind(op.kind, f"{path}.kind")
    replay.check_content(kind, op.content, f"{path}.content")
    _check_key_terms(replay, op, path)
    if first is None:
        name = kind or op.kind or replay.case.schema_
        replay.memories[ref] = _Memory(
            name, f"{path}.ref", session=number, is_ref=True, optional=op.optional
        )


def _apply_change(
    replay: _Replay, op: GoldOp, number: int, path: str, touched: dict[str, str]
) -> None:
    memory = _resolve_target(replay, op, number, path)
    if memory is None:
        return
    target = op.target
    field_path = f"{path}.{'id' if op.id is not None else 'ref'}"
    if memory.deleted_at is not None:
        replay.add(field_path, f"memory '{target}' was already deleted (at {memory.deleted_at})")
        return
    if target in touched:
        replay.add(
            field_path,
            f"memory '{target}' already has an op in this session (at {touched[target]}); "
            "a session gives each memory at most one op",
        )
        return
    touched[target] = path
    if op.op == "delete":
        memory.deleted_at = path
        return
    if op.kind is not None and op.kind != memory.kind:
        replay.add(f"{path}.kind", f"'{op.kind}' differs from the target's schema '{memory.kind}'")
        return
    kind = memory.kind if memory.kind in replay.schemas else None
    replay.check_content(kind, op.content, f"{path}.content")
    _check_key_terms(replay, op, path)


def _resolve_target(replay: _Replay, op: GoldOp, number: int, path: str) -> _Memory | None:
    """The memory an update/delete names, or ``None`` after reporting why it cannot be one."""
    if op.id is not None:
        memory = replay.memories.get(op.id)
        if memory is None or memory.is_ref:
            hint = " (it is an insert's ref: name it with 'ref')" if memory else ""
            ids = ", ".join(m.id for m in replay.case.existing) or "none"
            replay.add(f"{path}.id", f"no existing memory has id '{op.id}'{hint} (ids: {ids})")
            return None
        return memory
    ref = op.ref or ""
    memory = replay.memories.get(ref)
    if memory is not None and not memory.is_ref:
        replay.add(f"{path}.ref", f"'{ref}' is an existing memory's id: name it with 'id'")
        return None
    if memory is None:
        later = replay.future_refs.get(ref)
        reason = (
            f"ref '{ref}' is used before its insert (at {later})"
            if later
            else f"no insert defines ref '{ref}'"
        )
        replay.add(f"{path}.ref", reason)
        return None
    if memory.optional:
        replay.add(
            f"{path}.ref",
            f"ref '{ref}' is an optional insert (at {memory.where}); a later op cannot depend on "
            "a memory that need not exist",
        )
        return None
    if memory.session == number:
        replay.add(
            f"{path}.ref",
            f"ref '{ref}' is inserted in this same session (at {memory.where}); a session can only "
            "change memories that exist when it starts",
        )
        return None
    return memory


def _check_key_terms(replay: _Replay, op: GoldOp, path: str) -> None:
    """The gold content must pass its own key terms (the scorer's rule), or nothing ever could."""
    if not op.require and not op.forbid:
        return
    text = memory_text(op.content)
    filled = all(_filled(item) for item in op.require) and all(t.strip() for t in op.forbid)
    if filled and check_key_terms(text, op.require, op.forbid).ok:
        return
    for index, item in enumerate(op.require):
        options = [item] if isinstance(item, str) else item
        if not options or not all(option.strip() for option in options):
            replay.add(f"{path}.require[{index}]", "empty key term")
        elif not check_key_terms(text, require=[item]).ok:
            shown = " or ".join(f"'{o}'" for o in options)
            replay.add(
                f"{path}.require[{index}]",
                f"the op's own content lacks {shown}, so even a perfect prediction would fail",
            )
    for index, term in enumerate(op.forbid):
        if not term.strip():
            replay.add(f"{path}.forbid[{index}]", "empty key term")
        elif not check_key_terms(text, forbid=[term]).ok:
            replay.add(f"{path}.forbid[{index}]", f"the op's own content contains '{term}'")


def _filled(item: str | list[str]) -> bool:
    options = [item] if isinstance(item, str) else item
    return bool(options) and all(option.strip() for option in options)


def _check_queries(replay: _Replay) -> None:
    seen: dict[str, str] = {}
    for number, query in enumerate(replay.case.queries):
        path = f"queries[{number}]"
        if query.id is not None:
            if query.id in seen:
                first = seen[query.id]
                replay.add(f"{path}.id", f"duplicate query id '{query.id}' (first at {first})")
            seen.setdefault(query.id, f"{path}.id")
        for index, target in enumerate(query.relevant):
            memory = replay.memories.get(target)
            where = f"{path}.relevant[{index}]"
            if memory is None:
                replay.add(where, f"no existing memory id or insert ref '{target}'")
            elif memory.deleted_at is not None:
                reason = f"'{target}' is deleted (at {memory.deleted_at}) before the queries run"
                replay.add(where, reason)
            elif memory.optional:
                reason = f"'{target}' is an optional insert (at {memory.where}); a query cannot "
                replay.add(where, reason + "depend on a memory that need not exist")
        for index, message_id in enumerate(query.relevant_messages):
            if message_id not in replay.messages:
                replay.add(
                    f"{path}.relevant_messages[{index}]",
                    f"no message with id '{message_id}' in this case",
                )
        session_ids = {session.id for session in replay.case.sessions if session.id}
        for index, session_id in enumerate(query.relevant_sessions):
            if session_id not in session_ids:
                replay.add(
                    f"{path}.relevant_sessions[{index}]",
                    f"no session with id '{session_id}' in this case",
                )
