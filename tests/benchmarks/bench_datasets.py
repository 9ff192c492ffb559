"""Benchmark: load and validate a generated 50,000-case dataset (target: under 10 s).

Each case is realistic in shape: one existing memory, two sessions of two messages, an insert
with key terms in the first session, an update of the existing memory in the second, and one
query. Run: ``python tests/benchmarks/bench_datasets.py [--cases N] [--repeats R]``. Prints the
median wall and CPU time over the repeats, the process's peak RSS, and the peak Python heap while
loading (a separate, slower pass under tracemalloc).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from harness.data import load_dataset

CITIES = ["Lisbon", "Oslo", "Quito", "Hanoi", "Perth", "Tunis", "Lyon", "Cusco"]
FOODS = ["ramen", "tacos", "paella", "pho", "falafel", "risotto", "curry", "sushi"]


def make_case(number: int) -> dict:
    city, old = CITIES[number % 8], CITIES[(number + 3) % 8]
    food = FOODS[number % 8]
    return {
        "id": f"bench-{number:06d}",
        "tags": ["bench", "update" if number % 2 else "preference"],
        "existing": [{"id": "m1", "content": f"User lives in {old}"}],
        "sessions": [
            {
                "messages": [
                    {"id": "t1", "role": "user", "content": f"I could eat {food} every day."},
                    {"id": "t2", "role": "assistant", "content": "Sounds delicious!"},
                ],
                "expected": [
                    {
                        "op": "insert",
                        "ref": "g1",
                        "content": f"User loves {food}",
                        "require": [food],
                        "source": ["t1"],
                    }
                ],
            },
            {
                "messages": [
                    {"id": "t3", "role": "user", "content": f"I just moved to {city}."},
                    {"id": "t4", "role": "assistant", "content": f"Welcome to {city}!"},
                ],
                "expected": [
                    {
                        "op": "update",
                        "id": "m1",
                        "content": f"User lives in {city}",
                        "require": [city],
                        "forbid": [old],
                    }
                ],
            },
        ],
        "queries": [{"query": "Where does the user live?", "relevant": ["m1"]}],
    }


def write_dataset(path: Path, cases: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for number in range(cases):
            handle.write(json.dumps(make_case(number)) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.jsonl"
        write_dataset(path, args.cases)
        size_mb = path.stat().st_size / 1e6
        timings, cpu = [], []
        for _ in range(args.repeats):
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            dataset = load_dataset(path)
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            assert len(dataset) == args.cases
            del dataset
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        gc.collect()
        tracemalloc.start()
        load_dataset(path)
        heap_peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    median = statistics.median(timings)
    print(f"file: {args.cases} cases, {size_mb:.1f} MB")
    runs = ", ".join(f"{t:.2f}" for t in timings)
    print(f"load + validate: median {median:.2f} s over {args.repeats} runs ({runs})")
    print("target: < 10 s")
    print(f"CPU time: median {statistics.median(cpu):.2f} s (wall is higher when cores are shared)")
    print(f"throughput: {args.cases / median:,.0f} cases/s")
    print(f"peak RSS of the process: {peak_rss_mb:.0f} MB")
    print(f"peak Python heap during one load (tracemalloc): {heap_peak_mb:.0f} MB")
    sys.exit(0 if median < 10 else 1)


if __name__ == "__main__":
    main()
