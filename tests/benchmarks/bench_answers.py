"""Benchmark: the answer stage (answer + judge per question) inside a real ``harness run``.

``--questions`` answer-only questions spread over ``--cases`` cases, system
``reference/no-memory`` (so the stage's two model calls are all the model work), a scripted
answer model and a scripted judge that each take ``--latency`` seconds, concurrency
``--concurrency``, cache off. Per repeat it reports the run's wall time, the stage's wall time
(first model request to last reply, from the scripted providers' own request times), the ideal
``2 x questions x latency / concurrency`` and the number of model calls per question: the
scripted providers' request logs must hold exactly one answer request and one judge request
for every question (the benchmark fails otherwise). The scripted replies carry their token
usage, as a hosted model's do, so the stand-in model spends no CPU counting tokens. Each run
records the 1-minute load average before and after it. The summary is the median of
``--repeats`` runs.

Run: ``python tests/benchmarks/bench_answers.py [--questions 1000] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def make_cases(questions: int, cases: int) -> list[dict[str, Any]]:
    per_case = questions // cases
    return [
        {
            "id": f"answers-{c:03d}",
            "sessions": [
                {"messages": [{"id": "t1", "role": "user", "content": f"I live in city {c}."}]}
            ],
            "queries": [
                {"id": f"q{q}", "query": f"Where does the user live ({c}/{q})?", "answer": f"{c}"}
                for q in range(per_case)
            ],
        }
        for c in range(cases)
    ]


_QUESTION = re.compile(r"Where does the user live \((\d+/\d+)\)\?")
USAGE = {"input_tokens": 200, "output_tokens": 10}


def _questions_asked(requests: list[Any]) -> collections.Counter[str]:
    """How many requests of a scripted model's log mention each question (by its ``c/q`` tag)."""
    asked: collections.Counter[str] = collections.Counter()
    for request in requests:
        tags = set(_QUESTION.findall(request.last_user_text))
        assert len(tags) == 1, f"a request must be about exactly one question, not {tags}"
        asked.update(tags)
    return asked


def check_two_calls(answerer: Any, grader: Any, questions: int, cases: int) -> None:
    """Exactly one answer call and one judge call per question, from the request logs."""
    per_case = questions // cases
    expected = collections.Counter({f"{c}/{q}": 1 for c in range(cases) for q in range(per_case)})
    for name, model in (("answer", answerer), ("judge", grader)):
        asked = _questions_asked(model.requests)
        assert asked == expected, (
            f"{name} model: questions asked other than once each: "
            f"{dict((asked - expected) + (expected - asked))}"
        )


def one_run(folder: Path, args: argparse.Namespace, index: int) -> dict[str, float]:
    from harness._async import run_sync
    from harness.models.scripted import scripted_model
    from harness.results.db import open_results
    from harness.runner import RunConfig
    from harness.runner.engine import arun

    times: list[float] = []

    def answer(request: Any) -> dict[str, Any]:
        times.append(time.monotonic())
        return {"text": "The user lives there.", "usage": USAGE}

    def judge(request: Any) -> dict[str, Any]:
        times.append(time.monotonic())
        return {"text": '{"reason": "ok", "verdict": "CORRECT"}', "usage": USAGE}

    answerer = scripted_model(f"bench-answer-{index}").reset().respond_with(answer)
    grader = scripted_model(f"bench-judge-{index}").reset().respond_with(judge)
    answerer.delay = grader.delay = args.latency
    dataset = folder / "answers.jsonl"
    dataset.write_text(
        "\n".join(json.dumps(c) for c in make_cases(args.questions, args.cases)) + "\n"
    )
    config = RunConfig(
        dataset=str(dataset),
        model="reference/no-memory",
        answer_model=answerer.model,
        judge_model=grader.model,
        concurrency=args.concurrency,
        cache="off",
        n_resamples=0,
        search_modes=["vector"],
    )
    db = folder / f"r{index}.duckdb"
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = run_sync(arun(config, db=db))
    wall = time.perf_counter() - started
    with open_results(db, read_only=True) as store:
        answered = len(store.answers(result.run_id))
    check_two_calls(answerer, grader, args.questions, args.cases)
    calls = len(answerer.requests) + len(grader.requests)
    stage = max(times) + args.latency - min(times)
    ideal = 2 * args.questions * args.latency / args.concurrency
    return {
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "run_wall_s": wall,
        "stage_wall_s": stage,
        "ideal_s": ideal,
        "stage_over_ideal": stage / ideal,
        "run_over_ideal": wall / ideal,
        "questions": answered,
        "calls_per_question": calls / answered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.repeats):
            runs.append(one_run(Path(tmp), args, index))
            print(json.dumps({"repeat": index, **runs[-1]}))
    summary = {
        key: statistics.median(run[key] for run in runs) for key in runs[0] if key != "questions"
    }
    summary["questions"] = runs[0]["questions"]
    print(json.dumps({"median_of": len(runs), **summary}, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "median": summary}, indent=2))


if __name__ == "__main__":
    main()
