"""A scripted extraction model for the gate tests that follows its instructions, literally.

It answers ``data/gate_cases.jsonl`` with that file's gold ops, except one thing: it updates an
existing memory only when the system prompt tells it to (contains :data:`PHRASE`, as the bundled
``default`` template does). Without the phrase it records the new value as a new memory: the
classic duplicate-instead-of-update regression a weakened template causes. Nothing-to-store
sessions get no tool call either way.

Not a test module. In-process: ``scripted_model(NAME).respond_with(reply)``; in a subprocess:
``HARNESS_SCRIPTED_RESPONDER=gate_responder:reply`` with this folder on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.models.scripted import ScriptedRequest

PHRASE = "update the memory that holds it"
CASES = Path(__file__).parent / "data" / "gate_cases.jsonl"
USAGE = {"input_tokens": 120, "output_tokens": 15}

_MEMORY = re.compile(r"^\[(?P<handle>[^\]]+)\] (?P<kind>\w+) (?P<content>\{.*\})$", re.M)
_TURN = re.compile(r"^\[(?P<id>[^\]]+)\] (?P<role>user|assistant): ", re.M)


@lru_cache(maxsize=1)
def gold_by_message() -> dict[str, tuple[dict[str, str], list[dict[str, Any]]]]:
    """First message id -> (existing id -> content, expected ops) for every case."""
    out = {}
    for line in CASES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        existing = {m["id"]: m["content"] for m in case.get("existing", [])}
        session = case["sessions"][0]
        out[session["messages"][0]["id"]] = (existing, session["expected"])
    return out


def _shown(prompt: str) -> dict[str, str]:
    """Memory text -> the handle the manager showed it under."""
    return {
        json.loads(m["content"]).get("content", ""): m["handle"] for m in _MEMORY.finditer(prompt)
    }


def calls_for(system: str, prompt: str) -> list[dict[str, Any]]:
    turn_ids = [m["id"] for m in _TURN.finditer(prompt)]
    existing, expected = gold_by_message()[turn_ids[0]]
    shown = _shown(prompt)
    follow_updates = PHRASE in system
    calls = []
    for op in expected:
        if op["op"] == "update" and follow_updates and existing.get(op["id"]) in shown:
            handle = shown[existing[op["id"]]]
            calls.append(
                {"name": "update_memory", "arguments": {"id": handle, "content": op["content"]}}
            )
        elif op["op"] in ("insert", "update"):
            calls.append({"name": "insert_memory", "arguments": {"content": op["content"]}})
    return calls


def reply(request: ScriptedRequest) -> dict[str, Any]:
    system = next(m["content"] for m in request.messages if m.get("role") == "system")
    return {"tool_calls": calls_for(system, request.last_user_text), "usage": USAGE}
