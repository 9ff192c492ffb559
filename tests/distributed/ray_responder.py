"""Scripted replies for the Ray executor tests; Ray workers import it through
``HARNESS_SCRIPTED_RESPONDER`` (this folder is on their ``PYTHONPATH``). Not a test module.

``dispatch`` answers by model name, so one worker environment serves every test of the module
(its workers start once): ``reply`` remembers every user message (deterministic whatever order
cases arrive in); a model named ``...faulty...`` rejects the requests of one case (those that
mention :data:`FAULTY_TEXT`, whatever executor sends them); one named ``...unknown...`` is a
model the provider does not know (every request: not found); one named ``...kill...`` kills its
worker process on its first request, then replies; one named ``...limited...`` replies and
appends the request (with its rate-limit grant and the tokens the provider counts) to a
JSON-lines log. Files live in ``HARNESS_TEST_DIR``, named after the model.
"""

from __future__ import annotations

import json
import os
import re
import signal
from typing import Any

from harness.models.scripted import ScriptedRequest

_TURN = re.compile(r"^\[(?P<id>[^\]]+)\] user: (?P<text>.*)$", re.M)
DIR_ENV = "HARNESS_TEST_DIR"
FAULTY_TEXT = "cilantro"
"""What a request must mention for the faulty model to reject it (one bundled case does)."""


def path_for(model: str, suffix: str) -> str:
    """The marker or log file of ``model`` (``scripted/<name>``)."""
    return os.path.join(os.environ[DIR_ENV], model.removeprefix("scripted/") + suffix)


def dispatch(request: ScriptedRequest) -> dict[str, Any]:
    if "kill" in request.model:
        return kill_once(request)
    if "limited" in request.model:
        return logged(request)
    if "unknown" in request.model:
        return {"error": "not_found", "message": f"model {request.model} does not exist"}
    if "faulty" in request.model and FAULTY_TEXT in request.last_user_text:
        return {"error": "bad_request", "message": "scripted rejection"}
    return reply(request)


def frozen_clock() -> float:
    """A bucket clock that never moves: grants are stamped, never waited for."""
    return 0.0


def reply(request: ScriptedRequest) -> dict[str, Any]:
    calls = [
        {"name": "insert_memory", "arguments": {"content": f"User said: {m['text']}",
                                                "sources": [m["id"]]}}
        for m in _TURN.finditer(request.last_user_text)
    ]  # fmt: skip
    return {"text": None, "tool_calls": calls, "usage": {"input_tokens": 50, "output_tokens": 5}}


def kill_once(request: ScriptedRequest) -> dict[str, Any]:
    marker = path_for(request.model, ".killed")
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return reply(request)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def logged(request: ScriptedRequest) -> dict[str, Any]:
    from harness.models._litellm import count_tokens

    grant = request.grant
    entry = {
        "pid": os.getpid(),
        "tokens": count_tokens(request.messages, request.tools),
        "grant": None if grant is None else {"at": grant.at, "tokens": grant.tokens},
    }
    with open(path_for(request.model, ".jsonl"), "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")  # one short write per line: appends do not mix
    return reply(request)
