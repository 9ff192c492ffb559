"""Benchmark: the harness at the size of the real benchmarks (synthetic data, see benchgen.py).

Targets (2-core machine; each figure the median of ``--repeats`` runs, each run in a fresh
process so peak RSS is its own):

- ``locomo``: ``baseline/heuristic`` over a LoCoMo-sized import (10 conversations, 5,882 turns):
  harness CPU per ingested turn (target <= 6 ms; the whole run <= 40 s);
- ``lme-import``: importing a LongMemEval-S-sized file (500 questions x ~50 sessions): wall time
  (target <= 10 s) and peak RSS;
- ``lme-run``: ``baseline/heuristic`` over ``--questions`` LongMemEval-S-sized questions: seconds
  (wall and CPU) per question, extrapolated to 500 (target <= 20 min) and peak RSS (target
  <= 2 GB). The slice draws its haystack sessions from a pool scaled to its size, so a session
  recurs across questions as often as in the full 500 (about three times) and the embedding
  cache saves what it would save on the full set.

Every measured process starts with an empty cache folder (``HARNESS_CACHE_DIR``), so nothing
is read from an earlier run's caches. ``--warm-embeddings`` replays the same dataset once first
in the same process, so every text is already in the in-memory embedding cache when the
measured run starts: the figure is then the harness's own cost without the embedding model's
(same code path, the vectors come from the cache). ``--rerun`` measures what a user re-running
a dataset sees: a first process runs it, then a second, measured one runs it again with the
same cache folder, so its embeddings are read from the disk cache.

The machine load (1-minute load average) is printed before and after every measurement: on a
shared machine wall times mean little without it; CPU time per turn is the steadier figure.

Run: ``python tests/benchmarks/bench_benchmarks.py locomo lme-import lme-run [--repeats 5]
[--questions 5] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LME_QUESTIONS, LME_POOL, LME_SESSIONS = 500, 8000, 50  # benchgen.longmemeval_like's defaults


def _child(
    kind: str, source: Path, out: Path, extra: str, cache: Path | None = None
) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; it prints one JSON line. ``cache``: the
    cache folder (embedding vectors on disk included); default a new, empty one."""
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_benchmarks as b; "
        f"b._measure({kind!r}, {str(source)!r}, {str(out)!r}, {extra!r})"
    )
    cache = cache or Path(tempfile.mkdtemp(prefix="cache-", dir=out.parent))
    env = {**os.environ, "HARNESS_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _measure(kind: str, source: str, out: str, extra: str) -> None:
    from harness.data.importers import import_longmemeval, write_cases

    started, cpu = time.perf_counter(), time.process_time()
    result: dict[str, Any] = {}
    if kind == "lme-import":
        write_cases(import_longmemeval(source).cases, out, force=True)
    else:
        result.update(_run_heuristic(source, out, extra))
    result.update(
        wall_s=time.perf_counter() - started,
        cpu_s=time.process_time() - cpu,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    print(json.dumps(result))


def _run_heuristic(dataset: str, db: str, extra: str) -> dict[str, Any]:
    from harness._async import run_sync
    from harness.data import load_dataset
    from harness.runner import RunConfig
    from harness.runner.engine import arun

    cases = list(load_dataset(dataset))
    turns = sum(len(s.messages) for c in cases for s in c.sessions)
    config = RunConfig(dataset=dataset, model="baseline/heuristic", n_resamples=0)
    if extra == "warm":  # every text embedded (and cached) before the measured run
        run_sync(arun(config, db=Path(db).with_suffix(".warm.duckdb")))
    started, cpu = time.perf_counter(), time.process_time()
    run = run_sync(arun(config, db=Path(db)))
    return {
        "cases": len(cases),
        "turns": turns,
        "errors": run.errors,
        "run_wall_s": time.perf_counter() - started,
        "run_cpu_s": time.process_time() - cpu,
    }


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def _repeat(kind: str, source: Path, work: Path, repeats: int, extra: str = "") -> dict[str, Any]:
    runs = []
    for i in range(repeats):
        before = _load()
        out = work / f"{kind}-{i}.{'jsonl' if kind == 'lme-import' else 'duckdb'}"
        cache = None
        if extra == "rerun":  # an earlier process ran the same dataset with this cache folder
            cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
            _child(kind, source, out.with_suffix(".first.duckdb"), "", cache)
        figures = _child(kind, source, out, "" if extra == "rerun" else extra, cache)
        figures.update(load_before=before, load_after=_load())
        runs.append(figures)
        print(f"  {kind} run {i + 1}: {json.dumps(figures)}", flush=True)
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    return {"median": {k: statistics.median(r[k] for r in runs) for k in keys}, "runs": runs}


def main() -> None:
    sys.path.insert(0, str(HERE))
    import benchgen

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="+", choices=["locomo", "lme-import", "lme-run"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--warm-embeddings", action="store_true", help="measure runs whose texts are all cached"
    )
    parser.add_argument(
        "--rerun", action="store_true", help="measure a second process with the first's caches"
    )
    args = parser.parse_args()
    extra = "warm" if args.warm_embeddings else "rerun" if args.rerun else ""
    report: dict[str, Any] = {"cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "locomo" in args.what:
            report["locomo"] = _locomo(benchgen, work, args.repeats, extra)
        if "lme-import" in args.what:
            source = work / "lme_s.json"
            source.write_text(json.dumps(benchgen.longmemeval_like()), encoding="utf-8")
            report["lme-import"] = _repeat("lme-import", source, work, args.repeats)
            source.unlink()
        if "lme-run" in args.what:
            report["lme-run"] = _lme_run(benchgen, work, args.repeats, args.questions, extra)
    print(
        json.dumps(
            {k: v.get("median", v) if isinstance(v, dict) else v for k, v in report.items()},
            indent=1,
        )
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")


def _locomo(benchgen: Any, work: Path, repeats: int, extra: str) -> dict[str, Any]:
    from harness.data.importers import import_locomo, write_cases

    source = work / "locomo.json"
    source.write_text(json.dumps(benchgen.locomo_like()), encoding="utf-8")
    dataset = work / "locomo.jsonl"
    write_cases(import_locomo(source).cases, dataset)
    result = _repeat("locomo", dataset, work, repeats, extra)
    median = result["median"]
    median["cpu_ms_per_turn"] = 1000 * median["run_cpu_s"] / median["turns"]
    return result


def _lme_run(benchgen: Any, work: Path, repeats: int, questions: int, extra: str) -> dict[str, Any]:
    from harness.data.importers import import_longmemeval, write_cases

    source = work / "lme_sample.json"
    pool = max(LME_SESSIONS, round(LME_POOL * questions / LME_QUESTIONS))
    data = benchgen.longmemeval_like(questions=questions, pool=pool)
    source.write_text(json.dumps(data), "utf-8")
    dataset = work / "lme_sample.jsonl"
    write_cases(import_longmemeval(source).cases, dataset)
    result = _repeat("lme-run", dataset, work, repeats, extra)
    median = result["median"]
    median["s_per_question"] = median["run_wall_s"] / questions
    median["cpu_s_per_question"] = median["run_cpu_s"] / questions
    median["extrapolated_500_min"] = median["s_per_question"] * LME_QUESTIONS / 60
    median["extrapolated_500_cpu_min"] = median["cpu_s_per_question"] * LME_QUESTIONS / 60
    return result


if __name__ == "__main__":
    main()
