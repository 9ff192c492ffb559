"""Benchmark: scoring cost per case and bootstrap cost over many cases.

(a) ``score_case`` on generated cases (two sessions, an insert and an update with key terms, a
    paraphrased prediction, a spurious insert and a final state of four memories) with the
    ``token_f1`` matcher (pure scoring cost) and the default ``embedding`` matcher (real MiniLM;
    the texts are embedded once, so the timed pass measures scoring with warm vectors);
(b) ``aggregate`` with 1,000 bootstrap resamples over 10,000 cases (all 17 extraction metrics).

Run: ``python tests/benchmarks/bench_scoring.py [--cases N] [--repeats R]``; prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness.data.models import Case
from harness.memory.schemas import MemoryOperation
from harness.scoring import aggregate, get_matcher, score_case

CITIES = ["Lisbon", "Oslo", "Quito", "Hanoi", "Perth", "Tunis", "Lyon", "Cusco"]
FOODS = ["ramen", "tacos", "paella", "pho", "falafel", "risotto", "curry", "sushi"]


def make_case(number: int) -> tuple[Case, list[list[MemoryOperation]], dict[str, str]]:
    city, old, food = CITIES[number % 8], CITIES[(number + 3) % 8], FOODS[number % 8]
    case = Case.model_validate(
        {
            "id": f"bench-{number:06d}",
            "existing": [{"id": "m1", "content": f"User lives in {old}"}],
            "sessions": [
                {
                    "messages": [{"id": "t1", "role": "user", "content": f"I love {food}."}],
                    "expected": [
                        {"op": "insert", "ref": "g1", "content": f"User loves {food}",
                         "require": [food]},
                    ],
                },
                {
                    "messages": [{"id": "t2", "role": "user", "content": f"I moved to {city}."}],
                    "expected": [
                        {"op": "update", "id": "m1", "content": f"User lives in {city}",
                         "require": [city], "forbid": [old]},
                    ],
                },
            ],
        }
    )  # fmt: skip
    after = lambda text: {"content": text}  # noqa: E731
    predicted = [
        [
            MemoryOperation(
                op="insert", id="p1", kind="Memory", after=after(f"User enjoys {food}")
            ),
            MemoryOperation(op="insert", id="p2", kind="Memory", after=after("User says hi")),
        ],
        [
            MemoryOperation(
                op="update", id="m1", kind="Memory", after=after(f"User lives in {city}")
            )
        ],
    ]
    final = {"m1": f"User lives in {city}", "p1": f"User enjoys {food}", "p2": "User says hi"}
    return case, predicted, final


def _time(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cases = [make_case(n) for n in range(args.cases)]
    for name in ("token_f1", "embedding"):
        matcher = get_matcher(name)
        run = lambda m=matcher: [score_case(c, p, f, m) for c, p, f in cases]  # noqa: E731
        cold = _time(run)
        warm = statistics.median(_time(run) for _ in range(args.repeats))
        print(
            f"score_case [{name}]: {args.cases} cases, first pass {cold:.2f} s, "
            f"median {warm:.2f} s = {1000 * warm / args.cases:.2f} ms/case"
        )
    scores = [score_case(c, p, f, get_matcher("token_f1")) for c, p, f in cases[:100]]
    many = (scores * 100)[:10_000]
    times = [_time(lambda: aggregate(many, n_resamples=1000, seed=0)) for _ in range(args.repeats)]
    print(f"aggregate: 10,000 cases x 1,000 resamples, median {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()
