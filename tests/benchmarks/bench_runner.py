"""Benchmark: the replay runner end to end (scripted model, real LanceDB, MiniLM, DuckDB).

(a) zero-latency model over ``--cases`` generated cases (two sessions each: an insert, then an
    update of a seeded memory; one retrieval query): cases per second at the default
    concurrency, and the per-case harness overhead split into the model path (inside the
    extractor: prompt, litellm, parsing), the store (seeding, the store manager's retrieval and
    writes, listing the final state, the gold namespace), scoring, retrieval queries and the
    database write, measured on a sample replayed strictly one case at a time (replay and
    evaluation stages included), so phases do not overlap;
(b) a model that takes ``--latency`` seconds per call, ``--slow-cases`` cases at concurrency
    ``--concurrency`` (and at each ``--also-concurrency``): achieved throughput as a fraction of
    the ideal ``concurrency / (calls per case x latency)`` (the default case count is a multiple
    of the concurrency, so the last wave is full and the ideal is reachable); also the harness's
    own CPU time per case and the throughput that CPU allows on this machine (cores / CPU per
    case), since the ideal is only reachable while the model, not the harness, is the bottleneck;
    and where the rest of the time goes: how long a call holds its slot (median, against the
    model's latency), how many slots are taken on average between the first call and the last,
    and the seconds before the first call and after the last;
(c) a run with that slow model (default concurrency), then the same configuration again, served
    entirely from the response cache: speed-up over the first run and the number of calls that
    reached the model (must be 0).

(b) and (c) are repeated ``--repeats`` times and summarised by their medians. Every figure
carries the 1-minute load average before and after it: on a shared machine the cached run (CPU
bound) slows down with the load while the first run (bound by the model's latency) does not.

Run: ``python tests/benchmarks/bench_runner.py [--cases 1000] [--repeats 5] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import contextlib
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
    from harness.results import open_results

    with open_results(db) as store:
        records = store.case_results(run_id)
    phases = ("total_s", "model_path_s", "store_s", "scoring_s", "retrieval_s")
    split = {p: statistics.median(r.timings[p] for r in records) * 1000 for p in phases}
    split["db_write_s"] = writer.seconds / max(writer.records, 1) * 1000
    return {name.replace("_s", "_ms"): round(value, 1) for name, value in split.items()}


def warm_up(folder: Path) -> None:
    """Import litellm, load MiniLM and LanceDB once, so no figure includes start-up costs."""
    from harness.models.scripted import scripted_model

    model = scripted_model("bench-warm-up").reset().respond_with(reply)
    _run(_config(write_dataset(folder / "warm.jsonl", 3), model.model), folder / "warm.duckdb")


@contextlib.contextmanager
def _serial():
    """One case at a time, replay and evaluation alike, so phases never overlap."""
    import asyncio

    from harness.runner import engine

    class Serial:
        def __init__(self, replay: int | None = None, evaluate: int | None = None) -> None:
            self.prepare = asyncio.Semaphore(1)  # held until the replay slot is taken
            self.replay = self.evaluate = asyncio.Semaphore(1)

    original, engine.Slots = engine.Slots, Serial
    try:
        yield
    finally:
        engine.Slots = original


def bench_zero_latency(folder: Path, cases: int, sample: int) -> dict[str, Any]:
    from harness.models.scripted import scripted_model

    model = scripted_model("bench-fast").reset().respond_with(reply)
    dataset = write_dataset(folder / "fast.jsonl", cases)
    db = folder / "fast.duckdb"
    result, wall = _run(_config(dataset, model.model, cache="off"), db)
    assert result.errors == 0, "benchmark cases must not fail"
    sample_set = write_dataset(folder / "sample.jsonl", sample)
    with _serial():
        one, _ = _run(_config(sample_set, model.model, cache="off", concurrency=1), db)
    return {
        "cases": cases,
        "wall_s": round(wall, 1),
        "cases_per_s": round(cases / wall, 2),
        "micro_f1": result.metrics["micro_f1"].value,
        "per_case_ms_serial": _split(db, one.run_id, one.writer),
        "sample_cases": sample,
    }


def _load() -> float:
    return round(os.getloadavg()[0], 2)


@contextlib.contextmanager
def _slot_trace():
    """Record when every model call takes and frees its run-wide slot (the benchmark wraps
    ``CallLimit.slot``; the run itself is unchanged)."""
    from harness.models import limits

    spans: list[tuple[float, float]] = []
    original = limits.CallLimit.slot

    @contextlib.asynccontextmanager
    async def traced(self: Any):
        async with original(self):
            taken = time.perf_counter()
            try:
                yield
            finally:
                spans.append((taken, time.perf_counter()))

    limits.CallLimit.slot = traced
    try:
        yield spans
    finally:
        limits.CallLimit.slot = original


def _slot_figures(spans: list[tuple[float, float]], started: float, ended: float) -> dict[str, Any]:
    """Median slot hold, mean slots taken from the first call to the last, head and tail."""
    first, last = min(t for t, _ in spans), max(t for _, t in spans)
    busy = sum(end - start for start, end in spans)
    return {
        "slot_hold_median_s": round(statistics.median(end - start for start, end in spans), 3),
        "slots_taken_mean": round(busy / (last - first), 1),
        "before_first_call_s": round(first - started, 2),
        "after_last_call_s": round(ended - last, 2),
    }


def bench_latency(
    folder: Path, cases: int, latency: float, concurrency: int, index: int = 0
) -> dict[str, Any]:
    from harness.models.scripted import scripted_model

    model = scripted_model(f"bench-slow-{concurrency}-{index}").reset().respond_with(reply)
    model.delay = latency
    dataset = write_dataset(folder / f"slow-{concurrency}.jsonl", cases)
    db = folder / f"slow-{concurrency}-{index}.duckdb"
    load_before = _load()
    cpu_started = time.process_time()
    started = time.perf_counter()
    with _slot_trace() as spans:
        result, wall = _run(_config(dataset, model.model, cache="off", concurrency=concurrency), db)
    ended = time.perf_counter()
    cpu = time.process_time() - cpu_started
    calls_per_case = len(model.requests) / cases
    ideal = concurrency / (calls_per_case * latency)
    achieved = cases / wall
    cpu_bound = (os.cpu_count() or 1) / (cpu / cases)  # if the harness's own work were the limit
    waves = -(-cases // concurrency)  # a partly filled last wave takes a full wave's time
    return {
        "load_before": load_before,
        "load_after": _load(),
        "cases": cases,
        "latency_s": latency,
        "concurrency": concurrency,
        "calls_per_case": calls_per_case,
        "wall_s": round(wall, 2),
        "achieved_cases_per_s": round(achieved, 2),
        "ideal_cases_per_s": round(ideal, 2),
        "fraction_of_ideal": round(achieved / ideal, 3),
        "fraction_of_wave_bound": round(waves * calls_per_case * latency / wall, 3),
        "harness_cpu_ms_per_case": round(cpu / cases * 1000, 1),
        "cpu_bound_cases_per_s": round(cpu_bound, 2),
        "fraction_of_min_ideal_cpu_bound": round(achieved / min(ideal, cpu_bound), 3),
        "errors": result.errors,
        **_slot_figures(spans, started, ended),
    }


def bench_cached(folder: Path, cases: int, latency: float, index: int = 0) -> dict[str, Any]:
    from harness.models.scripted import scripted_model

    model = scripted_model(f"bench-cached-{index}").reset().respond_with(reply)
    model.delay = latency
    dataset = write_dataset(folder / "cached.jsonl", cases)
    db = folder / f"cached-{index}.duckdb"
    config = _config(dataset, model.model, cache="read-write")
    load_first = _load()
    first, first_wall = _run(config, db)
    calls_first = len(model.requests)
    load_cached = _load()
    cpu_started = time.process_time()
    second, second_wall = _run(config, db)
    cpu = time.process_time() - cpu_started
    return {
        "load_first": load_first,
        "load_cached": load_cached,
        "load_after": _load(),
        "cases": cases,
        "latency_s": latency,
        "first_wall_s": round(first_wall, 1),
        "cached_wall_s": round(second_wall, 1),
        "speedup": round(first_wall / second_wall, 2),
        "cached_cpu_ms_per_case": round(cpu / cases * 1000, 1),
        "model_calls_first": calls_first,
        "model_calls_cached": len(model.requests) - calls_first,
        "cached_calls_recorded": second.metrics["cached_calls"].value,
        "same_micro_f1": first.metrics["micro_f1"].value == second.metrics["micro_f1"].value,
    }


def _repeated(label: str, repeats: int, run: Any) -> dict[str, Any]:
    """``run(index)`` ``repeats`` times; every run and the median of each numeric figure."""
    runs = []
    for index in range(repeats):
        runs.append(run(index))
        print(json.dumps({label: {"repeat": index, **runs[-1]}}), flush=True)
    median = {
        key: statistics.median(r[key] for r in runs)
        for key, value in runs[0].items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    median |= {k: all(r[k] for r in runs) for k, v in runs[0].items() if isinstance(v, bool)}
    return {"median_of": repeats, "median": median, "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--slow-cases", type=int, default=256)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--also-concurrency", type=int, nargs="*", default=[], help="further (b) runs, e.g. 4"
    )
    parser.add_argument("--cached-cases", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5, help="runs of (b) and (c) each")
    parser.add_argument("--only", choices=["a", "b", "c"], default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("HARNESS_CACHE_DIR", str(folder / "cache"))  # removed with tmp
        warm_up(folder)
        if args.only in (None, "a"):
            out["a_zero_latency"] = bench_zero_latency(folder, args.cases, args.sample)
            print(json.dumps({"a_zero_latency": out["a_zero_latency"]}, indent=2), flush=True)
        if args.only in (None, "b"):
            for concurrency in (args.concurrency, *args.also_concurrency):
                key = f"b_latency_concurrency_{concurrency}"
                out[key] = _repeated(
                    key,
                    args.repeats,
                    lambda i, c=concurrency: bench_latency(
                        folder, args.slow_cases, args.latency, c, i
                    ),
                )
                print(json.dumps({key: out[key]["median"]}, indent=2), flush=True)
        if args.only in (None, "c"):
            out["c_cached"] = _repeated(
                "c_cached",
                args.repeats,
                lambda i: bench_cached(folder, args.cached_cases, args.latency, i),
            )
            print(json.dumps({"c_cached": out["c_cached"]["median"]}, indent=2), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
