"""A scripted LLM judge for tests: it answers each "same fact?" request by a rule."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from harness.models.scripted import scripted_model

PAIR = re.compile(r"Reference memory: (.*)\nCandidate memory: (.*)")
"""The (reference, candidate) texts of a judge request."""


def scripted_judge(same: Callable[[str, str], bool]) -> Any:
    """A fresh scripted model whose verdict on (reference, candidate) is ``same(...)``."""
    scripted = scripted_model(f"judge-{uuid.uuid4().hex[:8]}").reset()

    def verdict(request: Any) -> dict[str, Any]:
        reference, candidate = PAIR.search(request.last_user_text).groups()
        answer = {"same": same(reference, candidate), "reason": "rule"}
        return {"tool_calls": [{"name": "verdict", "arguments": answer}]}

    scripted.respond_with(verdict)
    return scripted
