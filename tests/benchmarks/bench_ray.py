"""Benchmark: the Ray executor against the local one, on this machine (needs the [ray] extra).

(a) throughput: ``--cases`` generated cases (two sessions each, so two model calls; one
    retrieval query) through a scripted model that takes ``--latency`` seconds per call, at the
    same total concurrency ``--concurrency`` for both executors (Ray: a local Ray with one
    worker per CPU, the concurrency split between them): cases per second, against the ideal
    ``concurrency / (calls per case x latency)``;
(b) per-shard overhead: a zero-latency model, one case at a time (concurrency 1, so one Ray
    worker), over ``--overhead-cases`` cases and over a fifth of them; the difference of the two
    walls over the difference in cases is the cost of one more case, free of per-run costs
    (workers preparing the run); Ray's minus the local one is the price of sending a shard to
    a worker and its record back. The per-run cost of the Ray executor is reported beside it.

A warm-up run of each executor comes first (Ray started, workers up, imports and models
loaded), so no figure includes start-up. Each figure is the median of ``--repeat`` runs; the
load average is printed before and after, since other processes share the cores.

Run: ``python tests/benchmarks/bench_ray.py [--cases 2000] [--repeat 1] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _setup(folder: Path, latency: float) -> Any:
    """Environment every process shares (workers inherit it), then a local Ray."""
    paths = [str(HERE), str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    sys.path[:0] = [str(HERE)]
    os.environ.update(
        {
            "HARNESS_SCRIPTED_RESPONDER": "bench_ray_plugin",
            "HARNESS_BENCH_LATENCY": str(latency),
            "HARNESS_CACHE_DIR": str(folder / "cache"),
            "RAY_USAGE_STATS_ENABLED": "0",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "ORT_DISABLE_TELEMETRY": "1",
        }
    )
    import ray

    ray.init(include_dashboard=False, log_to_driver=False)
    return ray


def _run(dataset: Path, db: Path, model: str, concurrency: int, ray: bool) -> tuple[Any, float]:
    from harness._async import run_sync
    from harness.runner import RunConfig
    from harness.runner.engine import arun
    from harness.runner.executor import ExecutorOptions

    config = RunConfig(
        dataset=str(dataset),
        model=model,
        cache="off",
        concurrency=concurrency,
        n_resamples=0,
        search_modes=["vector"],
    )
    executor = ExecutorOptions(kind="ray") if ray else None
    started = time.perf_counter()
    result = run_sync(arun(config, db=db, executor=executor))
    wall = time.perf_counter() - started
    assert result.errors == 0, "benchmark cases must not fail"
    return result, wall


def _median_wall(runs: int, *args: Any) -> tuple[float, Any]:
    walls, result = [], None
    for _ in range(runs):
        result, wall = _run(*args)
        walls.append(wall)
    return statistics.median(walls), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--overhead-cases", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        folder = Path(tmp)
        ray = _setup(folder, args.latency)
        from bench_runner import write_dataset

        load_before = os.getloadavg()
        cpus = int(ray.cluster_resources().get("CPU", 1))
        warm = write_dataset(folder / "warm.jsonl", 4)
        for on_ray in (False, True):
            _run(warm, folder / "warm.duckdb", "scripted/bench-ray-fast", args.concurrency, on_ray)
        slow = write_dataset(folder / "slow.jsonl", args.cases)
        small_n = max(1, args.overhead_cases // 5)
        fast = write_dataset(folder / "fast.jsonl", args.overhead_cases)
        small = write_dataset(folder / "small.jsonl", small_n)
        db = folder / "bench.duckdb"
        out: dict[str, Any] = {"cpus": cpus, "load_before": [round(x, 1) for x in load_before]}
        calls_per_case = 2
        ideal = args.concurrency / (calls_per_case * args.latency)
        for name, on_ray in (("local", False), ("ray", True)):
            wall, _ = _median_wall(
                args.repeat, slow, db, "scripted/bench-ray-slow", args.concurrency, on_ray
            )
            out[f"throughput_{name}"] = {
                "cases": args.cases,
                "latency_s": args.latency,
                "concurrency": args.concurrency,
                "wall_s": round(wall, 1),
                "cases_per_s": round(args.cases / wall, 2),
                "ideal_cases_per_s": round(ideal, 2),
                "fraction_of_ideal": round(args.cases / wall / ideal, 3),
            }
        per_case, fixed = {}, {}
        for name, on_ray in (("local", False), ("ray", True)):
            walls = [
                _median_wall(args.repeat, data, db, "scripted/bench-ray-fast", 1, on_ray)[0]
                for data in (small, fast)
            ]
            per_case[name] = (walls[1] - walls[0]) / (args.overhead_cases - small_n)
            fixed[name] = walls[0] - per_case[name] * small_n
        out["per_shard"] = {
            "cases": [small_n, args.overhead_cases],
            "local_ms_per_case": round(per_case["local"] * 1000, 1),
            "ray_ms_per_case": round(per_case["ray"] * 1000, 1),
            "overhead_ms_per_shard": round((per_case["ray"] - per_case["local"]) * 1000, 1),
            "ray_extra_per_run_s": round(fixed["ray"] - fixed["local"], 1),
        }
        out["ray_vs_local"] = round(
            out["throughput_ray"]["cases_per_s"] / out["throughput_local"]["cases_per_s"], 2
        )
        out["load_after"] = [round(x, 1) for x in os.getloadavg()]
        out["repeat"] = args.repeat
        ray.shutdown()
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
