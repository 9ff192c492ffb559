"""Replaying a case's gold ops into the memory state they describe.

The same replay serves three readers: scoring (final-state F1 compares against the last state),
the oracle baseline (it emits the ops that lead from one state to the next), and the runner's
gold-state mode (it resets the store to the state before each session).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from harness.data.models import Case, GoldOp
from harness.errors import DatasetError
from harness.memory.schemas import memory_text
from harness.scoring.matchers import GoldSide


@dataclass(frozen=True)
class GoldMemory:
    """One memory of the gold state, keyed by its existing id or its insert ref.

    ``require``/``forbid`` come from the op that last wrote the memory (none for an untouched
    existing memory); ``source`` collects the message ids of every op that wrote it.
    ``optional`` is set when the memory's presence is optional (an optional insert, or an
    optional delete of it); ``alternatives`` holds earlier contents that remain acceptable
    because an optional update may or may not have been applied.
    """

    key: str
    content: str | dict[str, Any]
    kind: str
    require: tuple[str | tuple[str, ...], ...] = ()
    forbid: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    optional: bool = False
    alternatives: tuple[GoldSide, ...] = ()

    @property
    def text(self) -> str:
        return memory_text(self.content)

    @cached_property
    def side(self) -> GoldSide:
        """The content with its key terms, as matchers take it."""
        return GoldSide.of(self.text, self.require, self.forbid)

    @cached_property
    def sides(self) -> tuple[GoldSide, ...]:
        """Every acceptable version: the current content first, then the alternatives."""
        return (self.side, *self.alternatives)


@dataclass(frozen=True)
class GoldState:
    """The gold memories before session ``session`` (``session == len(case.sessions)``: final)."""

    session: int
    memories: Mapping[str, GoldMemory] = field(default_factory=dict)

    @property
    def required(self) -> list[GoldMemory]:
        return [memory for memory in self.memories.values() if not memory.optional]


def gold_states(case: Case) -> list[GoldState]:
    """The state before each session and, last, the final state (``len(sessions) + 1`` items)."""
    memories: dict[str, GoldMemory] = {
        memory.id: GoldMemory(
            key=memory.id, content=memory.content, kind=memory.kind or case.schema_
        )
        for memory in case.existing
    }
    states = [GoldState(session=0, memories=dict(memories))]
    for s, session in enumerate(case.sessions):
        for o, op in enumerate(session.expected):
            _apply(memories, op, case, where=f"case {case.id!r}, session {s}, op {o}")
        states.append(GoldState(session=s + 1, memories=dict(memories)))
    return states


def _apply(memories: dict[str, GoldMemory], op: GoldOp, case: Case, *, where: str) -> None:
    key = op.target
    if op.op == "insert":
        if key in memories:
            raise DatasetError(f"{where}: insert ref {key!r} is already a memory")
        memories[key] = GoldMemory(
            key=key,
            content=op.content,  # type: ignore[arg-type]
            kind=op.kind or case.schema_,
            require=GoldSide.of("", op.require).require,
            forbid=tuple(op.forbid),
            source=tuple(op.source),
            optional=op.optional,
        )
        return
    previous = memories.get(key)
    if previous is None:
        raise DatasetError(f"{where}: {op.op} targets {key!r}, which is not a memory at this point")
    if op.op == "delete":
        if op.optional:
            memories[key] = replace(previous, optional=True)
        else:
            del memories[key]
        return
    memories[key] = replace(
        previous,
        content=op.content,  # type: ignore[arg-type]
        kind=op.kind or previous.kind,
        require=GoldSide.of("", op.require).require,
        forbid=tuple(op.forbid),
        source=tuple(dict.fromkeys((*previous.source, *op.source))),
        optional=previous.optional and op.optional,
        alternatives=previous.sides if op.optional else (),
    )
