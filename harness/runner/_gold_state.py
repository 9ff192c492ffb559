"""The gold state as the runner writes it to the store (``gold`` state mode and gold-state
retrieval); scoring either mode is :func:`harness.scoring.metrics.ascore_case`.

The store holds gold memories as "every gold op applied, optional ones included"
(:func:`applied_states`): that is the state a perfect system (the oracle) reaches, so retrieval
over it and over a perfect run rank the same memories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.data.models import Case


@dataclass(frozen=True)
class GoldValue:
    """A gold memory as the store holds it."""

    kind: str
    content: dict[str, Any]
    source: tuple[str, ...] = ()

    def value(self) -> dict[str, Any]:
        """The stored form (``{"kind", "content", "source"}``, as the store manager writes)."""
        return {"kind": self.kind, "content": self.content, "source": list(self.source)}


def _as_content(content: str | dict[str, Any]) -> dict[str, Any]:
    return {"content": content} if isinstance(content, str) else dict(content)


def applied_states(case: Case) -> list[dict[str, GoldValue]]:
    """The store state before each session and, last, the final one, every gold op applied.

    Each dict is in write order (existing memories first, then by the op that last wrote each),
    so writing it in one batch gives the memories the recency order a replay of the gold ops
    gives them: search ties, broken by recency, then fall the same way in both states.
    """
    state = {
        m.id: GoldValue(m.kind or case.schema_, _as_content(m.content), ()) for m in case.existing
    }
    states = [dict(state)]
    for session in case.sessions:
        for op in session.expected:
            key = op.target
            if op.op == "delete":
                state.pop(key, None)
                continue
            previous = state.pop(key, None)  # re-inserted last: dict order = write order
            kind = op.kind or (previous.kind if previous else case.schema_)
            sources = (*(previous.source if previous else ()), *op.source)
            state[key] = GoldValue(
                kind,
                _as_content(op.content),  # type: ignore[arg-type]
                tuple(dict.fromkeys(sources)),
            )
        states.append(dict(state))
    return states
