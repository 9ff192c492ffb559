"""End-to-end optimizations: real runner, DuckDB, LanceDB, MiniLM scoring; scripted models only.

Expected numbers are worked out by hand from the planted dataset (see ``conftest.py``): with the
start template the extractor gets the "love" cases and misses the "adore" ones, so the start
scores micro F1 4/6 on train (2 of 4 found), 2/4 on dev (1 of 3) and 4/5 on test (2 of 3).
Every evaluation of a one-session case costs exactly one extraction call.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from planted import BAD, GOOD, HALF_TEMPLATE, START, reply

from harness._async import run_sync
from harness.errors import ConfigurationError
from harness.models.usage import record_calls
from harness.optimize import OptimizeConfig, aoptimize
from harness.optimize.objective import set_score
from harness.optimize.store import OptimizeStore
from harness.results.db import open_results
from harness.templates import InstructionTemplate, load_template

pytestmark = pytest.mark.slow

TEST = ["te-1", "te-2", "te-3"]


def run(config=None, *, db, resume=None, budget=None):
    """Optimize, collecting every model call made on the way."""

    async def go():
        with record_calls() as calls:
            result = await aoptimize(config, db=db, resume=resume, budget=budget)
        return result, calls

    return run_sync(go())


def provider_calls(calls) -> int:
    return sum(1 for call in calls if not call.usage.cached)


def stored(db, opt_id):
    with open_results(db) as results:
        store = OptimizeStore.of(results)
        try:
            return {
                "proposals": store.proposals(opt_id),
                "candidates": store.candidates(opt_id),
                "scores": store.scores(opt_id),
                "spend": store.spend_rows(opt_id),
                "row": store.get(opt_id),
            }
        finally:
            store.close()


def test_planted_better_template_wins_on_dev_and_is_reported_on_test_cases_only(planted):
    """The must-show run: the proposer returns a worse, a half-better and a better template.

    Start objectives differ on every split (train 4/6, dev 2/4, test 4/5), so a train or dev
    number reported as the test score would show.
    """
    planted.proposer.enqueue_text(reply(BAD)).enqueue_text(reply(HALF_TEMPLATE))
    planted.proposer.enqueue_text(reply(GOOD))
    config = OptimizeConfig(**planted.options(max_iterations=3))

    result, calls = run(config, db=planted.db)

    # it1: BAD scores 0 on the minibatch [tr-2, tr-3] like its parent: screened out.
    # it2: HALF fixes tr-2 (jazz): accepted, train 6/7, dominates c0.
    # it3: parent c2, minibatch [tr-3]; GOOD fixes it: accepted, train 1.0.
    assert result.status == "finished"
    assert result.stop_reason == "max iterations (3) reached"
    assert result.proposals == {"accepted": 2, "rejected": 1}
    assert result.train == pytest.approx({"c0": 4 / 6, "c1": None, "c2": 6 / 7, "c3": 1.0})
    assert result.selection == "dev"
    assert result.dev == pytest.approx({"c0": 2 / 4, "c3": 1.0})
    assert result.winner_id == "c3"

    test = result.test
    assert test is not None and test.case_ids == TEST
    assert (test.start_id, test.winner_id) == ("c0", "c3")
    f1 = test.metrics["micro_f1"]
    assert f1.start == pytest.approx(4 / 5) and f1.winner == pytest.approx(1.0)
    assert f1.diff == pytest.approx(1 / 5)
    assert f1.low <= f1.diff <= f1.high
    assert test.metrics["micro_recall"].start == pytest.approx(2 / 3)

    # calls: start 4; it1 1+2; it2 1+2+2; it3 1+1+3; dev 3+3; test 3+3
    assert provider_calls(calls) == result.spent["calls"] == 29
    assert result.spent["unpriced_calls"] == 29

    rows = stored(planted.db, result.opt_id)
    assert [(p.iteration, p.parent_id, p.minibatch, p.outcome) for p in rows["proposals"]] == [
        (1, "c0", ["tr-2", "tr-3"], "rejected"),
        (2, "c0", ["tr-2", "tr-3"], "accepted"),
        (3, "c2", ["tr-3"], "accepted"),
    ]
    assert {c.candidate_id: c.status for c in rows["candidates"]} == {
        "c0": "evaluated", "c1": "screened_out", "c2": "evaluated", "c3": "evaluated"
    }  # fmt: skip
    test_rows = [s for s in rows["scores"] if s.stage == "test"]
    assert {(s.candidate_id, s.case_id) for s in test_rows} == {
        (c, case) for c in ("c0", "c3") for case in TEST
    }
    assert all(s.split == "test" for s in test_rows)
    with open_results(planted.db) as results:
        runs = {tuple(r.name.split()[-2:]): r.run_id for r in results.list_runs() if r.name}
        start_test = results.case_results(runs[("c0", "test")])
    assert sorted(r.case_id for r in start_test) == TEST
    assert {r.split for r in start_test} == {"test"}
    assert f1.start == pytest.approx(set_score([r.counts for r in start_test], "micro_f1"))
    assert f1.start not in (result.train["c0"], result.dev["c0"])

    text = (planted.folder / "winner.j2").read_text(encoding="utf-8")
    assert "lineage: c0 -> c2 -> c3" in text
    assert "test (3 cases): start 0.8000, winner 1.0000" in text
    assert "train (4 cases): start 0.6667, winner 1.0000" in text
    winner = load_template(planted.folder / "winner.j2")
    assert winner.render() == InstructionTemplate("good", GOOD).render()


def test_invalid_and_failed_proposals_are_recorded_and_the_search_goes_on(planted):
    planted.proposer.enqueue_error("bad_request", "scripted refusal")
    planted.proposer.enqueue_text(reply("{% if enable_updates %}Update facts.\n"))
    planted.proposer.enqueue_text(
        reply(START + "{% if user_name %}The user is {{ user_nme }}.{% endif %}\n")
    )
    planted.proposer.enqueue_text("I would rather not rewrite it.")
    planted.proposer.enqueue_text(reply(START))
    planted.proposer.enqueue_text(reply(GOOD))
    result, calls = run(OptimizeConfig(**planted.options(max_iterations=6)), db=planted.db)

    rows = stored(planted.db, result.opt_id)
    outcomes = [(p.iteration, p.outcome) for p in rows["proposals"]]
    assert outcomes == [
        (1, "error"), (2, "invalid"), (3, "invalid"), (4, "invalid"), (5, "duplicate"),
        (6, "accepted"),
    ]  # fmt: skip
    errors = [p.error for p in rows["proposals"]]
    assert "scripted refusal" in errors[0]
    assert "syntax error" in errors[1] and "line" in errors[1]
    assert "user_nme" in errors[2]
    assert "no template" in errors[3]
    assert errors[4] == "same template as candidate c0"
    assert [c.candidate_id for c in rows["candidates"]] == ["c0", "c6"]
    assert result.winner_id == "c6"
    # every proposal costs its call, usable or not: start 4, six proposals, c6 on its minibatch
    # [tr-2, tr-3] and on the other two train cases, then dev 3+3 and test 3+3.
    assert provider_calls(calls) == result.spent["calls"] == 4 + 6 + 2 + 2 + 6 + 6


@pytest.mark.parametrize(("max_calls", "iterations"), [(48, 0), (49, 1)])
def test_call_budget_is_never_exceeded_and_ends_the_search(planted, max_calls, iterations):
    # Worst cases (2 calls per session: max_steps 1 + max_repairs 1): train 8, dev 6, test 6;
    # reserve = 4 dev contenders x 6 + 2 x 6 = 36. Start: 8 + 36 <= 48. An iteration from c0
    # needs 1 + 4 + 4 = 9: after the start (4 spent) 4 + 9 + 36 = 49.
    planted.proposer.enqueue_text(reply(HALF_TEMPLATE)).enqueue_text(reply(GOOD))
    config = OptimizeConfig(**planted.options(max_calls=max_calls, max_iterations=10))
    result, calls = run(config, db=planted.db)

    assert provider_calls(calls) == result.spent["calls"] <= max_calls
    assert result.stop_reason.startswith(f"budget: iteration {iterations + 1} could need 9 calls")
    assert result.iterations == iterations
    assert len(planted.proposer.requests) == iterations
    rows = stored(planted.db, result.opt_id)
    search_spend = sum(r.calls for r in rows["spend"] if r.step not in ("dev", "test"))
    assert search_spend + 9 + 36 > max_calls  # the refused iteration could have crossed it
    assert result.status == "finished" and result.test is not None
    assert all(r.calls <= r.bound_calls for r in rows["spend"])


def test_budget_too_small_for_the_start_is_refused_before_anything_is_recorded(planted):
    config = OptimizeConfig(**planted.options(max_calls=43))
    with pytest.raises(ConfigurationError, match=r"budget too small.*8 calls.*reserve 36"):
        run(config, db=planted.db)
    with open_results(planted.db) as results:
        assert results.query("SELECT count(*) AS n FROM optimizations")[0]["n"] == 0
        assert results.list_runs() == []


def test_dollar_budget_counts_priced_calls(planted, monkeypatch):
    # Scripted models have no price; give every call a flat one so the dollar path is exercised.
    from harness.models import _litellm

    monkeypatch.setattr(_litellm, "cost_per_token", lambda model, i, o: 0.01)
    planted.proposer.enqueue_text(reply(HALF_TEMPLATE)).enqueue_text(reply(GOOD))
    # The first step is admitted at $0 per call (nothing seen yet); from then on the worst case
    # is priced at $0.01 per call: after the start ($0.04), an iteration (9 calls) plus the
    # reserve (36) needs 0.04 + 0.45 = 0.49 > 0.45.
    config = OptimizeConfig(**planted.options(max_cost=0.45, max_iterations=10))
    result, calls = run(config, db=planted.db)

    assert result.iterations == 0
    assert result.stop_reason.startswith("budget: iteration 1")
    assert "cost budget" in result.stop_reason
    assert result.spent["cost_usd"] == pytest.approx(0.01 * provider_calls(calls))
    assert result.spent["cost_usd"] <= 0.45
    assert result.spent["unpriced_calls"] == 0


class Crash(Exception):
    pass


def test_resume_after_a_crash_redoes_the_iteration_from_the_cache(planted, monkeypatch):
    planted.proposer.enqueue_text(reply(HALF_TEMPLATE)).enqueue_text(reply(GOOD))
    config = OptimizeConfig(**planted.options(max_iterations=2, name="crashy"))
    real_record = OptimizeStore.record

    def crash_at_iteration_2(self, **rows):
        if any(p.iteration == 2 for p in rows.get("proposals", ())):
            raise Crash("killed before iteration 2 was committed")
        return real_record(self, **rows)

    monkeypatch.setattr(OptimizeStore, "record", crash_at_iteration_2)
    with pytest.raises(Crash):
        run(config, db=planted.db)
    monkeypatch.setattr(OptimizeStore, "record", real_record)

    with open_results(planted.db) as results:
        store = OptimizeStore.of(results)
        row = store.find("crashy")
        assert (row.status, row.phase) == ("failed", "search")
        assert [p.iteration for p in store.proposals(row.opt_id)] == [1]
        charged_before = store.spent(row.opt_id).calls
        store.close()
    assert charged_before == 4 + 5 + 5  # start, iteration 1, and the lost iteration 2

    result, calls = run(db=planted.db, resume="crashy")

    assert len(planted.proposer.requests) == 2  # iteration 2's proposal came from the cache
    assert result.status == "finished" and result.winner_id == "c2"
    assert result.iterations == 2
    rows = stored(planted.db, result.opt_id)
    redo = [r for r in rows["spend"] if r.iteration == 2 and r.seq > 7]
    assert [r.step for r in redo] == ["propose", "screen", "train"]
    assert all(r.calls == 0 and r.cached_calls > 0 for r in redo)
    # after the resume: dev and test for c0 and c2 only; nothing charged twice
    assert provider_calls(calls) == 6 + 6
    assert result.spent["calls"] == 4 + 5 + 5 + 6 + 6
    assert len({(s.candidate_id, s.case_id) for s in rows["scores"]}) == len(rows["scores"])


def test_resume_with_a_larger_budget_searches_on(planted):
    planted.proposer.enqueue_text(reply(HALF_TEMPLATE)).enqueue_text(reply(GOOD))
    first, _ = run(OptimizeConfig(**planted.options(max_iterations=1)), db=planted.db)
    assert first.winner_id == "c1" and first.iterations == 1

    again, calls = run(db=planted.db, resume=first.opt_id)
    assert again == first and provider_calls(calls) == 0  # finished: nothing to do

    more, calls = run(db=planted.db, resume=first.opt_id, budget={"max_iterations": 2})
    assert more.iterations == 2 and more.winner_id == "c2"
    assert more.stop_reason == "max iterations (2) reached"
    # iteration 2 (1 + 1 + 3) plus dev and test of the new winner; c0's are kept
    assert provider_calls(calls) == 5 + 3 + 3
    assert more.test.metrics["micro_f1"].start == pytest.approx(4 / 5)


def test_without_budget_for_dev_and_test_no_test_score_is_reported(planted, monkeypatch):
    from harness.optimize import _final

    real_select = _final.select

    async def crash(search):
        raise Crash("stopped before the selection")

    monkeypatch.setattr(_final, "select", crash)
    config = OptimizeConfig(**planted.options(max_iterations=0, max_calls=100, name="tight"))
    with pytest.raises(Crash):
        run(config, db=planted.db)
    monkeypatch.setattr(_final, "select", real_select)

    # Resume with the budget cut to what was spent: nothing more may be evaluated.
    result, calls = run(db=planted.db, resume="tight", budget={"max_calls": 4})
    assert provider_calls(calls) == 0 and result.spent["calls"] == 4
    assert result.status == "finished" and result.winner_id == "c0"
    assert result.selection == "train (budget left no dev run)"
    assert result.test is None and result.dev == {}
    assert result.winner_path is None  # the start template won: no winner to write
    assert not (planted.folder / "winner.j2").exists()


def test_resume_may_change_where_the_winner_goes(planted, monkeypatch):
    """A winner path that broke after the search (or a better place) is changed on resume."""
    from harness.optimize import _final

    real_select = _final.select

    async def crash(search):
        raise Crash("stopped before the selection")

    planted.proposer.enqueue_text(reply(GOOD))
    monkeypatch.setattr(_final, "select", crash)
    config = OptimizeConfig(**planted.options(max_iterations=1, name="moved"))
    with pytest.raises(Crash):
        run(config, db=planted.db)
    monkeypatch.setattr(_final, "select", real_select)
    with pytest.raises(ConfigurationError, match=r"cannot write winner file .*: it is a folder"):
        run_sync(aoptimize(db=planted.db, resume="moved", out=str(planted.folder)))
    elsewhere = planted.folder / "kept" / "better.j2"
    result = run_sync(aoptimize(db=planted.db, resume="moved", out=str(elsewhere)))
    assert result.winner_id == "c1" and result.winner_path == str(elsewhere)
    assert "MARKER-GOOD" in elsewhere.read_text()
    assert not (planted.folder / "winner.j2").exists()


POISONED = [
    "{% include 'secrets.txt' %}\n",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\n",
    "Facts: {{ range(10**9) | list }}\n",
    "Facts: {{ 'x' * 10**9 }}\n",
]


def test_poisoned_proposals_are_invalid_and_resume_does_not_replay_them_as_fatal(
    planted, monkeypatch
):
    """Replies that broke the renderer (traceback, or gigabytes) are invalid proposals; a
    resume that replays one from the response cache records it as invalid again."""
    for source in POISONED:
        planted.proposer.enqueue_text(reply(source))
    planted.proposer.enqueue_text(reply(GOOD))
    config = OptimizeConfig(**planted.options(max_iterations=5, name="poisoned"))
    real_record = OptimizeStore.record

    def crash_at_iteration_3(self, **rows):
        if any(p.iteration == 3 for p in rows.get("proposals", ())):
            raise Crash("killed before iteration 3 was committed")
        return real_record(self, **rows)

    monkeypatch.setattr(OptimizeStore, "record", crash_at_iteration_3)
    with pytest.raises(Crash):
        run(config, db=planted.db)
    monkeypatch.setattr(OptimizeStore, "record", real_record)

    result, _ = run(db=planted.db, resume="poisoned")

    assert len(planted.proposer.requests) == 5  # iteration 3's reply came from the cache
    assert result.status == "finished" and result.winner_id == "c5"
    rows = stored(planted.db, result.opt_id)
    outcomes = [(p.iteration, p.outcome) for p in rows["proposals"]]
    assert outcomes == [
        (1, "invalid"),
        (2, "invalid"),
        (3, "invalid"),
        (4, "invalid"),
        (5, "accepted"),
    ]
    errors = [p.error for p in rows["proposals"]][:4]
    assert "{% include %} is not allowed" in errors[0]
    assert "calls nested deeper than 50" in errors[1]
    assert "range of 1,000,000,000 items" in errors[2]
    assert "a value of 1,000,000,000 items" in errors[3]


def test_an_in_memory_optimization_removes_its_candidate_folder(planted):
    """Without a results file, candidate templates go to a temporary folder: gone at the end,
    whether the search finished or was refused."""
    temporary = Path(tempfile.gettempdir())
    planted.proposer.enqueue_text(reply(GOOD))
    config = OptimizeConfig(**planted.options(max_iterations=1))
    result, _ = run(config, db=":memory:")
    assert result.status == "finished" and result.iterations == 1
    assert not list(temporary.glob("harness-opt-*"))
    with pytest.raises(ConfigurationError, match="budget too small"):
        run(OptimizeConfig(**planted.options(max_calls=43)), db=":memory:")
    assert not list(temporary.glob("harness-opt-*"))
