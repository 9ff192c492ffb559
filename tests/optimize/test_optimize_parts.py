"""The optimizer's pure parts, with hand-computed expectations."""

from __future__ import annotations

import io
import random
from collections import Counter

import pytest

from harness.data.models import Case
from harness.errors import ConfigurationError
from harness.models.types import CallRecord, Usage
from harness.optimize import pareto
from harness.optimize.budget import (
    Budget,
    CallBounds,
    Spend,
    evaluation_bound,
    refusal,
    worst_case,
)
from harness.optimize.config import OptimizeConfig
from harness.optimize.evaluate import JUDGE_CALLS_PER_SESSION, call_bounds
from harness.optimize.feedback import build_feedback, render_feedback
from harness.optimize.lineage import (
    Lineage,
    SplitScores,
    ancestry,
    default_out_path,
    header,
    strip_header,
    winner_source,
)
from harness.optimize.objective import case_score, error_counts, set_score
from harness.optimize.progress import PlainProgress, Snapshot
from harness.optimize.proposer import (
    VARIABLES,
    extract_template,
    parse_proposal,
    reflection_messages,
    validation_variables,
)
from harness.optimize.report import held_out_report
from harness.results.records import OpRow
from harness.templates import InstructionTemplate, TemplateVariables

# --- Pareto front ------------------------------------------------------------------------------

CASES = ["x", "y", "z"]
SCORES = {
    "a": {"x": 1.0, "y": 0.0, "z": 0.5},
    "b": {"x": 0.0, "y": 1.0, "z": 0.5},
    "c": {"x": 0.5, "y": 0.5, "z": 0.5},
    "d": {"x": 1.0, "y": 0.0, "z": 0.5},  # same as a: a stands for both
    "e": {"x": 1.0, "y": 0.0, "z": 0.2},  # ties on x but a dominates it
    "f": {"x": 1.0, "y": 1.0},  # not scored on z: not a member
}


def test_front_keeps_complementary_candidates_and_drops_dominated_ones():
    # x: a, d, e best; y: b best; z: a, b, c, d tie at 0.5
    assert pareto.pareto_front(SCORES, CASES) == {"a": 2, "b": 2, "c": 1}


def test_a_candidate_better_everywhere_is_the_whole_front():
    scores = {**SCORES, "g": {"x": 1.0, "y": 1.0, "z": 0.6}}
    assert pareto.pareto_front(scores, CASES) == {"g": 3}


def test_dominance_needs_one_strictly_better_case():
    assert pareto.dominates(SCORES["a"], SCORES["e"], CASES)
    assert not pareto.dominates(SCORES["a"], SCORES["d"], CASES)
    assert not pareto.dominates(SCORES["a"], SCORES["b"], CASES)


def test_parent_sampling_is_seeded_and_proportional_to_cases_won():
    front = {"a": 2, "b": 2, "c": 1}
    draws = [pareto.sample_parent(front, pareto.rng_for(7, i, "parent")) for i in range(4000)]
    again = [pareto.sample_parent(front, pareto.rng_for(7, i, "parent")) for i in range(4000)]
    assert draws == again
    shares = {k: v / len(draws) for k, v in Counter(draws).items()}
    assert shares["a"] == pytest.approx(0.4, abs=0.03)
    assert shares["c"] == pytest.approx(0.2, abs=0.03)
    with pytest.raises(ValueError, match="empty"):
        pareto.sample_parent({}, random.Random(0))


def test_minibatch_is_drawn_from_failing_cases_in_order():
    row = {"x": 1.0, "y": 0.0, "z": 0.5, "w": 0.9}
    failing = pareto.failing_cases(row, ["x", "y", "z", "w"])
    assert failing == ["y", "z", "w"]
    assert pareto.pick_minibatch(failing, 5, random.Random(0)) == failing
    picked = pareto.pick_minibatch(failing, 2, random.Random(3))
    assert len(picked) == 2 and picked == [c for c in failing if c in picked]
    assert picked == pareto.pick_minibatch(failing, 2, random.Random(3))


# --- objective ---------------------------------------------------------------------------------


def test_case_score_is_the_metric_over_the_case_counts():
    counts = {"insert_tp": 1, "insert_fp": 1, "update_fn": 1, "sessions": 2, "exact_sessions": 1}
    assert case_score(counts, "micro_f1") == pytest.approx(2 / 4)
    assert case_score(counts, "exact_session_accuracy") == pytest.approx(1 / 2)
    assert case_score({"sessions": 1, "exact_sessions": 1}, "micro_f1") == 1.0  # nothing to score
    assert case_score(None, "micro_f1") == 0.0


def test_set_score_is_micro_averaged_not_a_mean_of_cases():
    rows = [{"insert_tp": 1, "insert_fn": 1}, {"insert_tp": 1, "insert_fp": 1}, {"delete_tp": 4}]
    # tp 6, fp 1, fn 1: 12 / 14 (the mean of per-case F1s would be (2/3 + 2/3 + 1) / 3)
    assert set_score(rows, "micro_f1") == pytest.approx(12 / 14)
    assert set_score([], "micro_f1") is None
    with pytest.raises(ValueError, match="unknown metric"):
        set_score(rows, "accuracy")


def test_an_errored_case_counts_every_required_gold_op_as_missed():
    case = Case.model_validate(
        {
            "id": "c",
            "existing": [{"id": "m1", "content": "User lives in Lyon"}],
            "sessions": [
                {
                    "messages": [{"id": "t1", "role": "user", "content": "x"}],
                    "expected": [
                        {"op": "update", "id": "m1", "content": "User lives in Lille"},
                        {"op": "insert", "ref": "g1", "content": "User has a cat"},
                        {"op": "insert", "ref": "g2", "content": "User likes", "optional": True},
                    ],
                },
                {"messages": [{"id": "t2", "role": "user", "content": "y"}], "expected": []},
            ],
        }
    )
    counts = error_counts(case)
    assert (counts["update_fn"], counts["insert_fn"], counts["missed"]) == (1, 1, 2)
    assert (counts["sessions"], counts["empty_sessions"], counts["exact_sessions"]) == (2, 1, 0)
    assert counts["final_fn"] == 2  # m1 (updated) and g1; optional g2 is not required
    assert case_score(counts, "micro_f1") == 0.0


# --- budget ------------------------------------------------------------------------------------


def _record(cost, *, cached=False, tokens=(10, 5)):
    usage = Usage(input_tokens=tokens[0], output_tokens=tokens[1], cost_usd=cost, cached=cached)
    return CallRecord(model="m", usage=usage)


def test_spend_counts_provider_calls_and_flags_unpriced_ones():
    spend = Spend.of([_record(0.02), _record(None), _record(0.05, cached=True), _record(0.01)])
    assert (spend.calls, spend.cached_calls, spend.unpriced_calls) == (3, 1, 1)
    assert spend.cost_usd == pytest.approx(0.03)
    assert spend.max_call_cost == pytest.approx(0.02)
    assert spend.input_tokens == 30
    assert (spend + spend).calls == 6


def test_refusal_admits_a_step_that_exactly_fills_the_budget():
    budget = Budget(max_calls=10)
    spent = Spend(calls=4)
    assert refusal(budget, spent, Spend(calls=3), Spend(calls=3)) is None
    reason = refusal(budget, spent, Spend(calls=4), Spend(calls=3))
    assert reason == "call budget: 4 spent + 4 for the next step + 3 reserved > 10"
    assert refusal(Budget(), Spend(calls=10**6), Spend(calls=10**6)) is None


def test_dollar_refusal_prices_the_step_at_the_dearest_call_seen():
    spent = Spend(calls=3, cost_usd=0.30, max_call_cost=0.20)
    step = worst_case(2, spent)
    assert step.cost_usd == pytest.approx(0.40)
    assert refusal(Budget(max_cost=0.70), spent, step) is None
    assert "cost budget" in refusal(Budget(max_cost=0.69), spent, step)


def test_evaluation_bound_is_sessions_times_calls_per_session():
    assert evaluation_bound([1, 3, 2], CallBounds(extract_per_session=3)) == 18
    assert evaluation_bound([2], CallBounds(extract_per_session=2, judge_per_session=5)) == 14


def _config(**overrides):
    return OptimizeConfig(model="scripted/m", proposer="scripted/p", **overrides)


def test_call_bounds_follow_the_run_options():
    assert call_bounds(_config()).per_session == 2  # max_steps 1 + max_repairs 1
    assert call_bounds(_config(run={"max_steps": 3, "max_repairs": 2})).per_session == 5
    judged = call_bounds(_config(run={"matcher": "llm", "judge_model": "scripted/j"}))
    assert judged.judge_per_session == JUDGE_CALLS_PER_SESSION
    baseline = OptimizeConfig(model="baseline/heuristic", proposer="scripted/p")
    assert call_bounds(baseline).per_session == 0


# --- configuration -----------------------------------------------------------------------------


def test_config_is_strict():
    with pytest.raises(ValueError, match="max_iteration"):
        _config(max_iteration=3)
    with pytest.raises(ValueError, match=r"set by the optimizer itself.*case_ids, model"):
        _config(run={"model": "x", "case_ids": []})
    with pytest.raises(ValueError, match=r"run\.max_steps"):
        _config(run={"max_steps": 0})
    with pytest.raises(ValueError, match=r"run\.nonsense"):
        _config(run={"nonsense": 1})


def test_only_the_budget_changes_on_resume():
    config = _config(max_iterations=2, seed=5)
    more = config.with_budget(max_iterations=4, max_calls=None)
    assert (more.max_iterations, more.max_calls, more.seed) == (4, None, 5)
    with pytest.raises(ValueError, match="not budget options: seed"):
        config.with_budget(seed=1)


def test_run_config_selects_the_cases_and_the_template():
    run = _config(tags=["pref"], run={"max_steps": 2}).run_config(case_ids=["a"], prompt="p.j2")
    assert (run.case_ids, run.prompt, run.tags, run.max_steps) == (["a"], "p.j2", ["pref"], 2)
    assert run.n_resamples == 0  # evaluations need no intervals


# --- proposer ----------------------------------------------------------------------------------


def test_template_is_read_from_tags_then_fences():
    assert extract_template("a\n<template>\nHi {{ today }}\n</template>\nbye") == "Hi {{ today }}\n"
    fenced = "Here:\n```jinja\nFirst\n```\nand better:\n```\nSecond\n```"
    assert extract_template(fenced) == "Second\n"
    assert extract_template("<template>\nCut off at the end") == "Cut off at the end\n"
    assert extract_template("No template today.") is None
    assert extract_template("<template>   </template>") is None


VARS = validation_variables(TemplateVariables())


def test_a_proposal_must_compile_and_render_in_every_branch():
    ok = parse_proposal("<template>Keep facts.{% if today %} {{ today }}{% endif %}</template>",
                        "c1", VARS)  # fmt: skip
    assert ok.valid and ok.source == "Keep facts.{% if today %} {{ today }}{% endif %}\n"
    syntax = parse_proposal("<template>\nfine\n{% if enable_updates %}\n</template>", "c2", VARS)
    assert not syntax.valid and "template 'c2' line" in syntax.error
    assert "syntax error" in syntax.error
    hidden = parse_proposal(
        "<template>Facts.{% if user_name %}{{ user.name }}{% endif %}</template>", "c3", VARS
    )
    assert not hidden.valid and "'user' is undefined" in hidden.error
    empty = parse_proposal("<template>{% if false %}x{% endif %}</template>", "c4", VARS)
    assert not empty.valid and "empty" in empty.error


def test_the_proposer_is_told_every_template_variable():
    assert set(VARIABLES) == set(TemplateVariables.model_fields)


def _rows():
    common = {"run_id": "r", "case_id": "k", "repeat": 0, "kind": "Memory", "counted": True,
              "partner_index": None, "partner_id": None, "similarity": None,
              "key_terms_ok": None, "key_terms": None}  # fmt: skip
    return [
        OpRow(session_index=0, side="gold", op_index=0, op="update", memory_id=None, ref="m1",
              content="User lives in Lille", optional=False, outcome="missed",
              reason="no update of m1", **common),
        OpRow(session_index=0, side="predicted", op_index=0, op="insert", memory_id="p1",
              ref=None, content="User moved to Lille", optional=False,
              outcome="duplicate_instead_of_update", reason="inserted instead of updating m1",
              **common),
    ]  # fmt: skip


def _case():
    return Case.model_validate(
        {
            "id": "k",
            "existing": [{"id": "m1", "content": "User lives in Lyon"}],
            "sessions": [
                {
                    "messages": [
                        {"id": "t1", "role": "user", "content": "We moved to Lille."},
                        {"id": "t2", "role": "assistant", "content": "Congrats!"},
                    ],
                    "expected": [{"op": "update", "id": "m1", "content": "User lives in Lille"}],
                }
            ],
        }
    )


def test_feedback_shows_conversation_gold_predicted_and_error_class():
    item = build_feedback(_case(), _rows(), 0.0)
    text = render_feedback(item, "micro_f1")
    assert text.splitlines() == [
        "### Case k (micro_f1 0.00)",
        "Memories stored before the conversation:",
        "- [m1] User lives in Lyon",
        "Session 1:",
        "  user: We moved to Lille.",
        "  assistant: Congrats!",
        "  Expected changes:",
        '  - update [m1] "User lives in Lille" -> missed: no update of m1',
        "  The model's changes:",
        '  - insert [p1] "User moved to Lille" -> duplicate instead of update: inserted instead '
        "of updating m1",
    ]


def test_feedback_of_a_failed_case_shows_its_gold_ops_unscored():
    item = build_feedback(_case(), [], 0.0, error="InvalidModelOutputError: bad arguments")
    text = render_feedback(item, "micro_f1")
    assert "The model failed on this case: InvalidModelOutputError: bad arguments" in text
    assert '  - update [m1] "User lives in Lille" -> not scored' in text
    assert "  The model's changes: none" in text


def test_reflection_prompt_holds_template_variables_and_failures():
    messages = reflection_messages("Old {{ today }}", [build_feedback(_case(), _rows(), 0.0)],
                                   "micro_f1")  # fmt: skip
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "<template>\nOld {{ today }}\n</template>" in user
    assert all(f"`{name}`" in user for name in VARIABLES)
    assert "### Case k" in user and "duplicate instead of update" in user
    assert "between <template> and </template>" in user


# --- lineage -----------------------------------------------------------------------------------


def _lineage(**overrides):
    values = dict(
        opt_id="opt-20250101-000000-abc123", start_name="default", start_hash="f" * 64,
        chain=("c0", "c2", "c5"), metric="micro_f1", dataset="core.jsonl", dataset_hash="e" * 64,
        model="openai/gpt-4o-mini", proposer="openai/gpt-4o",
        splits={"train": SplitScores(30, 0.5, 0.75), "test": SplitScores(10, 0.6, 0.7)},
        test_diff=(0.1, -0.02, 0.22, 0.11),
    )  # fmt: skip
    return Lineage(**{**values, **overrides})


def test_header_states_parent_lineage_and_scores():
    text = header(_lineage())
    assert text.startswith("{#- harness optimize: optimization opt-20250101-000000-abc123\n")
    assert "parent template: default (sha256 ffffffffffffffff)" in text
    assert "lineage: c0 -> c2 -> c5" in text
    assert "train (30 cases): start 0.5000, winner 0.7500" in text
    assert "test difference (held out): +0.1000, 95% CI [-0.0200, +0.2200], p = 0.110" in text
    assert text.endswith(" -#}\n")


def test_header_is_invisible_to_the_model_and_never_stacks():
    body = "Remember facts.{% if today %} Today: {{ today }}.{% endif %}\n"
    first = winner_source(body, _lineage())
    variables = TemplateVariables(today="2025-01-01")
    assert InstructionTemplate("w", first).render(variables) == InstructionTemplate(
        "b", body
    ).render(variables)
    second = winner_source(first, _lineage(opt_id="opt-2", chain=("c0", "c1")))
    assert second.count("harness optimize") == 1 and "opt-2" in second
    assert strip_header(second) == body


def test_header_cannot_be_closed_early_by_a_name():
    text = header(_lineage(start_name="odd#}name"))
    assert "#}" not in text[: -len(" -#}\n")]


def test_ancestry_and_default_path(tmp_path):
    parents = {"c0": None, "c2": "c0", "c5": "c2", "c3": "c0"}
    assert ancestry(parents, "c5") == ("c0", "c2", "c5")
    assert ancestry(parents, "c0") == ("c0",)
    with pytest.raises(ValueError, match="loops"):
        ancestry({"a": "b", "b": "a"}, "a")
    assert default_out_path(tmp_path, "default", "opt-20250101-000000-abc123") == (
        tmp_path / "default-opt-abc123.j2"
    )
    assert default_out_path(tmp_path, "my/start.j2", "opt-x-1").name == "start-opt-1.j2"


# --- test report -------------------------------------------------------------------------------


def test_held_out_report_takes_test_rows_only():
    start = {"t1": {"insert_tp": 1, "insert_fn": 1}, "t2": {"insert_tp": 1}}
    winner = {"t1": {"insert_tp": 2}, "t2": {"insert_tp": 1}}
    options = dict(start_id="c0", winner_id="c3", metric="micro_f1", n_resamples=0, seed=0,
                   confidence=0.95)  # fmt: skip
    report = held_out_report(start, winner, test_cases=["t1", "t2"], **options)
    f1 = report.objective
    # start: tp 2, fn 1 -> 4/5; winner: tp 3 -> 1.0
    assert (f1.start, f1.winner, f1.diff) == pytest.approx((0.8, 1.0, 0.2))
    assert report.metrics["micro_recall"].start == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"outside the test split: \['d1'\]"):
        held_out_report({**start, "d1": {}}, winner, test_cases=["t1", "t2"], **options)
    with pytest.raises(ValueError, match=r"missing: \['t2'\]"):
        held_out_report(start, {"t1": {}}, test_cases=["t1", "t2"], **options)


# --- progress ----------------------------------------------------------------------------------


def test_plain_progress_shows_iteration_scores_and_spend():
    stream = io.StringIO()
    PlainProgress(stream).update(
        Snapshot(opt_id="opt-1", phase="search", iteration=3, max_iterations=10, candidates=4,
                 front=2, best_train=0.8125, best_dev=None,
                 spent=Spend(calls=57, cost_usd=0.0123, unpriced_calls=2), max_calls=200)
    )  # fmt: skip
    line = stream.getvalue()
    assert line.startswith("optimize opt-1: search | iteration 3/10 | 4 candidates, front 2")
    assert "best train 0.812 | best dev - | 57/200 calls | $0.0123 (2 unpriced)" in line


def test_unknown_template_fails_before_anything_runs():
    from harness.optimize.api import _new

    with pytest.raises(ConfigurationError, match="unknown template 'no-such-template'"):
        _new(_config(prompt="no-such-template"))
