"""Benchmark: per-call overhead of the model gateway, measured with the scripted provider.

The scripted provider answers instantly, so every microsecond measured is software: litellm's own
request handling plus what the gateway adds (retry loop, timeout, usage record, cache). Run:
``python tests/benchmarks/bench_gateway.py [--calls N]``. Prints the median per-call time of:

- ``litellm.acompletion`` called directly (the floor the gateway sits on);
- ``LiteLLMModel.agenerate`` (async) and ``generate`` (sync, through the shared loop);
- ``agenerate`` with a response cache: a miss that writes, and a hit that skips the provider;
- the scripted provider counting prompt tokens itself (no usage in the reply spec).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable

os.environ.setdefault("HARNESS_RETRY_BASE_DELAY", "0")

from harness._async import run_sync
from harness.models import (
    GenerateConfig,
    ResponseCache,
    ToolSpec,
    get_model,
    record_calls,
    repeat_index,
    scripted_model,
)
from harness.models._litellm import litellm_module

MESSAGES = [
    {"role": "system", "content": "You extract durable facts about the user as memories."},
    {"role": "user", "content": "I moved to Lisbon last spring and started learning Portuguese."},
    {"role": "assistant", "content": "That sounds exciting! How is it going?"},
    {"role": "user", "content": "Slowly. I practise with my neighbour Ana every Tuesday."},
]
TOOLS = [
    ToolSpec(
        name="insert_memory",
        description="Store a new memory.",
        parameters={
            "type": "object",
            "properties": {"content": {"type": "string"}},
            "required": ["content"],
        },
    )
]
REPLY = {
    "tool_calls": [{"name": "insert_memory", "arguments": {"content": "User lives in Lisbon"}}],
    "usage": {"input_tokens": 150, "output_tokens": 12},
}


async def timed(calls: int, **variants: Callable[[int], Awaitable[object]]) -> dict[str, float]:
    """Median seconds per call of each variant, run round-robin so load drifts hit all alike."""
    for i in range(20):  # warm-up
        for one in variants.values():
            await one(-1 - i)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(calls):
        for name, one in variants.items():
            started = time.perf_counter()
            await one(i)
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def timed_sync(calls: int, one: Callable[[int], object]) -> float:
    for i in range(20):
        one(-1 - i)
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        one(i)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def measure(calls: int, cache_dir: str) -> dict[str, float]:
    litellm = litellm_module()
    script = scripted_model("bench").reset().respond_with(lambda request: REPLY)
    counting = scripted_model("bench-count").reset()
    counting.respond_with(lambda request: {"tool_calls": REPLY["tool_calls"]})
    config = GenerateConfig(temperature=0)
    model = get_model(script.model)
    cached = get_model(script.model, cache=ResponseCache(cache_dir))
    counted = get_model(counting.model)
    openai_tools = [t.to_openai() for t in TOOLS]

    async def direct(i: int) -> object:
        return await litellm.acompletion(
            model=script.model, messages=MESSAGES, tools=openai_tools, temperature=0
        )

    async def gateway(i: int) -> object:
        return await model.agenerate(MESSAGES, tools=TOOLS, config=config)

    async def cache_miss(i: int) -> object:
        with repeat_index(100_000 + i):  # a new key every call
            return await cached.agenerate(MESSAGES, tools=TOOLS, config=config)

    async def cache_hit(i: int) -> object:
        return await cached.agenerate(MESSAGES, tools=TOOLS, config=config)

    async def token_count(i: int) -> object:
        return await counted.agenerate(MESSAGES, tools=TOOLS, config=config)

    with record_calls():
        results = await timed(
            calls,
            **{
                "litellm.acompletion direct": direct,
                "gateway agenerate": gateway,
                "gateway agenerate, cache miss + write": cache_miss,
                "gateway agenerate, provider counts tokens": token_count,
            },
        )
        await cache_hit(0)
        requests_before = len(script.requests)
        results |= await timed(calls, **{"gateway agenerate, cache hit": cache_hit})
        assert len(script.requests) == requests_before  # hits never reach the provider
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache_dir:
        results = run_sync(measure(args.calls, cache_dir))
        model = get_model(scripted_model("bench").model)
        results["gateway generate (sync)"] = timed_sync(
            args.calls, lambda i: model.generate(MESSAGES, tools=TOOLS)
        )
    floor = results["litellm.acompletion direct"]
    print(f"median per call over {args.calls} calls (scripted provider, zero latency)")
    for name, seconds in results.items():
        extra = "" if name.startswith("litellm") else f"  ({(seconds - floor) * 1e3:+.2f} ms)"
        print(f"  {name:45s} {seconds * 1e3:7.2f} ms{extra}")


if __name__ == "__main__":
    main()
