"""Token buckets: the reservation arithmetic on a frozen clock, parsing, and the gateway asking
the limiter before every request that reaches the provider (and never for a cache hit)."""

from __future__ import annotations

import asyncio

import pytest

from harness.errors import ConfigurationError
from harness.models import ResponseCache, get_model
from harness.models.ratelimit import (
    LocalLimiter,
    RateLimit,
    TokenBucket,
    limit_for,
    limiting,
    parse_rate_limit,
)

FROZEN = 0.0


def frozen() -> float:
    return FROZEN


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("500rpm", RateLimit(500, None)),
        ("200000tpm", RateLimit(None, 200000)),
        ("60RPM, 1000tpm", RateLimit(60, 1000)),
        ("openai/gpt-4o-mini=10rpm", RateLimit(10, None, "openai/gpt-4o-mini")),
    ],
)
def test_parse_rate_limit(text, limit):
    assert parse_rate_limit(text) == limit


@pytest.mark.parametrize("text", ["", "10", "0rpm", "10rpm,20rpm", "=10rpm", "10 per minute"])
def test_parse_rate_limit_refuses_bad_input_naming_it(text):
    with pytest.raises(ConfigurationError, match="--rate-limit"):
        parse_rate_limit(text)


def test_a_model_limit_wins_over_the_default():
    limits = [RateLimit(10), RateLimit(2, model="scripted/a")]
    assert limit_for("scripted/a", limits) == RateLimit(2, model="scripted/a")
    assert limit_for("scripted/b", limits) == RateLimit(10)
    assert limit_for("scripted/b", [RateLimit(2, model="scripted/a")]) is None


def test_requests_beyond_the_burst_are_spaced_at_the_rate():
    bucket = TokenBucket(RateLimit(requests=2), clock=frozen)
    # capacity 2 (one minute's allowance), refilled at 2 per 60 s: one every 30 s
    assert [bucket.reserve().at for _ in range(5)] == [0.0, 0.0, 30.0, 60.0, 90.0]


def test_tokens_decide_when_they_are_scarcer_than_requests():
    bucket = TokenBucket(RateLimit(requests=100, tokens=600), clock=frozen)
    # 600 tokens per minute = 10 per second; three requests of 400 tokens
    grants = [bucket.reserve(400) for _ in range(3)]
    assert [g.at for g in grants] == [0.0, 20.0, 60.0]
    assert all(g.delay == 0.0 for g in grants)  # a frozen clock never waits


def test_settled_usage_delays_the_next_request():
    bucket = TokenBucket(RateLimit(tokens=600), clock=frozen)
    assert bucket.reserve(600).at == 0.0
    bucket.settle(300)  # the reply used 300 tokens more than estimated
    assert bucket.reserve(0).at == 30.0


def test_a_request_larger_than_the_bucket_waits_for_a_full_bucket_only():
    bucket = TokenBucket(RateLimit(tokens=100), clock=frozen)
    assert bucket.reserve(1000).at == 0.0
    assert bucket.reserve(1000).at == 60.0


def test_a_moving_clock_refills():
    now = [0.0]
    bucket = TokenBucket(RateLimit(requests=60), clock=lambda: now[0])
    for _ in range(60):
        bucket.reserve()
    now[0] = 10.0  # 10 refilled
    assert [bucket.reserve().at for _ in range(11)][-2:] == [10.0, 11.0]


def test_the_gateway_asks_the_limiter_per_request_not_per_cache_hit(scripted, tmp_path):
    scripted.respond_with(lambda request: "ok")
    limiter = LocalLimiter([RateLimit(requests=2, tokens=10_000)], clock=frozen)
    model = get_model(scripted.model, cache=ResponseCache(tmp_path, mode="read-write"))

    async def main() -> None:
        with limiting(limiter):
            for text in ("a", "b", "c", "a"):  # the second "a" is a cache hit
                await model.agenerate([{"role": "user", "content": text}])

    asyncio.run(main())
    assert [r.grant.at for r in scripted.requests] == [0.0, 0.0, 30.0]
    from harness.models._litellm import count_tokens

    for request in scripted.requests:  # the estimate is what the provider counts
        assert request.grant.tokens == count_tokens(request.messages)
        assert request.grant.model == scripted.model


def test_no_limiter_no_grant(scripted):
    scripted.respond_with(lambda request: "ok")
    get_model(scripted.model).generate([{"role": "user", "content": "hi"}])
    assert scripted.requests[0].grant is None
