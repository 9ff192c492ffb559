"""``create_memory_manager``: decide which memories a conversation adds, changes or removes.

The manager shows the model the existing memories and the conversation, offers one tool per
enabled action and schema, and applies the calls it gets back (see :mod:`harness.memory._apply`).
Everything it needs is computed once at creation; a call keeps its state in local variables, so
one manager serves any number of concurrent calls.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Required, TypedDict

from pydantic import BaseModel

from harness._async import run_sync
from harness.errors import ConfigurationError, InvalidModelOutputError
from harness.memory._apply import Applied, Change, State, apply_calls, summarise
from harness.memory._existing import ID_NAMESPACE, Entry, normalise_existing
from harness.memory._input import read_date, read_input
from harness.memory._prompt import (
    DEFAULT_INSTRUCTIONS,
    build_request,
    fingerprint,
    normalise_messages,
    system_prompt,
)
from harness.memory._tools import Toolset, build_toolset
from harness.memory.schemas import ExtractedMemory, Memory, MemoryOperation, RejectedCall
from harness.models import get_model
from harness.models.protocol import ChatModel
from harness.models.types import GenerateConfig, Message, ModelResponse, ToolSpec, Usage

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "ExtractionResult",
    "MemoryManager",
    "MemoryState",
    "create_memory_manager",
]

logger = logging.getLogger(__name__)


class MemoryState(TypedDict, total=False):
    """The input of :meth:`MemoryManager.ainvoke`."""

    messages: Required[Sequence[Any]]
    existing: Sequence[Any] | None
    max_steps: int | None


class ExtractionResult(list[ExtractedMemory]):
    """The memories a call inserted, updated or deleted, plus what else happened.

    The list holds existing memories that changed (in their given order; deletions carry a
    ``RemoveDoc``), then new ones. ``operations`` has one record per existing and per new memory,
    ``none`` included; ``rejected`` lists tool calls that were refused; ``usage`` sums all model
    calls (``None``: unknown, as for a peer system that calls its models itself, never zeros
    that were not counted); ``steps`` counts extraction steps run.
    """

    def __init__(
        self,
        memories: Sequence[ExtractedMemory] = (),
        *,
        operations: Sequence[MemoryOperation] = (),
        rejected: Sequence[RejectedCall] = (),
        usage: Usage | None = None,
        steps: int = 0,
    ):
        super().__init__(memories)
        self.operations = list(operations)
        self.rejected = list(rejected)
        self.usage = usage
        self.steps = steps

    def __repr__(self) -> str:
        return f"ExtractionResult({list.__repr__(self)}, steps={self.steps})"


@dataclass(frozen=True, slots=True)
class _Call:
    """What one invocation accumulates, kept off the (shared, immutable) manager."""

    seed: str
    message_ids: frozenset[str]
    changes: list[Change] = field(default_factory=list)
    rejected: list[RejectedCall] = field(default_factory=list)

    def new_id(self, n: int) -> str:
        return str(uuid.uuid5(ID_NAMESPACE, f"{self.seed}:{n}"))


@dataclass(frozen=True, slots=True, repr=False)
class MemoryManager:
    """Extracts memories from conversations; build it with :func:`create_memory_manager`."""

    model: ChatModel
    schemas: tuple[type[BaseModel], ...]
    instructions: str
    enable_inserts: bool
    enable_updates: bool
    enable_deletes: bool
    max_steps: int
    max_repairs: int
    config: GenerateConfig | None
    toolset: Toolset
    system: str

    @property
    def tools(self) -> tuple[ToolSpec, ...]:
        """The tools offered to the model on every call."""
        return self.toolset.specs

    def __repr__(self) -> str:
        kinds = ", ".join(s.__name__ for s in self.schemas)
        return f"MemoryManager(model={self.model.name!r}, schemas=[{kinds}])"

    async def __call__(
        self,
        messages: Sequence[Any],
        existing: Sequence[Any] | None = None,
        max_steps: int | None = None,
    ) -> ExtractionResult:
        return await self.ainvoke(
            {"messages": messages, "existing": existing, "max_steps": max_steps}
        )

    def invoke(self, input: MemoryState | Mapping[str, Any] | Any) -> ExtractionResult:
        """Sync twin of :meth:`ainvoke`."""
        return run_sync(self.ainvoke(input))

    async def ainvoke(self, input: MemoryState | Mapping[str, Any] | Any) -> ExtractionResult:
        """Extract memories from ``input["messages"]`` given ``input["existing"]``."""
        messages, existing, max_steps = _read_input(input)
        date = read_date(input.get("date")) if isinstance(input, Mapping) else None
        steps_allowed = self.max_steps if max_steps is None else _positive("max_steps", max_steps)
        turns = normalise_messages(messages)
        entries = normalise_existing(existing, self.toolset.schemas)
        state = State.initial(entries)
        if not turns:
            return _result(entries, state, [], [], Usage(), 0)
        call = _Call(
            fingerprint(turns, entries, self.toolset.schemas, date=date),
            frozenset(turn.id for turn in turns),
        )
        request = build_request(self.system, turns, entries, state.handles, date=date)
        usage: Usage | None = None
        steps = 0
        repairs_left = self.max_repairs
        while steps < steps_allowed:
            steps += 1
            response = await self._generate(request)
            usage = _add(usage, response.usage)
            if not response.tool_calls:
                break
            while True:
                applied = self._apply(call, state, response, steps)
                state = applied.state
                request = [*request, response.assistant_message(), *_tool_replies(applied)]
                if not applied.invalid:
                    break
                if repairs_left == 0:
                    raise self._invalid_output(applied)
                repairs_left -= 1
                response = await self._generate(request)
                usage = _add(usage, response.usage)
                if not response.tool_calls:
                    raise self._invalid_output(applied, gave_up=True)
        return _result(entries, state, call.changes, call.rejected, usage or Usage(), steps)

    async def _generate(self, request: list[Message]) -> ModelResponse:
        return await self.model.agenerate(request, tools=self.toolset.specs, config=self.config)

    def _apply(self, call: _Call, state: State, response: ModelResponse, step: int) -> Applied:
        applied = apply_calls(
            state,
            response.tool_calls,
            self.toolset,
            step=step,
            new_id=call.new_id,
            message_ids=call.message_ids,
        )
        call.changes.extend(applied.changes)
        call.rejected.extend(applied.rejected)
        for rejected in applied.rejected:
            logger.info("rejected %s call: %s", rejected.name, rejected.reason)
        return applied

    def _invalid_output(
        self, applied: Applied, *, gave_up: bool = False
    ) -> InvalidModelOutputError:
        problems = "; ".join(f"{bad.name}: {bad.error}" for bad in applied.invalid)
        after = (
            "and did not re-issue the call when asked to repair it"
            if gave_up
            else f"after {self.max_repairs} repair round(s)"
        )
        return InvalidModelOutputError(
            f"model {self.model.name!r} returned invalid tool arguments {after}: {problems}",
            model=self.model.name,
        )


def create_memory_manager(
    model: str | ChatModel,
    /,
    *,
    schemas: Sequence[type[BaseModel]] | type[BaseModel] = (Memory,),
    instructions: str = DEFAULT_INSTRUCTIONS,
    enable_inserts: bool = True,
    enable_updates: bool = True,
    enable_deletes: bool = False,
    max_steps: int = 1,
    max_repairs: int = 1,
    config: GenerateConfig | None = None,
) -> MemoryManager:
    """A manager that turns conversations into memory inserts, updates and deletes.

    ``model`` is a litellm model string (``"openai/gpt-4o-mini"``) or a :class:`ChatModel`.
    ``schemas`` are the memory types (one insert and one update tool each). ``max_steps`` lets
    the model see the outcome of its calls and continue; ``max_repairs`` bounds the rounds spent
    asking it to fix invalid arguments before :class:`InvalidModelOutputError` is raised.
    """
    if not isinstance(instructions, str) or not instructions.strip():
        raise ConfigurationError("instructions must be a non-empty string")
    if max_repairs < 0:
        raise ConfigurationError(f"max_repairs must be >= 0, got {max_repairs}")
    if config is not None and not isinstance(config, GenerateConfig):
        config = GenerateConfig.model_validate(config)
    if isinstance(schemas, type):
        schemas = [schemas]
    flags = {"inserts": enable_inserts, "updates": enable_updates, "deletes": enable_deletes}
    toolset = build_toolset(tuple(schemas), **flags)
    return MemoryManager(
        model=get_model(model),
        schemas=tuple(toolset.schemas.values()),
        instructions=instructions,
        enable_inserts=enable_inserts,
        enable_updates=enable_updates,
        enable_deletes=enable_deletes,
        max_steps=_positive("max_steps", max_steps),
        max_repairs=max_repairs,
        config=config,
        toolset=toolset,
        system=system_prompt(instructions, **flags),
    )


_INPUT_KEYS = frozenset({"messages", "existing", "max_steps", "date"})


def _read_input(input: Any) -> tuple[Any, Any, int | None]:
    return read_input(input, _INPUT_KEYS, "max_steps", ("existing", "max_steps"))


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")
    return value


def _add(total: Usage | None, usage: Usage) -> Usage:
    # Summing from the first call's usage keeps ``cached`` true when every call was a cache hit.
    return usage if total is None else total + usage


def _tool_replies(applied: Applied) -> list[Message]:
    return [
        {"role": "tool", "tool_call_id": call_id, "content": text}
        for call_id, text in applied.replies
    ]


def _result(
    entries: Sequence[Entry],
    state: State,
    changes: Sequence[Change],
    rejected: Sequence[RejectedCall],
    usage: Usage,
    steps: int,
) -> ExtractionResult:
    extracted, operations = summarise(entries, state, changes)
    return ExtractionResult(
        extracted, operations=operations, rejected=rejected, usage=usage, steps=steps
    )
