"""Requests- and tokens-per-minute limits on model calls, one token bucket per model.

Hosted providers limit a key, not a process: when many workers call one model, they must share
one bucket. The gateway asks the *current limiter* (a context variable, so concurrent runs in
one process can differ) before every request that reaches the provider: cache hits are free,
and each retry of a failed call is a request of its own. Back-off after a 429 stays per call
(:mod:`harness.models.retry`); the bucket only spaces the requests out.

The bucket reserves: a request debits it at once, even below zero, and is told when it may go,
so requests go in arrival order and a burst never exceeds the bucket. Over any interval of grant
times ``[a, b]`` at most ``capacity + rate * (b - a)`` requests (and tokens) are granted, where
the capacity is one minute's allowance. The bucket's clock is injectable: a frozen clock grants
at once and only stamps the grants, which is how tests check the arithmetic without waiting.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from harness.errors import ConfigurationError

__all__ = [
    "Grant",
    "Limiter",
    "LocalLimiter",
    "RateLimit",
    "TokenBucket",
    "current_grant",
    "current_limiter",
    "limit_for",
    "limiting",
    "parse_rate_limit",
]


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` requests and ``tokens`` tokens per minute (None: no limit) for
    ``model`` (None: every model that has no limit of its own)."""

    requests: int | None = None
    tokens: int | None = None
    model: str | None = None

    def __str__(self) -> str:
        parts = [f"{self.requests}rpm"] if self.requests else []
        parts += [f"{self.tokens}tpm"] if self.tokens else []
        return (f"{self.model}=" if self.model else "") + ",".join(parts)


_PART = re.compile(r"^\s*(\d+)\s*(rpm|tpm)\s*$", re.IGNORECASE)


def parse_rate_limit(text: str) -> RateLimit:
    """``[MODEL=]500rpm,200000tpm`` (either part may be left out) -> :class:`RateLimit`."""
    model, sep, limits = text.rpartition("=")
    values: dict[str, int] = {}
    for part in limits.split(","):
        match = _PART.match(part)
        if match is None or int(match[1]) <= 0 or match[2].lower() in values:
            raise ConfigurationError(
                f"--rate-limit {text!r}: expected [MODEL=]Nrpm,Ntpm with whole numbers > 0 "
                "(e.g. 500rpm,200000tpm or openai/gpt-4o-mini=500rpm)"
            )
        values[match[2].lower()] = int(match[1])
    if sep and not model.strip():
        raise ConfigurationError(f"--rate-limit {text!r}: the model before '=' is empty")
    return RateLimit(values.get("rpm"), values.get("tpm"), model.strip() or None)


def limit_for(model: str, limits: Sequence[RateLimit]) -> RateLimit | None:
    """The limit that applies to ``model``: its own, else the one for every model, else None."""
    own = [limit for limit in limits if limit.model == model]
    default = [limit for limit in limits if limit.model is None]
    chosen = own or default
    return chosen[-1] if chosen else None


@dataclass(frozen=True)
class Grant:
    """A granted request: when it may go (the bucket's clock), how long to wait for that, and
    the tokens it was charged."""

    at: float
    delay: float
    tokens: int
    model: str = ""


@dataclass
class _Level:
    capacity: float
    level: float

    @property
    def rate(self) -> float:  # per second
        return self.capacity / 60.0

    def refill(self, seconds: float) -> None:
        self.level = min(self.capacity, self.level + self.rate * seconds)

    def wait_for(self, amount: float) -> float:
        return max(0.0, (min(amount, self.capacity) - self.level) / self.rate)


@dataclass
class TokenBucket:
    """One model's requests and tokens per minute; ``clock`` None is :func:`time.monotonic`.

    A frozen clock (``clock=lambda: 0.0``) never waits: each grant is stamped with the time it
    would have gone at, and ``delay`` is 0.
    """

    limit: RateLimit
    clock: Callable[[], float] | None = None
    _requests: _Level | None = field(init=False, default=None)
    _tokens: _Level | None = field(init=False, default=None)
    _last: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.limit.requests:
            self._requests = _Level(self.limit.requests, self.limit.requests)
        if self.limit.tokens:
            self._tokens = _Level(self.limit.tokens, self.limit.tokens)

    def _now(self) -> float:
        now = (self.clock or time.monotonic)()
        if self._last is not None:
            for level in self._levels():
                level.refill(max(0.0, now - self._last))
        self._last = now if self._last is None else max(self._last, now)
        return self._last

    def _levels(self) -> list[_Level]:
        return [level for level in (self._requests, self._tokens) if level is not None]

    def reserve(self, tokens: int = 0) -> Grant:
        """Charge one request of ``tokens`` tokens now; the grant says when it may go."""
        now = self._now()
        wait = 0.0
        if self._requests is not None:
            wait = max(wait, self._requests.wait_for(1))
            self._requests.level -= 1
        if self._tokens is not None:
            wait = max(wait, self._tokens.wait_for(tokens))
            self._tokens.level -= min(tokens, self._tokens.capacity)
        at = now + wait
        return Grant(at=at, delay=0.0 if self.clock is not None else wait, tokens=tokens)

    def settle(self, tokens: int) -> None:
        """Charge ``tokens`` more (or refund, if negative) once a reply's real usage is known."""
        self._now()
        if self._tokens is not None:
            self._tokens.level = min(self._tokens.capacity, self._tokens.level - tokens)


class Limiter(Protocol):
    """What the gateway asks before a request reaches the provider."""

    async def acquire(self, model: str, tokens: int) -> Grant | None: ...

    def settle(self, model: str, tokens: int) -> None: ...


class LocalLimiter:
    """Token buckets in this process, one per model that has a limit."""

    def __init__(
        self, limits: Sequence[RateLimit], clock: Callable[[], float] | None = None
    ) -> None:
        self.limits = tuple(limits)
        self.clock = clock
        self.buckets: dict[str, TokenBucket | None] = {}

    def bucket(self, model: str) -> TokenBucket | None:
        if model not in self.buckets:
            limit = limit_for(model, self.limits)
            self.buckets[model] = TokenBucket(limit, self.clock) if limit else None
        return self.buckets[model]

    async def acquire(self, model: str, tokens: int) -> Grant | None:
        bucket = self.bucket(model)
        if bucket is None:
            return None
        grant = bucket.reserve(tokens)
        if grant.delay > 0:
            await asyncio.sleep(grant.delay)
        return Grant(grant.at, grant.delay, grant.tokens, model)

    def settle(self, model: str, tokens: int) -> None:
        bucket = self.bucket(model)
        if bucket is not None and tokens:
            bucket.settle(tokens)


class RemoteBuckets:
    """A limiter over shared buckets elsewhere: ``reserve(model, tokens)`` is awaited for the
    grant and ``settle(model, tokens)`` is sent without waiting (Ray actors, say)."""

    def __init__(
        self,
        reserve: Mapping[str, Callable[[int], object]],
        settle: Mapping[str, Callable[[int], object]],
    ) -> None:
        self._reserve = dict(reserve)
        self._settle = dict(settle)

    async def acquire(self, model: str, tokens: int) -> Grant | None:
        reserve = self._reserve.get(model)
        if reserve is None:
            return None
        grant = await reserve(tokens)  # type: ignore[misc]
        if grant.delay > 0:
            await asyncio.sleep(grant.delay)
        return Grant(grant.at, grant.delay, grant.tokens, model)

    def settle(self, model: str, tokens: int) -> None:
        settle = self._settle.get(model)
        if settle is not None and tokens:
            settle(tokens)


_limiter: ContextVar[Limiter | None] = ContextVar("harness_rate_limiter", default=None)
_grant: ContextVar[Grant | None] = ContextVar("harness_rate_grant", default=None)


@contextmanager
def limiting(limiter: Limiter | None) -> Iterator[None]:
    """Model calls made inside the block ask ``limiter`` first (None: no limit)."""
    token = _limiter.set(limiter)
    try:
        yield
    finally:
        _limiter.reset(token)


def current_limiter() -> Limiter | None:
    return _limiter.get()


def current_grant() -> Grant | None:
    """The grant of the request being sent in this context (for request logs)."""
    return _grant.get()


def set_grant(grant: Grant | None) -> None:
    _grant.set(grant)
