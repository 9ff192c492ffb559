"""One call of a store manager: its input, its working memories, its stages, and its result.

A :class:`Call` starts from the retrieved memories. Each stage (the default value, the main
extraction, each phase) shows the extractor the memories as earlier stages left them, plans the
writes with :func:`harness.memory._writes.plan_stage` and commits them in one store batch, so a
later failure never loses what earlier stages did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from harness.errors import ConfigurationError
from harness.memory._input import read_date
from harness.memory._prompt import Turn
from harness.memory._retrieval import Retrieved
from harness.memory._store_options import Extractor
from harness.memory._writes import Stored, StoreOperation, net_operations, plan_stage, raw_stored
from harness.memory.schemas import MemoryOperation, RejectedCall
from harness.memory.store.base import BaseStore, Item
from harness.models.types import Usage

DEFAULT_KEY = "default"
REVIEW_MESSAGE = {
    "id": "review",
    "role": "user",
    "content": "There is no new conversation this time. Review the memories above as instructed.",
}
_INPUT_KEYS = frozenset({"messages", "max_steps", "date"})


class StoreManagerResult(list[dict[str, Any]]):
    """The memories a call changed, as ``{"namespace", "key", "value"}`` (value None if deleted).

    ``operations`` lists every operation applied, in order (``stage`` says which part of the call
    made it); ``net_operations`` has one per changed memory (what the list items show).
    ``retrieved`` holds the items the extractor was shown and ``queries`` the searches that found
    them (empty when the namespace was small enough to show whole). ``rejected`` lists refused
    changes; ``usage`` sums every model call (query model included).
    """

    def __init__(
        self,
        namespace: tuple[str, ...],
        operations: Sequence[StoreOperation],
        *,
        retrieved: Sequence[Item] = (),
        queries: Sequence[str] = (),
        rejected: Sequence[RejectedCall] = (),
        usage: Usage | None = None,
    ):
        self.namespace = namespace
        self.operations = list(operations)
        self.net_operations = net_operations(self.operations)
        self.retrieved = list(retrieved)
        self.queries = list(queries)
        self.rejected = list(rejected)
        self.usage = usage or Usage()
        super().__init__(
            {"namespace": op.namespace, "key": op.id, "value": _value(op)}
            for op in self.net_operations
        )

    def __repr__(self) -> str:
        return f"StoreManagerResult({list.__repr__(self)})"


class Call:
    """The state of one ``ainvoke``: the working memories and everything done so far."""

    def __init__(
        self,
        store: BaseStore,
        namespace: tuple[str, ...],
        turns: Sequence[Turn],
        found: Retrieved,
        schemas: Mapping[str, type[BaseModel]],
        date: str | None = None,
    ) -> None:
        self.store = store
        self.date = date
        self.namespace = namespace
        self.found = found
        self.schemas = schemas
        self.state: dict[str, Stored] = {m.key: m for m in found.memories}
        self.message_ids = frozenset(turn.id for turn in turns)
        self.operations: list[StoreOperation] = []
        self.rejected: list[RejectedCall] = []
        self.usage = found.usage

    async def write_default(self, memory: tuple[str, dict[str, Any]]) -> None:
        """Persist the configured default under ``"default"`` (it comes from no message)."""
        kind, content = memory
        insert = MemoryOperation(op="insert", id=DEFAULT_KEY, kind=kind, after=content)
        await self._apply([insert], "default", (True, False), message_ids=())

    async def stage(
        self,
        name: str,
        extractor: Extractor,
        messages: Sequence[Any],
        extra: Mapping[str, Any],
        allow: tuple[bool, bool],
    ) -> None:
        """Run ``extractor`` over the working memories and apply what it decides."""
        existing = [(m.key, m.kind, m.content) for m in self.state.values()]
        result = await extractor.ainvoke({"messages": messages, "existing": existing, **extra})
        usage = getattr(result, "usage", None)
        if usage is not None:
            self.usage = usage if self.usage is None else self.usage + usage
        self.rejected.extend(getattr(result, "rejected", ()))
        await self._apply(getattr(result, "operations", ()), name, allow, self.message_ids)

    async def _apply(
        self,
        operations: Sequence[MemoryOperation],
        stage: str,
        allow: tuple[bool, bool],
        message_ids: Collection[str],
    ) -> None:
        await self._load_targets(operations)
        plan = plan_stage(
            self.namespace,
            self.state,
            operations,
            stage=stage,
            allow_inserts=allow[0],
            allow_deletes=allow[1],
            message_ids=message_ids,
            schemas=self.schemas,
            date=self.date,
        )
        if plan.writes:
            await self.store.aput_many(plan.writes)
        self.state = dict(plan.state)
        self.operations.extend(plan.operations)
        self.rejected.extend(plan.rejected)

    async def _load_targets(self, operations: Sequence[MemoryOperation]) -> None:
        """Add the live value of every key the operations name that the call has not seen yet.

        An extractor may name memories it was not shown (a baseline replaying known ids), and an
        insert's key may already be taken; either way the operation is reported against the
        memory really stored there.
        """
        keys = dict.fromkeys(op.id for op in operations if op.op != "none")
        unseen = [key for key in keys if key not in self.state]
        items = await asyncio.gather(*(self.store.aget(self.namespace, k) for k in unseen))
        for key, item in zip(unseen, items, strict=True):
            if item is not None:
                self.state[key] = raw_stored(key, item.value)

    def result(self) -> StoreManagerResult:
        return StoreManagerResult(
            self.namespace,
            self.operations,
            retrieved=self.found.items,
            queries=self.found.queries,
            rejected=self.rejected,
            usage=self.usage,
        )


def read_input(input: Any) -> tuple[Sequence[Any], int | None, str | None]:
    """``(messages, max_steps, date)`` from ``{"messages": [...], "max_steps"?: n, "date"?: iso}``
    or a plain message list; ``date`` is the conversation's data time (ISO 8601)."""
    if isinstance(input, list | tuple):
        return input, None, None
    if not isinstance(input, Mapping) or "messages" not in input:
        raise ConfigurationError(
            "input must be {'messages': [...]} (optionally with 'max_steps' and 'date'), got "
            f"{type(input).__name__}"
        )
    if "existing" in input:
        raise ConfigurationError(
            "the store manager reads existing memories from its store; do not pass 'existing'"
        )
    unknown = set(input) - _INPUT_KEYS
    if unknown:
        raise ConfigurationError(
            f"unknown input key(s) {sorted(unknown)}; expected 'messages', 'max_steps', 'date'"
        )
    return input["messages"], input.get("max_steps"), read_date(input.get("date"))


def with_ids(messages: Sequence[Any]) -> list[Any]:
    """Dict messages without an id get ``m<index>``, the id the memory manager would give them."""
    return [
        {**m, "id": f"m{i}"} if isinstance(m, Mapping) and m.get("id") in (None, "") else m
        for i, m in enumerate(messages)
    ]


def _value(op: StoreOperation) -> dict[str, Any] | None:
    if op.after is None:
        return None
    return {"kind": op.kind, "content": op.after, "source": list(op.source)}
