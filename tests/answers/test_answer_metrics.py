"""Offline answer metrics, each expected value worked out by hand in the comments."""

from __future__ import annotations

import math

import pytest

from harness.scoring.answers import (
    bleu1,
    declines,
    exact_match,
    normalise_text,
    score_answer,
    token_f1,
)


def test_normalisation_lowercases_deletes_punctuation_and_articles():
    assert normalise_text("The Dark-Mode, please!") == "darkmode please"
    assert normalise_text("An apple a day") == "apple day"
    # Unicode punctuation goes too; "theme" keeps its "the"
    assert normalise_text("“Theme”  is…  A  SETTING") == "theme is setting"


def test_exact_match_after_normalisation():
    assert exact_match("7 May 2023", "7 may, 2023.") == 1.0
    assert exact_match("The museum", "museum") == 1.0
    assert exact_match("7 May 2023", "8 May 2023") == 0.0


def test_token_f1_by_hand():
    # reference: caroline went to lgbtq support group (6 tokens, "the" dropped)
    # answer: caroline attended support group (4 tokens); common: caroline, support, group = 3
    # precision 3/4, recall 3/6 -> F1 = 2 * .75 * .5 / 1.25 = 0.6
    f1 = token_f1("Caroline went to the LGBTQ support group", "Caroline attended a support group")
    assert f1 == pytest.approx(0.6)
    # multisets: "paris paris" vs "paris": common 1, p = 1, r = 1/2 -> 2/3
    assert token_f1("Paris Paris", "Paris") == pytest.approx(2 / 3)
    assert token_f1("Paris", "London") == 0.0


def test_token_f1_empty_sides():
    assert token_f1("Paris", "") == 0.0
    assert token_f1("The", "a") == 1.0  # both normalise to nothing


def test_bleu1_by_hand():
    # reference 6 tokens (see above); answer 4 tokens with 3 matches: precision 3/4,
    # brevity penalty exp(1 - 6/4) = exp(-0.5)
    value = bleu1("Caroline went to the LGBTQ support group", "Caroline attended a support group")
    assert value == pytest.approx(0.75 * math.exp(-0.5))
    # longer answer: no penalty; clipping: "paris" twice in the answer counts once
    assert bleu1("Paris", "Paris Paris in France") == pytest.approx(1 / 4)
    assert bleu1("Paris", "") == 0.0


def test_declines_recognises_abstentions_only():
    assert declines("The conversation does not mention that.")
    assert declines("I don’t know.")
    assert declines("No information available.")
    assert declines("That is not mentioned in the memories.")
    assert not declines("She went to Paris.")
    assert not declines("")


def test_score_answer_bundles_all_four():
    score = score_answer("7 May 2023", "On 7 May 2023")
    # answer tokens: on 7 may 2023 (4); common 3: p 3/4, r 1 -> F1 6/7
    assert score.f1 == pytest.approx(6 / 7)
    assert score.em == 0.0
    assert score.bleu1 == pytest.approx(3 / 4)
    assert score.declined is False
