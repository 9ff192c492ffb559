"""Benchmark: the LanceDB memory store at 10k memories across 100 namespaces.

Run: ``python tests/benchmarks/bench_store.py [--memories 10000] [--namespaces 100]
[--queries 100] [--singles 200] [--json out.json]``

Measures, with the default offline MiniLM embedder:
- embedding throughput (unique sentences/s, batched, wall clock and per CPU-second; and cached
  re-embedding);
- batched put latency (``put_many`` of 500 memories, embedding included) while loading;
- single put latency (one ``put`` each, new keys and updates, embedding included), p50/p95, and
  the table version count afterwards (compaction keeps it bounded);
- search latency p50/p95 for vector, FTS and hybrid within one namespace (prefiltered) and across
  the whole store, end to end (each query string is new, so its embedding is computed);
- disk size of the store directory.

The machine's load average is recorded too: on a shared 2-core machine, wall-clock figures
depend on what else runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from harness.memory.store import LanceStore
from harness.models.embeddings import MiniLMEmbedder, get_embedder

SUBJECTS = ["User", "The user", "User's partner", "User's manager", "User's sister"]
VERBS = ["likes", "dislikes", "often cooks", "is learning", "recently bought", "wants to try",
         "stopped drinking", "collects", "is allergic to", "plans a trip involving"]  # fmt: skip
OBJECTS = ["green tea", "espresso", "sourdough bread", "Japanese", "a road bike", "jazz records",
           "peanuts", "Lisbon", "dark mode editors", "board games", "oat milk", "vintage cameras",
           "mountain hiking", "Python", "watercolour painting", "salsa dancing", "sushi",
           "electric cars", "houseplants", "chess openings"]  # fmt: skip
WHEN = ["", "on weekends", "every morning", "since last spring", "for work", "with friends",
        "after the move", "when travelling"]  # fmt: skip


def sentence(rng: random.Random, n: int) -> str:
    when = rng.choice(WHEN)
    text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    return f"{text} {when} (note {n})".replace("  ", " ")


def value(text: str) -> dict:
    return {"kind": "Memory", "content": {"content": text}}


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples_s: list[float]) -> dict:
    ms = [s * 1000 for s in samples_s]
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(pct(ms, 0.95), 2)}


def bench_embeddings(rng: random.Random, n: int = 2000) -> dict:
    texts = [sentence(rng, 10_000_000 + i) for i in range(n)]
    embedder = MiniLMEmbedder(cache_size=n)
    embedder.embed(["warm up"])
    start, cpu = time.perf_counter(), time.process_time()
    embedder.embed(texts)
    fresh, fresh_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    embedder.embed(texts)
    cached = time.perf_counter() - start
    return {
        "sentences": n,
        "sentences_per_s": round(n / fresh, 1),
        "sentences_per_cpu_s": round(n / fresh_cpu, 1),
        "cached_sentences_per_s": round(n / cached, 1),
    }


def load(store: LanceStore, rng: random.Random, memories: int, namespaces: int) -> dict:
    batch, timings = 500, []
    for start in range(0, memories, batch):
        entries = [
            (("bench", f"u{i % namespaces:03d}"), f"m{i}", value(sentence(rng, i)))
            for i in range(start, min(start + batch, memories))
        ]
        began = time.perf_counter()
        store.put_many(entries)
        timings.append(time.perf_counter() - began)
    per_batch = statistics.median(timings)
    return {
        "batch_size": batch,
        "batches": len(timings),
        "batch_p50_ms": round(per_batch * 1000, 1),
        "per_memory_ms": round(per_batch * 1000 / batch, 3),
        "memories_per_s": round(batch / per_batch, 1),
    }


def single_puts(store: LanceStore, rng: random.Random, count: int, namespaces: int) -> dict:
    timings = []
    for j in range(count):
        namespace = ("bench", f"u{rng.randrange(namespaces):03d}")
        key = f"m{rng.randrange(1000)}" if j % 2 else f"single{j}"  # half updates, half inserts
        text = sentence(rng, 20_000_000 + j)
        began = time.perf_counter()
        store.put(namespace, key, value(text))
        timings.append(time.perf_counter() - began)
    return {"count": count, **summary(timings), "versions_after": store.version_count()}


def searches(store: LanceStore, rng: random.Random, queries: int, namespaces: int) -> dict:
    out = {}
    for scope in ("one_namespace", "all"):
        for mode in ("vector", "fts", "hybrid"):
            timings = []
            for q in range(queries):
                prefix = ("bench", f"u{rng.randrange(namespaces):03d}") if scope != "all" else ()
                query = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} ({scope} {mode} {q})"
                began = time.perf_counter()
                found = store.search(prefix, query=query, mode=mode, limit=10)
                timings.append(time.perf_counter() - began)
                assert found, f"no result for {query!r}"
            out[f"{mode}/{scope}"] = summary(timings)
    return out


def disk_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    rng = random.Random(7)
    results: dict = {"cpu_count": os.cpu_count(), "load_avg_start": os.getloadavg()[0]}
    results["embedding"] = bench_embeddings(rng)
    get_embedder().embed(["warm up"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store"
        store = LanceStore(path)
        results["put_many"] = load(store, random.Random(8), args.memories, args.namespaces)
        # The same texts again into a second store: every embedding is a cache hit, so this is
        # what the store itself costs per memory.
        again = LanceStore(Path(tmp) / "again")
        results["put_many_cached_embeddings"] = load(
            again, random.Random(8), args.memories, args.namespaces
        )
        results["put_single"] = single_puts(store, rng, args.singles, args.namespaces)
        store.optimize()
        results["search"] = searches(store, rng, args.queries, args.namespaces)
        results["disk_mb"] = round(disk_size(path) / 1e6, 1)
        results["memories"] = len(store.search((), limit=10**6))
    results["load_avg_end"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
