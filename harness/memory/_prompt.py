"""The request a memory manager sends: instructions, then memories and conversation, compactly.

The system message holds the instructions plus a few operational rules that follow from the
enabled actions. The user message lists the memories (``[handle] Kind {json}``) and the
conversation (``[message id] role: text``, or ``[message id] Name (role): text`` when the
message names its speaker) between clearly named tags; the conversation tag carries the
session's data time (``<conversation date="2023-05-08T13:56">``) when one is given, so relative
dates can be resolved and temporal facts kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigurationError
from harness.memory._existing import Entry
from harness.models.types import Message

DEFAULT_INSTRUCTIONS = """\
You keep the long-term memory of an assistant about its user. Read the conversation and record \
what will still help in later conversations: the user's preferences, facts about them and the \
people in their life, their plans and goals, and corrections of anything stored before.
- One self-contained fact per memory, about the user ("User prefers dark mode"), specific enough \
to make sense without the conversation.
- When something changes or was wrong, update the memory that holds it instead of adding a \
near-duplicate. Delete a memory (if deleting is allowed) when the user asks you to forget it or it \
is plainly no longer true.
- Never store secrets such as passwords, card or account numbers, or keys. Skip small talk, \
one-off requests and anything only the assistant said that the user did not confirm.
- If nothing is worth remembering, change nothing."""

_ROLE_ALIASES = {"human": "user", "ai": "assistant"}


@dataclass(frozen=True, slots=True)
class Turn:
    """One conversation message as the manager uses it."""

    id: str
    role: str
    text: str
    name: str | None = None

    def line(self) -> str:
        speaker = f"{self.name} ({self.role})" if self.name else self.role
        return f"[{self.id}] {speaker}: {self.text}"


def system_prompt(instructions: str, *, inserts: bool, updates: bool, deletes: bool) -> str:
    """Instructions plus the rules that depend on which actions the manager may take."""
    allowed = [
        verb
        for verb, enabled in (
            ("add new memories", inserts),
            ("rewrite existing ones", updates),
            ("delete memories", deletes),
        )
        if enabled
    ]
    rules = (
        "Memories are listed as [id] Kind {content}, messages as [id] role: text or "
        "[id] Name (role): text; use these ids in tool calls, and cite in 'sources' the ids of "
        "the messages a memory comes from. Name people as the messages do. "
        f"You may {_join(allowed)}"
        + ("" if inserts else ", but not add new ones")
        + ". One tool call per change. When nothing (more) needs changing, reply 'done' "
        "without tool calls."
    )
    return f"{instructions.strip()}\n\n{rules}"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def normalise_messages(messages: Any) -> tuple[Turn, ...]:
    """Turns for dict or attribute-style messages; messages without an id get ``m<index>``."""
    if isinstance(messages, str | bytes | Mapping) or not isinstance(messages, Iterable):
        raise ConfigurationError(
            f"messages must be a list of chat messages, got {type(messages).__name__}"
        )
    turns: list[Turn] = []
    seen: set[str] = set()
    for index, message in enumerate(messages):
        get = message.get if isinstance(message, Mapping) else _attr_getter(message)
        role = get("role") or _ROLE_ALIASES.get(get("type") or "")
        if not isinstance(role, str) or not role:
            raise ConfigurationError(f"messages[{index}] has no 'role'")
        raw_id = get("id")
        id_ = f"m{index}" if raw_id in (None, "") else str(raw_id)
        if id_ in seen:
            raise ConfigurationError(f"messages[{index}]: message id {id_!r} is used twice")
        seen.add(id_)
        name = get("name")
        turns.append(Turn(id_, role, _text(get("content")), str(name) if name else None))
    return tuple(turns)


def _attr_getter(message: Any) -> Any:
    return lambda name: getattr(message, name, None)


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        return "\n".join(
            part.get("text", "") if isinstance(part, Mapping) else str(part) for part in content
        )
    return str(content)


def user_prompt(
    turns: Sequence[Turn],
    entries: Sequence[Entry],
    handles: Mapping[str, str],
    *,
    date: str | None = None,
) -> str:
    """The memories and the conversation, each between tags, one line per item."""
    lines = ["<memories>"]
    lines.extend(f"[{handles[e.id]}] {e.kind} {_compact(e.content)}" for e in entries)
    if not entries:
        lines.append("(none)")
    lines.append("</memories>")
    lines.append(f'<conversation date="{date}">' if date else "<conversation>")
    lines.extend(turn.line() for turn in turns)
    lines.append("</conversation>")
    return "\n".join(lines)


def build_request(
    system: str,
    turns: Sequence[Turn],
    entries: Sequence[Entry],
    handles: Mapping[str, str],
    *,
    date: str | None = None,
) -> list[Message]:
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": user_prompt(turns, entries, handles, date=date)},
    ]


def fingerprint(
    turns: Sequence[Turn],
    entries: Sequence[Entry],
    kinds: Iterable[str],
    *,
    date: str | None = None,
) -> str:
    """A stable hash of one invocation's input, the seed of its insert ids."""
    payload: list[Any] = [
        [[turn.id, turn.role, turn.text] + ([turn.name] if turn.name else []) for turn in turns],
        [[entry.id, entry.kind, entry.content] for entry in entries],
        sorted(kinds),
    ]
    if date:
        payload.append(date)
    return hashlib.sha256(_compact(payload, sort_keys=True).encode()).hexdigest()


def _compact(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
