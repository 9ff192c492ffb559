"""Helpers shared by the runner tests: the tiny labeled dataset, runs, synthetic cases.

A module of its own (not ``conftest``) so that imports never pick another folder's conftest."""

from __future__ import annotations

from pathlib import Path

from harness._async import run_sync
from harness.results import ResultsStore, open_results
from harness.runner import RunConfig
from harness.runner.engine import RunResult, arun

DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny.jsonl"


def run(config: RunConfig, db: Path | ResultsStore, **kwargs) -> RunResult:
    return run_sync(arun(config, db=db, **kwargs))


def results(db: Path) -> ResultsStore:
    return open_results(db)


def synthetic_cases(n: int, *, sessions: int = 1) -> list[dict]:
    """``n`` cases whose gold inserts are exactly what ``scripted_fixture``'s echo stores."""
    cases = []
    for i in range(n):
        replayed = []
        for s in range(sessions):
            text = f"My lucky number number {s} is {i * 7 + s}."
            replayed.append(
                {
                    "messages": [{"id": f"c{i}s{s}", "role": "user", "content": text}],
                    "expected": [{"op": "insert", "ref": f"g{s}", "content": f"User said: {text}"}],
                }
            )
        query = {"query": f"lucky number {i * 7}", "relevant": ["g0"]}
        cases.append({"id": f"syn-{i:04d}", "sessions": replayed, "queries": [query]})
    return cases


def write_cases(path: Path, cases: list[dict]) -> Path:
    import json

    path.write_text("".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8")
    return path
