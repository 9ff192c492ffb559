"""The values a memory manager reads and returns."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

OpType = Literal["insert", "update", "delete", "none"]


class Memory(BaseModel):
    """The default, unstructured memory: one self-contained statement.

    Call it when you learn something about the user worth keeping across conversations: a
    preference, a fact, a plan, or a correction of something stored before.
    """

    content: str = Field(description="The memory as a short, self-contained statement.")


class RemoveDoc(BaseModel):
    """Marks a memory as deleted in a manager's result."""

    json_doc_id: str = Field(description="Id of the memory to delete.")


class MemoryOperation(BaseModel):
    """What happened to one memory in one manager call, so callers never have to diff states.

    ``kind`` is the schema name (``"Memory"``, ``"PreferenceMemory"``, ...). ``before`` and
    ``after`` are the content as plain JSON (``None`` where it does not apply). ``source`` lists the
    ids of the conversation messages the memory was derived from, when known.
    """

    model_config = ConfigDict(extra="forbid")

    op: OpType
    id: str
    kind: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    step: int = 0
    source: list[str] = Field(default_factory=list)


class RejectedCall(BaseModel):
    """A tool call the manager refused to apply, and why."""

    model_config = ConfigDict(extra="forbid")

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    reason: str
    step: int = 0


class _ExtractedMemoryFields(NamedTuple):
    id: str
    content: BaseModel


class ExtractedMemory(_ExtractedMemoryFields):
    """``(id, content)`` for one memory a manager inserted, updated or deleted.

    It unpacks like a pair, so results can be passed straight back as ``existing``. Deletions carry
    a :class:`RemoveDoc` as content. ``operation`` holds the explicit record of what happened.
    """

    operation: MemoryOperation | None

    def __new__(
        cls, id: str, content: BaseModel, operation: MemoryOperation | None = None
    ) -> ExtractedMemory:
        self = super().__new__(cls, id, content)
        self.operation = operation
        return self

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self.id, self.content, self.operation)

    def __repr__(self) -> str:
        return f"ExtractedMemory(id={self.id!r}, content={self.content!r})"


def memory_text(content: str | BaseModel | dict[str, Any] | None) -> str:
    """The one text form of a memory's content, used for embedding, matching and display.

    A plain string or a ``{"content": str}`` object is the string itself; a structured memory
    becomes ``field: value`` pairs joined by ``; `` in field order.
    """
    if content is None:
        return ""
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="json")
    if isinstance(content, str):
        return content
    if set(content) == {"content"} and isinstance(content["content"], str):
        return content["content"]
    return "; ".join(f"{key}: {_scalar_text(value)}" for key, value in content.items())


def _scalar_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_scalar_text(item) for item in value)
    if isinstance(value, dict):
        return memory_text(value)
    return "" if value is None else str(value)
