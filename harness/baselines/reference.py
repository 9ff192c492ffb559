"""Reference systems: a floor and a ceiling for answer-level benchmarks, answered like any system.

- ``reference/full-context``: stores nothing; the answer model sees the whole conversation (every
  turn with its session date and speaker). The usual ceiling of memory systems.
- ``reference/no-memory``: stores nothing and shows nothing; the answer model sees the question
  alone. The floor: what the answer model guesses.
- ``reference/raw-turns``: every turn is stored verbatim as a memory (no extraction), then
  searched like any system's store. What retrieval alone achieves.
"""

from __future__ import annotations

import uuid
from typing import Any

from harness.baselines.registry import Baseline, NoopBaseline, _entries, _result
from harness.errors import ConfigurationError
from harness.memory._apply import Change
from harness.memory._existing import ID_NAMESPACE, Entry
from harness.memory._prompt import Turn
from harness.memory.manager import ExtractionResult
from harness.memory.schemas import Memory

__all__ = ["REFERENCE_CONTEXT", "REFERENCE_NAMES", "RawTurnsBaseline", "get_reference"]

REFERENCE_CONTEXT: dict[str, str] = {
    "reference/full-context": "conversation",
    "reference/no-memory": "none",
    "reference/raw-turns": "memories",
}
"""Reference system -> what its answers are given: the conversation, nothing, or its memories."""
REFERENCE_NAMES: tuple[str, ...] = tuple(sorted(REFERENCE_CONTEXT))


class RawTurnsBaseline(Baseline):
    """Inserts every turn verbatim as a ``Memory`` whose source is that turn."""

    name = "reference/raw-turns"

    async def _extract(self, turns: tuple[Turn, ...], existing: Any, gold: Any) -> ExtractionResult:
        if "Memory" not in self.schema_map:
            raise ConfigurationError(f"{self.name} stores plain Memory items; the case uses "
                                     f"{', '.join(self.schema_map)}")  # fmt: skip
        entries = _entries(existing, self.schema_map)
        final = {entry.id: entry for entry in entries}
        changes = []
        for turn in turns:
            if not turn.text.strip():
                continue
            memory_id = str(uuid.uuid5(ID_NAMESPACE, f"raw-turns:{turn.id}:{turn.text}"))
            value = Memory(content=turn.text)
            changes.append(Change("insert", memory_id, "Memory", value, 1, (turn.id,)))
        for change in changes:
            final[change.id] = Entry.of(change.id, change.value)  # type: ignore[arg-type]
        return _result(entries, final, changes, steps=1)


def get_reference(name: str, schemas: Any = (Memory,)) -> Baseline:
    """The extractor side of reference system ``name``."""
    if name not in REFERENCE_CONTEXT:
        raise ConfigurationError(
            f"unknown reference system {name!r}; known: {', '.join(REFERENCE_NAMES)}"
        )
    if name == "reference/raw-turns":
        return RawTurnsBaseline(schemas)
    return NoopBaseline(schemas)
