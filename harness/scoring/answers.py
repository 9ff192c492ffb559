"""Offline answer metrics: exact match, token F1 and BLEU-1 after the standard normalisation.

These are the figures the answer-level benchmarks (LoCoMo, LongMemEval) publish beside the judge
accuracy, and they need no model, so every run gets them. All three compare a generated answer
with the reference answer after :func:`normalise_text`: lower case, punctuation deleted (any
Unicode punctuation, so "dark-mode" becomes "darkmode" as in SQuAD), the articles "a", "an" and
"the" dropped, white space collapsed.

- **EM** is 1.0 when both normal forms are equal.
- **F1** is SQuAD token F1 over the multisets of tokens.
- **BLEU-1** is sentence BLEU with unigrams only: clipped unigram precision times the brevity
  penalty ``exp(1 - len(reference) / len(answer))`` when the answer is shorter than the
  reference. No smoothing is needed with one n-gram order.

An empty answer scores 0.0 on all three, unless the reference is empty too (1.0).

Questions whose right answer is that the information is not there (LoCoMo's adversarial
category, LongMemEval's ``_abs`` questions) are not scored against their reference text:
:func:`declines` tells whether an answer says the information is unavailable, which is what the
offline ``*_declined`` metrics count.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

__all__ = [
    "AnswerScore",
    "bleu1",
    "declines",
    "exact_match",
    "normalise_text",
    "score_answer",
    "token_f1",
    "tokens",
]

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _strip_punctuation(text: str) -> str:
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


def normalise_text(text: str) -> str:
    """Lower case, punctuation deleted, articles dropped, white space collapsed."""
    text = _strip_punctuation(text.lower())
    return " ".join(_ARTICLES.sub(" ", text).split())


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text``."""
    return normalise_text(text).split()


def exact_match(reference: str, answer: str) -> float:
    """1.0 when both texts have the same normal form, else 0.0."""
    return float(normalise_text(reference) == normalise_text(answer))


def token_f1(reference: str, answer: str) -> float:
    """SQuAD token F1 (1.0 when both texts normalise to nothing, 0.0 when only one does)."""
    ref, out = tokens(reference), tokens(answer)
    if not ref or not out:
        return float(ref == out)
    common = sum((Counter(ref) & Counter(out)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(out), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def bleu1(reference: str, answer: str) -> float:
    """Sentence BLEU-1: clipped unigram precision times the brevity penalty."""
    ref, out = tokens(reference), tokens(answer)
    if not ref or not out:
        return float(ref == out)
    clipped = sum((Counter(out) & Counter(ref)).values())
    precision = clipped / len(out)
    penalty = 1.0 if len(out) > len(ref) else math.exp(1.0 - len(ref) / len(out))
    return precision * penalty


_DECLINE = re.compile(
    r"\b("
    r"not (?:been )?(?:mentioned|stated|specified|provided|available|discussed|known|given|shared"
    r"|recorded|in (?:the|my) (?:memories|memory|conversation|context|information))"
    r"|no (?:information|mention|record|memory|memories|data|details?|evidence|indication)"
    r"|(?:do not|don't|does not|doesn't|did not|didn't) (?:know|mention|say|have (?:that|any|this"
    r"|enough))"
    r"|(?:cannot|can't|can not|unable to) (?:tell|say|determine|answer|find|be determined|know)"
    r"|unknown|unanswerable|not enough information|insufficient information"
    r"|there is nothing (?:about|on)"
    r")\b",
    re.IGNORECASE,
)


def declines(answer: str) -> bool:
    """Whether ``answer`` says the information is not available (an abstention).

    A phrase list, so it is an offline approximation; the judge protocols decide abstention
    questions properly.
    """
    text = answer.replace("’", "'")
    return bool(_DECLINE.search(text))


@dataclass(frozen=True)
class AnswerScore:
    """The offline scores of one answer; ``declined`` is set for every kind of question."""

    em: float
    f1: float
    bleu1: float
    declined: bool


def score_answer(reference: str, answer: str) -> AnswerScore:
    """EM, token F1, BLEU-1 and whether the answer declines, in one call."""
    return AnswerScore(
        em=exact_match(reference, answer),
        f1=token_f1(reference, answer),
        bleu1=bleu1(reference, answer),
        declined=declines(answer),
    )
