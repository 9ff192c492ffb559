"""Scripted replies for the runner tests, keyed on the conversation, so they hold whatever order
concurrent cases reach the model in.

Not a test module. ``reply`` answers the ``tiny.jsonl`` fixture as its docstring table says and
stores every user message of any other conversation (``echo``); ``faulty`` wraps it with
injected faults. A subprocess reaches them through ``HARNESS_SCRIPTED_RESPONDER``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from typing import Any

from harness.models.scripted import ScriptedRequest

USAGE = {"input_tokens": 100, "output_tokens": 10}

SCRIPT: dict[str, list[tuple[str, ...]]] = {
    # tiny-update: the update is right; the insert misses the key term "green tea".
    "a1": [("update", "light mode", "User prefers dark mode"), ("insert", "User drinks tea")],
    # tiny-forget: the delete is right; then a spurious insert in a nothing-to-store session.
    "b1": [("delete", "Paris")],
    "b2": [("insert", "User says thanks")],
    # tiny-chat: nothing, rightly.
    "c1": [],
    # chain.jsonl: the first session's insert is missed; the rename updates the dog if shown one.
    "d1": [],
    "d2": [("update", "dog named", "User has a dog named Max")],
}

_MEMORY = re.compile(r"^\[(?P<handle>[^\]]+)\] (?P<kind>\w+) (?P<content>\{.*\})$", re.M)
_TURN = re.compile(r"^\[(?P<id>[^\]]+)\] (?P<role>user|assistant|system): (?P<text>.*)$", re.M)


def memories(prompt: str) -> dict[str, str]:
    """Handle -> memory text, as the manager showed them."""
    found = {}
    for match in _MEMORY.finditer(prompt):
        content = json.loads(match["content"])
        found[match["handle"]] = content.get("content") or json.dumps(content)
    return found


def turns(prompt: str) -> list[tuple[str, str, str]]:
    return [(m["id"], m["role"], m["text"]) for m in _TURN.finditer(prompt)]


def _handle(shown: dict[str, str], needle: str) -> str | None:
    return next((handle for handle, text in shown.items() if needle in text), None)


def _calls(prompt: str) -> list[dict[str, Any]]:
    shown = memories(prompt)
    said = turns(prompt)
    actions = next((SCRIPT[mid] for mid, _, _ in said if mid in SCRIPT), None)
    if actions is None:  # echo: remember every user message, citing it
        return [
            {
                "name": "insert_memory",
                "arguments": {"content": f"User said: {text}", "sources": [mid]},
            }
            for mid, role, text in said
            if role == "user"
        ]
    cited = [mid for mid, role, _ in said if role == "user"]  # a model cites what it read
    calls = []
    for action in actions:
        if action[0] == "insert":
            arguments = {"content": action[1], "sources": cited}
            calls.append({"name": "insert_memory", "arguments": arguments})
        elif action[0] == "update":
            handle = _handle(shown, action[1])
            if handle is None:  # nothing to update: state it as new
                arguments = {"content": action[2], "sources": cited}
                calls.append({"name": "insert_memory", "arguments": arguments})
                continue
            arguments = {"id": handle, "content": action[2], "sources": cited}
            calls.append({"name": "update_memory", "arguments": arguments})
        else:
            calls.append({"name": "delete_memory", "arguments": {"id": _handle(shown, action[1])}})
    return calls


def reply(request: ScriptedRequest) -> dict[str, Any]:
    """The scripted calls for the conversation (a repair round gets them again, valid)."""
    return {"tool_calls": _calls(request.last_user_text), "usage": USAGE}


# --- faults ----------------------------------------------------------------------------------

RETRYABLE = ("rate_limit", "timeout", "server_error")
FAULTS = (*RETRYABLE, "malformed", "empty", "bad_request")


class FaultLog:
    """What the faulty responder injected (thread-safe counters)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.calls = 0

    def reset(self) -> None:
        with self.lock:
            self.attempts.clear()
            self.injected.clear()
            self.calls = 0


LOG = FaultLog()


def is_faulted(request: ScriptedRequest) -> tuple[str, bool]:
    """(request key, whether it meets a fault): 2 requests in 10, chosen by content hash."""
    text = json.dumps(request.messages, sort_keys=True)
    return text, int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10 < 2


def faulty(request: ScriptedRequest) -> dict[str, Any]:
    """``reply``, except that 20 % of requests meet a fault on their first attempt.

    Faulted requests get the kinds of :data:`FAULTS` in turn, so every kind occurs.
    """
    key, faulted = is_faulted(request)
    with LOG.lock:
        LOG.calls += 1
        LOG.attempts[key] += 1
        fault = None
        if faulted and LOG.attempts[key] == 1:
            fault = FAULTS[sum(LOG.injected.values()) % len(FAULTS)]
            LOG.injected[fault] += 1
    if fault is None:
        return reply(request)
    if fault in RETRYABLE or fault == "bad_request":
        return {"error": fault, "message": f"injected {fault}"}
    if fault == "malformed":
        return {"tool_calls": [{"name": "insert_memory", "arguments": "{not json"}], "usage": USAGE}
    return {"text": None, "tool_calls": [], "usage": USAGE}
