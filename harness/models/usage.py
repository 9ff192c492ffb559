"""Who called which model, for what, at what cost: a per-context collector of call records.

``with record_calls() as calls:`` collects one :class:`CallRecord` per model call made inside the
block, from sync or async code. Collectors nest (an outer block also sees the inner calls) and live
in a context variable, so concurrent asyncio tasks that each open their own block do not see each
other's calls, while tasks started inside a block report to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from harness.models.types import CallRecord

DEFAULT_PURPOSE = "extract"

_collectors: ContextVar[tuple[list[CallRecord], ...]] = ContextVar(
    "harness_call_collectors", default=()
)
_purpose: ContextVar[str] = ContextVar("harness_call_purpose", default=DEFAULT_PURPOSE)


@contextmanager
def record_calls() -> Iterator[list[CallRecord]]:
    """Collect the records of every model call made inside the block into the yielded list."""
    calls: list[CallRecord] = []
    token = _collectors.set((*_collectors.get(), calls))
    try:
        yield calls
    finally:
        _collectors.reset(token)


@contextmanager
def call_purpose(purpose: str) -> Iterator[None]:
    """Label the model calls made inside the block (``extract``, ``query``, ``judge``, ...)."""
    token = _purpose.set(purpose)
    try:
        yield
    finally:
        _purpose.reset(token)


def current_purpose() -> str:
    return _purpose.get()


def emit(record: CallRecord) -> None:
    """Hand ``record`` to every open collector in the current context."""
    for calls in _collectors.get():
        calls.append(record)
