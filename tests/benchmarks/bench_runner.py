"""Benchmark: the replay runner end to end (scripted model, real LanceDB, MiniLM, DuckDB).

(a) zero-latency model over ``--cases`` generated cases (two sessions each: an insert, then an
    update of a seeded memory; one retrieval query): cases per second at the default
    concurrency, and the per-case harness overhead split into the model path (inside the
    extractor: prompt, litellm, parsing), the store (seeding, the store manager's retrieval and
    writes, listing the final state, the gold namespace), scoring, retrieval queries and the
    database write, measured at concurrency 1 on a sample so phases do not overlap;
(b) a model that takes ``--latency`` seconds per call, ``--slow-cases`` cases at concurrency
    ``--concurrency``: achieved throughput as a fraction of the ideal
    ``concurrency / (calls per case x latency)``;
(c) a re-run of (a)'s configuration served entirely from the response cache: speed-up over the
    first run and the number of calls that reached the model (must be 0).

Run: ``python tests/benchmarks/bench_runner.py [--cases 1000] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

CITIES = ["Lisbon", "Oslo", "Quito", "Hanoi", "Perth", "Tunis", "Lyon", "Cusco", "Accra", "Riga"]
FOODS = ["ramen", "tacos", "paella", "pho", "falafel", "risotto", "curry", "sushi", "dal", "mole"]
USAGE = {"input_tokens": 300, "output_tokens": 20}
_TURN = re.compile(r"^\[(?P<id>[^\]]+)\] user: (?P<text>.*)$", re.M)
_MEMORY = re.compile(r"^\[(?P<handle>[^\]]+)\] Memory (?P<content>\{.*\})$", re.M)


def make_case(n: int) -> dict[str, Any]:
    food, old, city = FOODS[n % 10], CITIES[(n + 3) % 10], CITIES[n % 10]
    return {
        "id": f"bench-{n:05d}",
        "existing": [{"id": "m1", "content": f"User lives in {old}"}],
        "sessions": [
            {
                "messages": [
                    {"id": "t1", "role": "user", "content": f"I love {food}, case {n}."},
                    {"id": "t2", "role": "assistant", "content": "Good to know."},
                ],
                "expected": [
                    {"op": "insert", "ref": "g1", "content": f"User loves {food} ({n})",
                     "require": [food]},
                ],
            },
            {
                "messages": [{"id": "t3", "role": "user", "content": f"I moved to {city}."}],
                "expected": [
                    {"op": "update", "id": "m1", "content": f"User lives in {city}",
                     "require": [city], "forbid": [old] if old != city else []},
                ],
            },
        ],
        "queries": [{"query": f"Where does the user live now? ({n})", "relevant": ["m1"]}],
    }  # fmt: skip


def reply(request: Any) -> dict[str, Any]:
    """Answer like a good model: store the food, move the user."""
    prompt = request.last_user_text
    said = _TURN.search(prompt)["text"]
    if said.startswith("I love"):
        food, case = re.match(r"I love (\w+), case (\d+)\.", said).groups()
        call = {"name": "insert_memory", "arguments": {"content": f"User loves {food} ({case})"}}
    else:
        city = re.match(r"I moved to (\w+)\.", said).group(1)
        handle = next(
            m["handle"]
            for m in _MEMORY.finditer(prompt)
            if "lives in" in json.loads(m["content"])["content"]
        )
        call = {
            "name": "update_memory",
            "arguments": {"id": handle, "content": f"User lives in {city}"},
        }
    return {"tool_calls": [call], "usage": USAGE}


def write_dataset(path: Path, n: int) -> Path:
    path.write_text("".join(json.dumps(make_case(i)) + "\n" for i in range(n)), encoding="utf-8")
    return path


def _run(config: Any, db: Path) -> tuple[Any, float]:
    from harness._async import run_sync
    from harness.runner.engine import arun

    started = time.perf_counter()
    result = run_sync(arun(config, db=db))
    return result, time.perf_counter() - started


def _config(dataset: Path, model: str, **options: Any) -> Any:
    from harness.runner import RunConfig

    return RunConfig(dataset=str(dataset), model=model, n_resamples=1000, **options)


def _split(db: Path, run_id: str, writer: Any) -> dict[str, float]:
    from harness.reports import open_results

    with open_results(db) as store:
        records = store.case_results(run_id)
    phases = ("total_s", "model_path_s", "store_s", "scoring_s", "retrieval_s")
    split = {p: statistics.median(r.timings[p] for r in records) * 1000 for p in phases}
    split["db_write_s"] = writer.seconds / max(writer.records, 1) * 1000
    return {name.replace("_s", "_ms"): round(value, 1) for name, value in split.items()}


def bench_zero_latency(folder: Path, cases: int, sample: int) -> dict[str, Any]:
    from harness.models.scripted import scripted_model

    model = scripted_model("bench-fast").reset().respond_with(reply)
    dataset = write_dataset(folder / "fast.jsonl", cases)
    db = folder / "fast.duckdb"
    result, wall = _run(_config(dataset, model.model, cache="off"), db)
    assert result.errors == 0, "benchmark cases must not fail"
    sample_set = write_dataset(folder / "sample.jsonl", sample)
    one, _ = _run(_config(sample_set, model.model, cache="off", concurrency=1), db)
    return {
        "cases": cases,
        "wall_s": round(wall, 1),
        "cases_per_s": round(cases / wall, 2),
        "micro_f1": result.metrics["micro_f1"].value,
        "per_case_ms_at_concurrency_1": _split(db, one.run_id, one.writer),
        "sample_cases": sample,
    }


def bench_latency(folder: Path, cases: int, latency: float, concurrency: int) -> dict[str, Any]:
    from harness.models.scripted import scripted_model

    model = scripted_model("bench-slow").reset().respond_with(reply)
    model.delay = latency
    dataset = write_dataset(folder / "slow.jsonl", cases)
    result, wall = _run(
        _config(dataset, model.model, cache="off", concurrency=concurrency), folder / "slow.duckdb"
    )
    calls_per_case = len(model.requests) / cases
    ideal = concurrency / (calls_per_case * latency)
    achieved = cases / wall
    return {
        "cases": cases,
        "latency_s": latency,
        "concurrency": concurrency,
        "calls_per_case": calls_per_case,
        "wall_s": round(wall, 2),
        "achieved_cases_per_s": round(achieved, 2),
        "ideal_cases_per_s": round(ideal, 2),
        "fraction_of_ideal": round(achieved / ideal, 3),
        "errors": result.errors,
    }


def bench_cached(folder: Path, cases: int) -> dict[str, Any]:
    from harness.models.scripted import scripted_model

    model = scripted_model("bench-cached").reset().respond_with(reply)
    model.delay = 0.05  # a fast hosted model; the cache makes it irrelevant
    dataset = write_dataset(folder / "cached.jsonl", cases)
    db = folder / "cached.duckdb"
    config = _config(dataset, model.model, cache="read-write")
    first, first_wall = _run(config, db)
    calls_first = len(model.requests)
    second, second_wall = _run(config, db)
    return {
        "cases": cases,
        "first_wall_s": round(first_wall, 1),
        "cached_wall_s": round(second_wall, 1),
        "speedup": round(first_wall / second_wall, 2),
        "model_calls_first": calls_first,
        "model_calls_cached": len(model.requests) - calls_first,
        "cached_calls_recorded": second.metrics["cached_calls"].value,
        "same_micro_f1": first.metrics["micro_f1"].value == second.metrics["micro_f1"].value,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--slow-cases", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--cached-cases", type=int, default=200)
    parser.add_argument("--only", choices=["a", "b", "c"], default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("HARNESS_CACHE_DIR", tempfile.mkdtemp(prefix="bench-cache-"))
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        folder = Path(tmp)
        if args.only in (None, "a"):
            out["a_zero_latency"] = bench_zero_latency(folder, args.cases, args.sample)
            print(json.dumps({"a_zero_latency": out["a_zero_latency"]}, indent=2), flush=True)
        if args.only in (None, "b"):
            out["b_latency"] = bench_latency(
                folder, args.slow_cases, args.latency, args.concurrency
            )
            print(json.dumps({"b_latency": out["b_latency"]}, indent=2), flush=True)
        if args.only in (None, "c"):
            out["c_cached"] = bench_cached(folder, args.cached_cases)
            print(json.dumps({"c_cached": out["c_cached"]}, indent=2), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
