"""History phrasing: a forbidden term stated as past or negated does not fail the key terms."""

from __future__ import annotations

import pytest

from harness.data.history import HISTORY_CUES, clause_bounds, stated_as_history
from harness.data.keyterms import check_key_terms, contains_term, normalise


@pytest.mark.parametrize(
    ("text", "old"),
    [
        ("User moved from Lyon to Lille", "Lyon"),
        ("User lives in Lille, not Lyon", "Lyon"),
        ("User no longer lives in Lyon; now lives in Lille", "Lyon"),
        ("User used to live in Lyon, moved to Lille", "Lyon"),
        ("User lives in Lille instead of Lyon", "Lyon"),
        ("User lives in Lille rather than Lyon", "Lyon"),
        ("User formerly lived in Lyon but now lives in Lille", "Lyon"),
        ("Previously, the user lived in Lyon; Lille is home now", "Lyon"),
        ("Previously the user lived in Lyon for ten years", "Lyon"),  # opening adverb
        ("User left Lyon for Lille", "Lyon"),
        ("User's ex-employer is Google", "Google"),
        ("User is a non-smoker", "smoker"),
        ("User doesn\u2019t eat meat anymore", "meat"),  # curly apostrophe
        ("User lives in Lyon no longer", "Lyon"),  # trailing cue
        ("El usuario se mudó de Lyon a Lille", "Lyon"),
        ("Ya no vive en Lyon, vive en Lille", "Lyon"),
        ("Vive en Lille en lugar de Lyon", "Lyon"),
        ("Der Nutzer ist von Lyon nach Lille gezogen", "Lyon"),
        ("Wohnt nicht mehr in Lyon, sondern in Lille", "Lyon"),
        ("Früher fuhr der Nutzer mit dem Auto zur Arbeit", "Auto"),
        ("L'utilisateur n'habite plus à Lyon", "Lyon"),
        ("Habite à Lille au lieu de Lyon", "Lyon"),
        ("A déménagé de Lyon à Lille", "Lyon"),
        ("ユーザーはリヨンからリールに引っ越した", "リヨン"),
        ("ユーザーはコーヒーではなく紅茶を飲む", "コーヒー"),
        ("以前はリヨンに住んでいた", "リヨン"),
        ("用户从里昂搬到里尔", "里昂"),
        ("用户不再住在里昂", "里昂"),
        ("用户戒了咖啡，现在喝茶", "咖啡"),
    ],
)
def test_old_value_stated_as_history_passes(text, old):
    check = check_key_terms(text, forbid=[old])
    assert check.ok, check.describe()
    assert check.history == (old,)
    assert check.describe() == f"key terms ok; only as history: {old!r}"
    # The plain rule still sees the term.
    assert not check_key_terms(text, forbid=[old], history=False).ok


@pytest.mark.parametrize(
    ("text", "old"),
    [
        ("User lives in Lyon", "Lyon"),
        ("User moved from Lille to Lyon", "Lyon"),  # reversed: destination
        ("User left Lille for Lyon", "Lyon"),
        ("User is not in Lille but in Lyon", "Lyon"),  # "but" ends the negated clause
        ("User no longer lives in Lille; lives in Lyon", "Lyon"),  # new clause
        ("User quit running and swims now", "swims"),
        ("User does not own a car, he rides a motorbike daily", "motorbike"),  # too far
        ("User used to live in Lille and then moved to Lyon", "Lyon"),
        ("User lives in Lyon and used to live in Lyon", "Lyon"),  # one current occurrence
        ("El usuario se mudó de Lille a Lyon", "Lyon"),
        ("Der Nutzer ist von Lille nach Lyon gezogen", "Lyon"),
        ("Der Nutzer trinkt mehr Kaffee", "Kaffee"),
        ("L'utilisateur boit plus de café", "café"),  # "plus" without "ne" is "more"
        ("A déménagé de Lille à Lyon", "Lyon"),
        ("ユーザーはリールからリヨンに引っ越した", "リヨン"),
        ("ユーザーはリヨンに住んでいる", "リヨン"),
        ("用户从里尔搬到里昂", "里昂"),
        ("用户住在里昂", "里昂"),
    ],
)
def test_old_value_asserted_as_current_fails(text, old):
    check = check_key_terms(text, forbid=[old])
    assert not check.ok
    assert check.forbidden_found == (old,) and check.history == ()


def test_history_does_not_excuse_missing_required_terms():
    check = check_key_terms("User moved from Lyon to Paris", ["Lille"], ["Lyon"])
    assert (check.ok, check.missing, check.forbidden_found, check.history) == (
        False,
        ("Lille",),
        (),
        ("Lyon",),
    )
    assert check.describe() == "missing 'Lille'; only as history: 'Lyon'"


def test_clause_bounds_stop_at_punctuation_and_contrast_words():
    text = normalise("User quit coffee, drinks tea but likes juice")
    start = text.index("tea")
    left, right, cued = clause_bounds(text, start, start + 3)
    assert text[left:right].strip() == "drinks tea" and not cued
    text = normalise("Früher, wohnte er in Lyon")
    start = text.index("lyon")
    assert clause_bounds(text, start, start + 4)[2]  # a cue-only clause governs the next
    assert stated_as_history(text, start, start + 4)


def test_every_language_of_the_data_has_cues():
    assert set(HISTORY_CUES) == {"en", "es", "de", "fr", "ja", "zh"}
    for cues in HISTORY_CUES.values():
        assert cues.leading and cues.trailing and cues.contrast


@pytest.mark.parametrize(
    ("text", "term", "found"),
    [
        ("ユーザーはリヨンからリールへ", "リヨン", True),  # no spaces around CJK terms
        ("用户住在北京市", "北京", True),
        ("User lives in Tokyo", "東京", False),
        ("User likes 東京tower", "東京", True),  # a Latin neighbour is fine on the CJK side
    ],
)
def test_cjk_terms_need_no_word_boundary(text, term, found):
    assert contains_term(text, term) is found


@pytest.mark.parametrize(
    ("text", "term", "ok"),
    [
        ("User prefers email over phone calls", "phone", True),  # after a preference word
        ("User talks to the bank over the phone", "phone", False),  # no preference word
        ("User prefers phone calls over email", "phone", False),
        ("User likes tea more than coffee", "coffee", True),
        ("User avoids meetings before 11am", "before", True),
        ("User hates long phone calls", "phone", True),
        ("User prefers Linux and would never use a Mac", "Mac", True),
    ],
)
def test_preference_comparisons_and_aversions(text, term, ok):
    assert check_key_terms(text, forbid=[term]).ok is ok


def test_a_cue_opening_a_parenthesis_governs_all_of_it():
    text = "User lives in Portland, Maine (previously: Portland, Oregon)"
    assert check_key_terms(text, ["Maine"], ["Oregon"]).ok
    assert not check_key_terms("User lives in Portland, Oregon (not Maine)", forbid=["Oregon"]).ok
