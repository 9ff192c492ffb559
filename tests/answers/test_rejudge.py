"""``harness rejudge``: a new run linked to its parent, the parent's answers judged again.

The parent answers every question of the LoCoMo-shaped sample with "Porto" (a scripted
answerer) and its judge says WRONG to everything. The second judge says CORRECT to the city
question and to the adversarial one, WRONG to the rest, so by hand:
qa_j = 1/3 (three ordinary questions), qa_j[single-hop] = 1/2, qa_j[temporal] = 0,
qa_adversarial_j = 1; the offline scores stay the parent's: qa_f1 = (0 + 1 + 0) / 3.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from cli_in_process import cli

from harness.errors import ConfigurationError
from harness.models.scripted import scripted_model
from harness.results.db import open_results
from harness.runner import RunConfig
from harness.runner.engine import run_dataset
from harness.runner.rejudge import rejudge_run

from .samples import write_locomo

CORRECT = ("Which city did Caroline move to?", "What breed is Tomas's horse?")


def _second_judge(request):
    text = request.last_user_text
    if any(f"Question: {q}" in text for q in CORRECT):
        return '{"reason": "matches", "verdict": "CORRECT"}'
    return '{"reason": "differs", "verdict": "WRONG"}'


@pytest.fixture
def models():
    made = [scripted_model(f"test-{uuid.uuid4().hex[:8]}").reset() for _ in range(3)]
    yield made
    for model in made:
        model.reset()


@pytest.mark.slow
def test_rejudge_makes_only_judge_calls_and_recomputes_the_metrics(tmp_path, models):
    answerer, first, second = models
    answerer.respond_with(lambda request: "Porto")
    first.respond_with(lambda request: '{"reason": "no", "verdict": "WRONG"}')
    second.respond_with(_second_judge)
    config = RunConfig(
        dataset=str(write_locomo(tmp_path)),
        model="baseline/oracle",
        answer_model=answerer.model,
        judge_model=first.model,
        search_modes=["vector"],
        n_resamples=100,
    )
    db = tmp_path / "results.duckdb"
    parent = run_dataset(config, db=db)
    asked = len(answerer.requests)
    assert asked == 4 and len(first.requests) == 4

    child = rejudge_run(parent, judge_model=second.model, db=db, name="second-judge")

    assert len(answerer.requests) == asked  # no question answered again
    assert len(second.requests) == 4  # one call per judged question
    with open_results(db) as store:
        run = store.get_run(child)
        m = {name: row.value for name, row in store.run_metrics(child).items()}
        before = {name: row.value for name, row in store.run_metrics(parent).items()}
        calls = store.calls(child)
        answers = store.answers(child)
        cases = store.case_results(child)
    assert run.parent_run_id == parent and run.name == "second-judge"
    assert run.parameters["judge_model"] == second.model
    assert run.components["answering"]["judge_model"] == second.model
    assert [(c.purpose, c.model) for c in calls] == [("judge", second.model)] * 4
    assert sum(c.n_calls for c in cases) == 4
    assert m["qa_j"] == pytest.approx(1 / 3) and before["qa_j"] == 0.0
    assert m["qa_j[single-hop]"] == 0.5 and m["qa_j[temporal]"] == 0.0
    assert m["qa_adversarial_j"] == 1.0 and before["qa_adversarial_j"] == 0.0
    assert m["qa_f1"] == pytest.approx(1 / 3) == before["qa_f1"]
    # the extraction scores are copied, not redone (precision and F1 are n/a: the imported
    # sessions carry no op labels)
    for name in ("micro_recall", "final_f1", "gold_vector_mrr"):
        assert m[name] == before[name] is not None, name
    assert m["micro_f1"] is None and before["micro_f1"] is None
    assert {a.answer for a in answers} == {"Porto"}
    verdicts = {a.question: (a.verdict, a.judge_reason, a.judge_model) for a in answers}
    assert verdicts["Which city did Caroline move to?"] == ("correct", "matches", second.model)
    assert verdicts["What did Melanie paint?"] == ("wrong", "differs", second.model)


@pytest.mark.slow
def test_rejudge_refuses_a_run_without_answers(tmp_path, scripted):
    config = RunConfig(
        dataset=str(write_locomo(tmp_path)),
        model="baseline/noop",
        search_modes=["vector"],
        n_resamples=0,
    )
    db = tmp_path / "results.duckdb"
    parent = run_dataset(config, db=db)
    with pytest.raises(ConfigurationError, match=f"run {parent} has no answers to re-judge"):
        rejudge_run(parent, judge_model=scripted.model, db=db)
    assert scripted.requests == []
    with open_results(db) as store:
        assert [r.run_id for r in store.list_runs()] == [parent]  # no half-made run left


def test_rejudge_of_an_unknown_run_exits_2(tmp_path):
    code = "from harness.cli.main import main; main()"
    db = tmp_path / "results.duckdb"
    args = ["rejudge", "no-such-run", "--judge-model", "scripted/x", "--db", str(db)]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "no run with id or name 'no-such-run'" in done.stderr


@pytest.mark.slow
def test_rejudge_takes_call_timeout_and_max_retries(tmp_path, models, capsys, monkeypatch):
    """A judge that never answers costs (1 + max-retries) x call-timeout per call, as in run."""
    monkeypatch.setenv("HARNESS_CALL_TIMEOUT", "60")  # the options set them: restored after
    monkeypatch.setenv("HARNESS_MAX_RETRIES", "3")
    answerer, judge, silent = models
    answerer.respond_with(lambda request: "Porto")
    judge.respond_with(lambda request: '{"reason": "no", "verdict": "WRONG"}')
    silent.respond_with(lambda request: "too late")
    silent.delay = 3600.0
    config = RunConfig(
        dataset=str(write_locomo(tmp_path)),
        model="baseline/oracle",
        answer_model=answerer.model,
        judge_model=judge.model,
        search_modes=["vector"],
        n_resamples=0,
    )
    db = tmp_path / "results.duckdb"
    parent = run_dataset(config, db=db)
    args = ["rejudge", parent, "--judge-model", silent.model, "--db", str(db)]
    # 1 s, not less: under heavy load litellm's own overhead must not use up the whole timeout
    # before the request reaches the provider's log.
    code = cli(*args, "--call-timeout", "1", "--max-retries", "0")
    err = capsys.readouterr().err
    assert code == 1, err  # a re-judging without a single verdict is no result
    assert 1 <= len(silent.requests) <= 4  # at most one try per question: --max-retries 0
    with open_results(db) as store:
        (child,) = [r for r in store.list_runs() if r.parent_run_id == parent]
        errors = {a.judge_error for a in store.answers(child.run_id)}
    assert child.status == "failed" and child.error.startswith("every judge call failed (4 ")
    assert f"error: run {child.run_id} failed: every judge call failed" in err
    assert len(errors) == 1 and "no answer within 1 s" in errors.pop()
