"""When to try a model call again, and how long to wait first.

Transient failures (rate limits, timeouts, dropped connections, 5xx) are retried with exponential
back-off and jitter; a request the provider rejected (any other 4xx: bad request, auth, not found,
context window) fails at once, since sending it again cannot help.
"""

from __future__ import annotations

import asyncio
import os
import random

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import ConfigurationError

BASE_DELAY_ENV = "HARNESS_RETRY_BASE_DELAY"

_RETRYABLE = frozenset(
    {
        "RateLimitError",
        "Timeout",
        "APITimeoutError",
        "APIConnectionError",
        "InternalServerError",
        "ServiceUnavailableError",
        "BadGatewayError",
        "TimeoutError",
        "ConnectionError",
    }
)
_FATAL = frozenset(
    {
        "ContextWindowExceededError",
        "ContentPolicyViolationError",
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "UnprocessableEntityError",
        "UnsupportedParamsError",
        "InvalidRequestError",
        "BudgetExceededError",
    }
)


def _default_base_delay() -> float:
    value = os.environ.get(BASE_DELAY_ENV, "").strip()
    if not value:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        raise ConfigurationError(f"{BASE_DELAY_ENV}={value!r} is not a number of seconds") from None


MAX_RETRIES_ENV = "HARNESS_MAX_RETRIES"
"""Tries after the first for a transient failure (default 3); ``harness run --max-retries``."""


def _default_max_attempts() -> int:
    value = os.environ.get(MAX_RETRIES_ENV, "").strip()
    if not value:
        return 4
    if not value.isdigit():
        raise ConfigurationError(f"{MAX_RETRIES_ENV}={value!r} is not a whole number >= 0")
    return int(value) + 1


class RetryPolicy(BaseModel):
    """How many times to try a call and how to space the tries.

    ``base_delay`` defaults to ``$HARNESS_RETRY_BASE_DELAY`` (else 1 s); the wait before try
    ``n + 1`` is ``min(max_delay, base_delay * 2**(n - 1))``, reduced by up to ``jitter`` (a
    fraction) at random so that many clients do not retry in lockstep.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(default_factory=_default_max_attempts, ge=1)
    base_delay: float = Field(default_factory=_default_base_delay, ge=0)
    max_delay: float = Field(default=30.0, ge=0)
    jitter: float = Field(default=0.5, ge=0, le=1)

    def delay(self, attempt: int, rand: float | None = None) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        raw = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        r = random.random() if rand is None else rand
        return raw * (1 - self.jitter * r)

    async def sleep(self, attempt: int) -> None:
        wait = self.delay(attempt)
        if wait > 0:
            await asyncio.sleep(wait)


_CREDENTIAL_HINTS = ("missing credentials", "api_key client option must be set", "no api key")


def is_retryable(error: BaseException) -> bool:
    """True for transient failures worth another try; False for rejected requests.

    The most specific known exception class decides (litellm's classes, the OpenAI SDK's of the
    same names, and the built-in timeout/connection errors); otherwise the HTTP status code does.
    """
    if any(hint in str(error).lower() for hint in _CREDENTIAL_HINTS):
        return False  # some providers report a missing key as a 5xx; another try cannot help
    for cls in type(error).__mro__:
        if cls.__name__ in _FATAL:
            return False
        if cls.__name__ in _RETRYABLE:
            return True
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return status in (408, 409, 429) or status >= 500
    return False
