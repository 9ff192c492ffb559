"""What the memory manager costs on top of the model: time per call and prompt tokens.

Run: ``python tests/benchmarks/bench_manager.py [--rounds 400]``

Overhead is measured two ways, both with a scripted model that answers instantly:
- ``subtract``: median ``manager.ainvoke`` minus the median of calling the gateway directly with
  the very request the manager sends (same messages, same tools, same reply);
- ``inside``: per invocation, wall time minus the time spent inside the model's ``agenerate``.
Tokens are counted with litellm's counter for gpt-4o-mini, for one default-instruction call with
5 existing memories and a 4-message conversation, split into system, memories + conversation and
tool schemas.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from harness._async import run_sync
from harness.memory import create_memory_manager
from harness.memory._apply import State
from harness.memory._existing import normalise_existing
from harness.memory._prompt import build_request, normalise_messages
from harness.models import get_model, scripted_model
from harness.models._litellm import count_tokens

EXISTING = [
    "User prefers dark mode in all apps",
    "User is vegetarian",
    "User's sister Anna lives in Berlin",
    "User is training for a marathon in October",
    "User works as a data engineer at a logistics company",
]
CONVERSATION = [
    {"role": "user", "content": "Actually I switched to light mode, dark mode strains my eyes."},
    {"role": "assistant", "content": "Got it, light mode from now on."},
    {"role": "user", "content": "Also, my sister moved to Munich last month."},
    {"role": "assistant", "content": "Thanks, I'll keep that in mind."},
]
REPLY = {
    "tool_calls": [
        {
            "name": "update_memory",
            "arguments": {"id": "1", "content": "User prefers light mode; dark mode strains eyes"},
        },
        {
            "name": "update_memory",
            "arguments": {
                "id": "3",
                "content": "User's sister Anna lives in Munich",
                "sources": ["m2"],
            },
        },
    ]
}
LANGMEM = {"total": 2150, "tools": 1226, "per_memory": 56, "overhead_ms": 31.0}


class TimedModel:
    """Wraps a ChatModel and adds up the time spent inside it."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.spent = 0.0

    async def agenerate(self, messages, *, tools=(), config=None):
        started = time.perf_counter()
        try:
            return await self.inner.agenerate(messages, tools=tools, config=config)
        finally:
            self.spent += time.perf_counter() - started

    def generate(self, messages, *, tools=(), config=None):  # pragma: no cover
        return run_sync(self.agenerate(messages, tools=tools, config=config))


def request_for(manager, existing=EXISTING):
    turns = normalise_messages(CONVERSATION)
    entries = normalise_existing(existing, manager.toolset.schemas)
    return build_request(manager.system, turns, entries, State.initial(entries).handles)


def token_report() -> dict[str, int]:
    manager = create_memory_manager("scripted/bench-tokens")
    request = request_for(manager)
    tools = [tool.to_openai() for tool in manager.tools]
    system = count_tokens(messages=request[:1])
    user = count_tokens(messages=request[1:])
    messages = count_tokens(messages=request)
    total = count_tokens(messages=request, tools=tools)
    six = request_for(manager, [*EXISTING, "User drinks oat milk in coffee"])
    per_memory = count_tokens(messages=six, tools=tools) - total
    return {
        "system": system,
        "memories+conversation": user,
        "tool schemas": total - messages,
        "  (as raw JSON text)": count_tokens(text=json.dumps(tools)),
        "total": total,
        "per further memory": per_memory,
    }


async def timings(rounds: int) -> dict[str, float]:
    scripted = scripted_model("bench-manager").reset()
    scripted.respond_with(lambda request: REPLY)
    timed = TimedModel(get_model(scripted.model))
    manager = create_memory_manager(timed)
    gateway = get_model(scripted.model)
    request = request_for(manager)
    payload = {"messages": CONVERSATION, "existing": EXISTING}
    for _ in range(20):  # warm up litellm, tokenizer, pydantic
        await manager.ainvoke(payload)
        await gateway.agenerate(request, tools=manager.tools)
    direct, full, inside = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        await gateway.agenerate(request, tools=manager.tools)
        direct.append(time.perf_counter() - started)
        timed.spent = 0.0
        started = time.perf_counter()
        result = await manager.ainvoke(payload)
        elapsed = time.perf_counter() - started
        full.append(elapsed)
        inside.append(elapsed - timed.spent)
    assert [op.op for op in result.operations] == ["update", "none", "update", "none", "none"]
    assert scripted.requests[-1].messages == request  # the baseline sends the same request
    return {
        "gateway call (median ms)": statistics.median(direct) * 1e3,
        "manager.ainvoke (median ms)": statistics.median(full) * 1e3,
        "overhead, subtract (median ms)": (statistics.median(full) - statistics.median(direct))
        * 1e3,
        "overhead, inside (median ms)": statistics.median(inside) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    tokens = token_report()
    times = run_sync(timings(args.rounds))
    print("prompt tokens, default instructions, 5 existing memories, 4 messages (gpt-4o-mini)")
    for key, value in tokens.items():
        print(f"  {key:<24} {value:>6}")
    share = tokens["total"] / LANGMEM["total"]
    print(
        f"  vs LangMem 0.0.30: {LANGMEM['total']} total, {LANGMEM['tools']} tool schemas, "
        f"{LANGMEM['per_memory']} per further memory -> {share:.0%} of its prompt"
    )
    print(f"manager overhead per invoke ({args.rounds} rounds, scripted model, zero latency)")
    for key, value in times.items():
        print(f"  {key:<31} {value:>7.3f}")
    print(f"  vs LangMem 0.0.30: about {LANGMEM['overhead_ms']:.0f} ms of its own per call")


if __name__ == "__main__":
    main()
