"""Matchers by name, with their calibrated thresholds: :func:`get_matcher`."""

from __future__ import annotations

import logging
from typing import Any

from harness.errors import ConfigurationError
from harness.scoring._calibration_file import calibrated_threshold, load_calibration
from harness.scoring._embedding import EmbeddingMatcher
from harness.scoring._judge import LLMJudgeMatcher
from harness.scoring.matchers import ExactMatcher, Matcher, TokenF1Matcher

logger = logging.getLogger(__name__)

MATCHER_NAMES = ("exact", "token_f1", "embedding", "llm")
"""Matchers :func:`get_matcher` builds; ``default`` is ``embedding`` with key terms."""


def get_matcher(
    name: str = "default",
    *,
    threshold: float | None = None,
    key_terms: bool = True,
    embedder: Any = None,
    model: Any = None,
) -> Matcher:
    """Build a matcher by name.

    ``threshold=None`` takes the calibrated threshold from ``calibration.json`` (the one found
    without key terms when ``key_terms=False``), falling back to the matcher's built-in default
    when it was never calibrated. ``embedder`` is for ``embedding`` (default: the project's
    MiniLM embedder; another one gets a warning, as the threshold was measured with MiniLM; for
    ``llm``, what picks a final state's pairs to judge), ``model`` for ``llm`` (a model string
    or chat-model object).
    """
    if name == "default":
        name = "embedding"
    if name not in MATCHER_NAMES:
        known = ", ".join(("default", *MATCHER_NAMES))
        raise ConfigurationError(f"unknown matcher {name!r}; choose one of: {known}")
    stored = calibrated_threshold(name, key_terms=key_terms)
    given = threshold
    threshold = stored if threshold is None else threshold
    if name == "exact":
        return ExactMatcher(threshold=threshold, key_terms=key_terms)
    if name == "token_f1":
        return TokenF1Matcher(threshold=threshold, key_terms=key_terms)
    if name == "embedding":
        matcher = EmbeddingMatcher(embedder=embedder, threshold=threshold, key_terms=key_terms)
        if given is None and stored is not None:
            _warn_if_other_embedder(matcher)
        return matcher
    return LLMJudgeMatcher(model=model, threshold=threshold, key_terms=key_terms, embedder=embedder)


def _warn_if_other_embedder(matcher: Any) -> None:
    """A calibrated cosine threshold belongs to the embedder it was measured with."""
    data = load_calibration()
    entry = data.matchers.get("embedding") if data is not None else None
    name = getattr(matcher.embedder, "name", None)
    if entry is not None and entry.embedder is not None and name != entry.embedder:
        logger.warning(
            "the embedding threshold %.3f was calibrated with %r, not %r; run "
            "'harness matchers calibrate' for this embedder",
            matcher.threshold,
            entry.embedder,
            name,
        )
