"""Read the input of a memory manager (LLM or baseline): one place for its accepted forms."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from harness.errors import ConfigurationError


def read_input(
    input: Any, keys: frozenset[str], third: str, optional: tuple[str, ...]
) -> tuple[Any, Any, Any]:
    """Split ``input`` into ``(messages, existing, <third>)``.

    ``input`` is a mapping with ``messages`` (only ``keys`` allowed, so a typo fails loudly), a
    plain message list, or an object with a ``messages`` attribute. ``optional`` names the
    optional keys the error for any other input mentions.
    """
    if isinstance(input, Mapping):
        unknown = set(input) - keys
        if unknown:
            raise ConfigurationError(
                f"unknown input key(s) {sorted(unknown)}; expected {sorted(keys)}"
            )
        if "messages" not in input:
            raise ConfigurationError("input needs 'messages'")
        return input["messages"], input.get("existing"), input.get(third)
    if isinstance(input, list | tuple):
        return input, None, None
    if hasattr(input, "messages"):
        return input.messages, getattr(input, "existing", None), getattr(input, third, None)
    hint = ", ".join(repr(name) for name in optional)
    raise ConfigurationError(
        f"input must be a dict with 'messages' (and optionally {hint}), got {type(input).__name__}"
    )


def read_date(value: Any) -> str | None:
    """An ISO 8601 date or date-time as given, or ``None``; anything else is a clear error."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return value
        except ValueError:
            pass
    raise ConfigurationError(f"date must be an ISO 8601 date or date-time, got {value!r}")
