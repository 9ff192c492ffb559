"""The four matchers: exact, token F1, embedding (real MiniLM) and the LLM judge (scripted)."""

from __future__ import annotations

import pytest
from scripted_judge import PAIR, scripted_judge

from harness.errors import ConfigurationError, InvalidModelOutputError
from harness.models.embeddings import MiniLMEmbedder
from harness.scoring import get_matcher
from harness.scoring.matchers import GoldSide, normalise_answer, token_f1

DARK = GoldSide.of("User prefers dark mode", ["dark"], ["light"])


def test_normal_form_and_token_f1_by_hand():
    assert normalise_answer("The user's dark-mode, a C++ fan!") == "user s dark mode c fan"
    assert token_f1("User likes tea", "user LIKES tea.") == 1.0
    # 2 shared of 3 gold and 4 predicted tokens: P = 1/2, R = 2/3 -> F1 = 4/7.
    assert token_f1("User likes tea", "User really likes coffee") == pytest.approx(4 / 7)
    assert token_f1("", "") == 1.0 and token_f1("a", "User") == 0.0


def test_exact_matcher_compares_normal_forms():
    matcher = get_matcher("exact")
    verdicts = matcher.judge([(DARK, "user prefers DARK mode."), (DARK, "User prefers dark")])
    assert [v.similarity for v in verdicts] == [1.0, 0.0]
    assert [v.accepted for v in verdicts] == [True, False]


def test_key_terms_veto_any_similarity():
    matcher = get_matcher("token_f1", threshold=0.5)
    [verdict] = matcher.judge([(DARK, "User prefers light mode")])
    # F1 = 3/4 (prefers/user/mode shared) is above threshold, but "dark" is missing.
    assert verdict.similarity == pytest.approx(0.75)
    assert not verdict.accepted
    assert verdict.reason() == (
        "similarity 0.750 >= threshold 0.500; missing 'dark'; forbidden 'light' found"
    )
    [plain] = matcher.with_options(key_terms=False).judge([(DARK, "User prefers light mode")])
    assert plain.accepted and plain.key_terms is None


def test_unknown_matcher_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="unknown matcher 'cosine'"):
        get_matcher("cosine")


def test_default_is_embedding_with_calibrated_threshold():
    from harness.scoring.calibration import load_calibration

    matcher = get_matcher()
    stored = load_calibration().matchers["embedding"]
    assert matcher.name == "embedding" and matcher.key_terms
    assert matcher.threshold == stored.threshold
    plain = get_matcher("embedding", key_terms=False)
    assert plain.threshold == stored.without_key_terms.threshold


@pytest.fixture(scope="module")
def minilm():
    return MiniLMEmbedder()


def test_embedding_matcher_on_real_minilm(minilm):
    matcher = get_matcher("embedding", embedder=minilm, threshold=0.6)
    items = [
        (DARK, "The user likes dark themes in the editor"),  # paraphrase
        (DARK, "User prefers light mode"),  # hard negative: high cosine, wrong value
        (DARK, "User's sister lives in Oslo"),  # unrelated
    ]
    computed_before = minilm.computed
    paraphrase, changed, unrelated = matcher.judge(items)
    # One batch: the gold text and three predictions, each embedded once.
    assert minilm.computed - computed_before == 4
    assert paraphrase.accepted
    assert changed.similarity > 0.8 and changed.similarity > unrelated.similarity
    assert not changed.accepted and not changed.key_terms.ok  # only key terms catch it
    assert not unrelated.accepted and unrelated.similarity < 0.3
    # Same texts again: nothing new to embed.
    matcher.judge(items)
    assert minilm.computed - computed_before == 4


def test_a_calibrated_threshold_warns_for_another_embedder(caplog):
    other = MiniLMEmbedder("minilm-variant")
    with caplog.at_level("WARNING", logger="harness.scoring.matchers"):
        get_matcher("embedding", embedder=other)
    assert "calibrated with 'minilm', not 'minilm-variant'" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="harness.scoring.matchers"):
        get_matcher("embedding", embedder=other, threshold=0.8)  # explicit: no warning
    assert caplog.text == ""


def test_embedding_matcher_cosine_is_symmetric_and_bounded(minilm):
    matcher = get_matcher("embedding", embedder=minilm, threshold=0.5)
    forward, backward = matcher.similarities([("a cat", "a dog"), ("a dog", "a cat")])
    assert forward == pytest.approx(backward, abs=1e-6)
    assert -1.0 <= forward <= 1.0
    assert matcher.similarities([]) == []


# --- LLM judge through the scripted provider ---------------------------------------------------


def _contains_every_token(gold: str, candidate: str) -> bool:
    """ "Same" when the candidate contains every token of the reference."""
    return set(normalise_answer(gold).split()) <= set(normalise_answer(candidate).split())


@pytest.fixture
def judge_model():
    return scripted_judge(_contains_every_token)


def test_llm_judge_asks_and_caches(judge_model):
    items = [
        (DARK, "User now prefers dark mode"),  # judged same
        (DARK, "User prefers dark mode when coding"),  # judged same
        (DARK, "User prefers light mode"),  # key terms reject it: never sent
        (DARK, "user prefers DARK mode"),  # same normal form: no call needed
        (GoldSide.of("User likes tea"), "User likes black coffee"),  # judged different
    ]
    matcher = get_matcher("llm", model=judge_model.model)
    verdicts = matcher.judge(items)
    assert [v.accepted for v in verdicts] == [True, True, False, True, False]
    assert [v.similarity for v in verdicts] == [1.0, 1.0, None, 1.0, 0.0]
    assert len(judge_model.requests) == 3
    assert all(request.tool_names == ["verdict"] for request in judge_model.requests)
    asked = {PAIR.search(request.last_user_text).group(2) for request in judge_model.requests}
    assert asked == {
        "User now prefers dark mode",
        "User prefers dark mode when coding",
        "User likes black coffee",
    }
    # A fresh matcher (new process, same cache directory) asks nothing again.
    again = get_matcher("llm", model=judge_model.model).judge(items)
    assert [v.accepted for v in again] == [v.accepted for v in verdicts]
    assert len(judge_model.requests) == 3


def test_llm_judge_without_key_terms_asks_about_everything(judge_model):
    matcher = get_matcher("llm", model=judge_model.model, key_terms=False)
    [verdict] = matcher.judge([(DARK, "User prefers light mode")])
    assert verdict.similarity == 0.0 and verdict.key_terms is None
    assert len(judge_model.requests) == 1


def test_llm_judge_accepts_a_plain_yes_no_reply(judge_model):
    judge_model.respond_with(None)
    matcher = get_matcher("llm", model=judge_model.model)
    judge_model.enqueue_text("Yes, it is the same fact.")
    assert matcher.similarities([("User likes tea", "User enjoys tea")]) == [1.0]
    judge_model.enqueue_text('{"same": false}')
    assert matcher.similarities([("x y", "z w")]) == [0.0]


def test_llm_judge_without_a_verdict_is_an_error(judge_model):
    judge_model.respond_with(None)
    judge_model.enqueue_text("Hard to say.")
    matcher = get_matcher("llm", model=judge_model.model)
    with pytest.raises(InvalidModelOutputError, match="gave no yes/no verdict"):
        matcher.similarities([("User likes tea", "User enjoys tea")])
