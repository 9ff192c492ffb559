"""The fixture of conftest.py scored end to end; every number below is worked out by hand.

Token F1 arithmetic used (SQuAD tokens, "a"/"an"/"the" dropped, punctuation -> space):
- "User drinks green tea every morning" vs "... each morning": 5 of 6 tokens shared,
  P = R = 5/6 -> F1 = 5/6 = 0.833.
- "User prefers dark mode" (4) vs "User now prefers dark mode" (5): 4 shared, P = 4/5, R = 1
  -> F1 = 2 * 0.8 / 1.8 = 8/9 = 0.889.
- "User plays tennis on Sundays" vs "... on Saturdays": 4 of 5 shared -> F1 = 0.8, but the
  forbidden term "Saturdays" occurs -> rejected.
- "User lives in Munich" vs "User lives in Hamburg": 3 of 4 -> F1 = 0.75, "Munich" missing.
- "User's sister is named Ana" vs "... called Ana": tokens user s sister is named/called ana,
  5 of 6 -> F1 = 5/6.
"""

from __future__ import annotations

import pytest

from harness.scoring import aggregate, score_case


@pytest.fixture
def scored(fixture_cases, f1_matcher):
    return [score_case(case, pred, final, f1_matcher) for case, pred, final in fixture_cases]


def _outcomes(session, side):
    items = session.gold if side == "gold" else session.predicted
    return [(item.id, item.outcome) for item in items]


def test_case_a_session_outcomes(scored):
    s0, s1 = scored[0].sessions
    assert _outcomes(s0, "gold") == [
        ("g1", "matched"),  # paraphrase accepted (F1 5/6)
        ("m1", "matched"),  # update on target m1 with accepted content (F1 8/9)
        ("g2", "missed"),  # the only candidate says "Saturdays" (forbidden)
        ("g3", "optional_matched"),
    ]
    assert _outcomes(s0, "predicted") == [
        ("a1", "matched"),
        ("m1", "matched"),
        ("a2", "spurious"),
        ("a3", "optional_matched"),
    ]
    assert s0.gold[0].similarity == pytest.approx(5 / 6)
    assert s0.gold[1].similarity == pytest.approx(8 / 9)
    assert "forbidden 'Saturdays' found" in s0.gold[2].reason
    assert s0.counts["insert_tp"] == 1 and s0.counts["insert_fp"] == 1
    assert s0.counts["insert_fn"] == 1 and s0.counts["update_tp"] == 1
    assert s0.id_map["g1"] == "a1" and s0.id_map["g3"] == "a3" and "g2" not in s0.id_map
    # Session 2 reaches g1 through the id map carried over from session 1.
    assert _outcomes(s1, "gold") == [
        ("g1", "matched"),
        ("m2", "matched"),
        ("m3", "duplicate_instead_of_update"),
    ]
    assert s1.gold[0].target == "a1"
    assert _outcomes(s1, "predicted") == [
        ("a1", "matched"),
        ("m2", "matched"),
        ("a4", "duplicate_instead_of_update"),
    ]
    assert (s0.exact, s1.exact) == (False, False)


def test_case_b_confusions(scored):
    s0, s1, s2 = scored[1].sessions
    assert _outcomes(s0, "gold") == [
        ("n1", "wrong_target_update"),  # n2 got n1's new content
        ("n3", "delete_instead_of_update"),
        ("h1", "missed"),
        ("n2", "optional_unmatched"),  # optional delete not done: no count
        ("n4", "wrong_content"),  # right target, "Hamburg" instead of "Munich"
    ]
    assert _outcomes(s0, "predicted") == [
        ("n2", "wrong_target_update"),
        ("n3", "delete_instead_of_update"),
        ("n4", "wrong_content"),
    ]
    assert s0.counts["update_fn"] == 3 and s0.counts["insert_fn"] == 1
    assert s0.counts["update_fp"] == 2 and s0.counts["delete_fp"] == 1
    assert s0.counts["delete_fn"] == 0  # the optional delete is no miss
    assert (s1.nothing_expected, s1.false_positive, s1.exact) == (True, True, False)
    assert _outcomes(s1, "predicted") == [("b1", "spurious")]
    # The 'none' op is ignored: no outcome record, nothing counted.
    assert (s2.nothing_expected, s2.false_positive, s2.exact) == (True, False, True)
    assert s2.predicted == []


def test_case_c_partial_sessions(scored):
    s0, s1 = scored[2].sessions
    assert _outcomes(s0, "gold") == [("k1", "matched"), ("k2", "missed")]
    assert _outcomes(s0, "predicted") == [("c1", "matched"), ("c2", "unlabeled")]
    assert s0.counts["insert_fp"] == 0 and s0.counts["insert_fn"] == 1
    assert not s0.predicted[1].counted
    # A partial session with no labels is not a nothing-to-store session.
    assert (s1.nothing_expected, s1.false_positive, s1.exact) == (False, False, True)


def test_final_states(scored):
    a, b, c = (score.final for score in scored)
    # A: gold final m1(dark), m3(Max), g1(black tea), g2(tennis Sundays), g3 (optional).
    #    m1<->m1 (8/9), m3<->a4 (1.0; m3 "Tom" is forbidden), g1<->a1, g3<->a3 optional;
    #    g2 missed; predicted m3 ("Tom") and a2 ("Saturdays") spurious. TP 3, FP 2, FN 1.
    #    The assignment prefers m1<->m1 + g3<->a3 (8/9 + 1) over m1<->a3 + g3<->m1
    #    (6/11 + 1/2), both of which are accepted pairs too.
    assert (a.tp, a.fp, a.fn) == (3, 2, 1)
    # The final map follows content: gold m3 ("Max") lives in the duplicate a4, not in m3.
    assert scored[0].final_map == {"m1": "m1", "m3": "a4", "g1": "a1", "g3": "a3"}
    assert scored[0].id_map == {"m1": "m1", "m2": "m2", "m3": "m3", "g1": "a1", "g3": "a3"}
    # B: n1(doctor)<->n2 is the only accepted pair; n3, n4, h1 missed; n2 optional unmatched;
    #    predicted n1, n4, b1 spurious. TP 1, FP 3, FN 3.
    assert (b.tp, b.fp, b.fn) == (1, 3, 3)
    # C: partial labels: k1<->c1, k2 missed, c2/c3 unlabeled (not false positives).
    assert (c.tp, c.fp, c.fn) == (1, 0, 1)
    assert [o.outcome for o in c.predicted] == ["matched", "unlabeled", "unlabeled"]


def test_aggregate_metrics(scored):
    metrics = aggregate(scored, n_resamples=0)
    counts = metrics.counts
    # insert: TP A.g1 + C.k1 = 2; FP A.a2 + A.a4 (duplicate) + B.b1 = 3;
    #         FN A.g2 + B.h1 + C.k2 = 3.
    assert (counts["insert_tp"], counts["insert_fp"], counts["insert_fn"]) == (2, 3, 3)
    # update: TP A.m1 + A.g1 = 2; FP B.n2 (wrong target) + B.n4 (wrong content) = 2;
    #         FN A.m3 + B.n1 + B.n3 + B.n4 = 4.
    assert (counts["update_tp"], counts["update_fp"], counts["update_fn"]) == (2, 2, 4)
    # delete: TP A.m2 = 1; FP B.n3 (delete instead of update) = 1; FN 0.
    assert (counts["delete_tp"], counts["delete_fp"], counts["delete_fn"]) == (1, 1, 0)
    values = metrics.values
    # C is partially labeled: its TP C.k1 and FN C.k2 count for recall only; precision and F1
    # use the labeled cases A and B (TP A.g1 = 1, FN A.g2 + B.h1 = 2), and C's two unmatched
    # predictions are unlabeled, not false positives.
    assert (counts["insert_tp_labeled"], counts["insert_fn_labeled"]) == (1, 2)
    assert counts["insert_unlabeled"] == 2
    assert values["insert_precision"] == pytest.approx(1 / 4)
    assert values["insert_recall"] == pytest.approx(2 / 5)
    assert values["insert_f1"] == pytest.approx(2 / (2 + 3 + 2))
    assert values["update_precision"] == pytest.approx(2 / 4)
    assert values["update_recall"] == pytest.approx(2 / 6)
    assert values["update_f1"] == pytest.approx(4 / (4 + 2 + 4))
    assert values["delete_precision"] == pytest.approx(1 / 2)
    assert values["delete_recall"] == pytest.approx(1.0)
    assert values["delete_f1"] == pytest.approx(2 / 3)
    # micro: TP 5, FP 6, FN 7; without partial C (TP C.k1, FN C.k2): labeled TP 4, FN 6.
    assert values["micro_precision"] == pytest.approx(4 / 10)
    assert values["micro_recall"] == pytest.approx(5 / 12)
    assert values["micro_f1"] == pytest.approx(8 / (8 + 6 + 6))
    # exact sessions: B.s2 of the 5 labeled sessions (partial ones cannot be known exact).
    assert (counts["sessions"], counts["labeled_sessions"], counts["exact_sessions"]) == (7, 5, 1)
    assert values["exact_session_accuracy"] == pytest.approx(1 / 5)
    # nothing-to-store sessions: B.s1 (false positive) and B.s2.
    assert values["nothing_to_store_fpr"] == pytest.approx(1 / 2)
    # final state: TP 3+1+1 = 5, FP 2+3+0 = 5, FN 1+3+1 = 5.
    assert values["final_precision"] == pytest.approx(0.5)
    assert values["final_recall"] == pytest.approx(0.5)
    assert values["final_f1"] == pytest.approx(0.5)
    assert metrics.confusions == {
        "missed": 3,
        "wrong_content": 1,
        "duplicate_instead_of_update": 1,
        "wrong_target_update": 1,
        "delete_instead_of_update": 1,
        "spurious": 2,
    }


def test_aggregate_intervals_are_seeded_and_bracket_the_estimate(scored):
    first = aggregate(scored, n_resamples=300, seed=7)
    again = aggregate(scored, n_resamples=300, seed=7)
    assert first.intervals == again.intervals
    for name, interval in first.intervals.items():
        value = first.values[name]
        assert interval is not None and interval[0] <= value <= interval[1], name


def test_keyterms_off_accepts_the_forbidden_paraphrase(fixture_cases, f1_matcher):
    case, pred, final = fixture_cases[0]
    score = score_case(case, pred, final, f1_matcher.with_options(key_terms=False))
    # Without key terms "tennis on Saturdays" (F1 0.8) is taken for "tennis on Sundays".
    assert score.sessions[0].gold[2].outcome == "matched"
    assert score.sessions[0].gold[2].key_terms is None


def test_wrong_number_of_sessions_is_an_error(fixture_cases, f1_matcher):
    case, pred, final = fixture_cases[0]
    with pytest.raises(ValueError, match="2 sessions"):
        score_case(case, pred[:1], final, f1_matcher)


def test_empty_denominators_are_none_not_one():
    metrics = aggregate([], n_resamples=100)
    assert metrics.n_cases == 0 and metrics.intervals == {}
    assert set(metrics.values.values()) == {None}


def test_a_session_scored_on_its_own(fixture_cases, f1_matcher):
    from harness.scoring import score_session

    case, pred, _ = fixture_cases[0]
    # Session 2 alone, without the id map of session 1: g1 has no predicted memory yet.
    session = score_session(case.sessions[1].expected, pred[1], {"m2": "m2", "m3": "m3"},
                            f1_matcher, session=1)  # fmt: skip
    gold = {item.id: item for item in session.gold}
    assert gold["g1"].outcome == "missed"
    assert "target 'g1' has no predicted memory" in gold["g1"].reason
    assert "closest prediction: update 'a1' (similarity 1.000" in gold["g1"].reason
    # The update of a1 is then a prediction no gold op explains (not a wrong-target update:
    # with g1 unmapped there is no "other" memory to speak of).
    assert (session.predicted[0].id, session.predicted[0].outcome) == ("a1", "spurious")
