"""Content matchers: does a predicted memory state the gold fact?

Every matcher turns a (gold, predicted) text pair into a similarity and accepts the pair when the
similarity reaches its threshold **and** the predicted text passes the gold side's key terms
(``require``/``forbid``). Key terms can be switched off (``key_terms=False``) only to measure how
much they add; scores reported for runs always use them.

``ajudge`` is the implementation and takes a whole batch, so the embedding matcher embeds every
distinct text of a session once, and the LLM judge asks its questions concurrently.
"""

from __future__ import annotations

import copy
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from harness._async import run_sync
from harness.data.keyterms import KeyTermCheck, check_key_terms, normalise

PairItem = tuple["GoldSide", str]
"""One question for a matcher: the gold side and the predicted text."""


@dataclass(frozen=True)
class GoldSide:
    """The gold text of a pair with its key terms (hashable, so judgements can be tabled)."""

    text: str
    require: tuple[str | tuple[str, ...], ...] = ()
    forbid: tuple[str, ...] = ()

    @classmethod
    def of(cls, text: str, require: Sequence[Any] = (), forbid: Sequence[str] = ()) -> GoldSide:
        items = tuple(item if isinstance(item, str) else tuple(item) for item in require)
        return cls(text=text, require=items, forbid=tuple(forbid))


@dataclass(frozen=True)
class Judgement:
    """A matcher's verdict on one pair.

    ``similarity`` is None when it was not computed because the key terms already rejected the
    pair (the LLM judge skips those calls); ``key_terms`` is None when key terms are switched off.
    """

    similarity: float | None
    accepted: bool
    key_terms: KeyTermCheck | None
    threshold: float

    @property
    def similar(self) -> bool:
        return self.similarity is not None and self.similarity >= self.threshold

    def reason(self) -> str:
        """Why the pair was accepted or rejected, for people reading op outcomes."""
        sim = "not computed" if self.similarity is None else f"{self.similarity:.3f}"
        relation = ">=" if self.similar else "<"
        text = f"similarity {sim}"
        if self.similarity is not None:
            text += f" {relation} threshold {self.threshold:.3f}"
        if self.key_terms is not None:
            text += f"; {self.key_terms.describe()}"
        return text


class Matcher:
    """Base class: subclasses implement :meth:`asimilarities`."""

    name: ClassVar[str] = "matcher"
    default_threshold: ClassVar[float] = 0.5

    def __init__(self, *, threshold: float | None = None, key_terms: bool = True) -> None:
        self.threshold = self.default_threshold if threshold is None else float(threshold)
        self.key_terms = key_terms

    def __repr__(self) -> str:
        return f"{type(self).__name__}(threshold={self.threshold:.4f}, key_terms={self.key_terms})"

    def with_options(
        self, *, threshold: float | None = None, key_terms: bool | None = None
    ) -> Matcher:
        """A copy sharing caches and clients, with another threshold and/or key-term switch."""
        clone = copy.copy(self)
        if threshold is not None:
            clone.threshold = float(threshold)
        if key_terms is not None:
            clone.key_terms = key_terms
        return clone

    @property
    def description(self) -> dict[str, Any]:
        """What identifies this matcher's verdicts, for run records."""
        return {"name": self.name, "threshold": self.threshold, "key_terms": self.key_terms}

    async def asimilarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Similarity in [0, 1] (cosine may dip below 0) for each (gold, predicted) text pair."""
        raise NotImplementedError

    def similarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        return run_sync(self.asimilarities(pairs))

    async def ashortlist(self, golds: Sequence[str], predicted: Sequence[str]) -> Any:
        """A boolean ``(len(golds), len(predicted))`` array marking the pairs that may reach the
        threshold, or None when this matcher cannot tell cheaply (then every pair is judged).

        A final state pairs every gold memory with every predicted one (100,000 pairs on a
        LoCoMo conversation), and all but a few hundred are plainly unrelated: a shortlist lets
        scoring judge only those few, with the verdicts it would have given anyway.
        """
        return None

    def _needs_similarity(self, check: KeyTermCheck | None) -> bool:
        """Whether to compute the similarity of a pair whose key-term check is ``check``."""
        return True

    async def ajudge(self, items: Sequence[PairItem]) -> list[Judgement]:
        """Judge a batch of (gold side, predicted text) pairs."""
        checks = [
            check_key_terms(text, gold.require, gold.forbid) if self.key_terms else None
            for gold, text in items
        ]
        wanted = [i for i, check in enumerate(checks) if self._needs_similarity(check)]
        scores = await self.asimilarities([(items[i][0].text, items[i][1]) for i in wanted])
        sims: list[float | None] = [None] * len(items)
        for i, score in zip(wanted, scores, strict=True):
            sims[i] = float(score)
        return [
            Judgement(
                similarity=sim,
                accepted=sim is not None and sim >= self.threshold and (check is None or check.ok),
                key_terms=check,
                threshold=self.threshold,
            )
            for sim, check in zip(sims, checks, strict=True)
        ]

    def judge(self, items: Sequence[PairItem]) -> list[Judgement]:
        return run_sync(self.ajudge(items))


# --- text matchers ---------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans(string.punctuation, " " * len(string.punctuation))


def normalise_answer(text: str) -> str:
    """SQuAD-style normal form: case-folded, articles dropped, spaces collapsed; punctuation
    becomes a space (SQuAD deletes it), so "dark-mode" is two tokens, not "darkmode"."""
    text = normalise(text).translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(gold: str, predicted: str) -> float:
    """SQuAD token F1 between two texts (1.0 when both normalise to nothing)."""
    gold_tokens = normalise_answer(gold).split()
    pred_tokens = normalise_answer(predicted).split()
    if not gold_tokens or not pred_tokens:
        return float(gold_tokens == pred_tokens)
    common = sum((Counter(gold_tokens) & Counter(pred_tokens)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred_tokens)
    recall = common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


class ExactMatcher(Matcher):
    """1.0 when both texts have the same SQuAD normal form, else 0.0."""

    name = "exact"
    default_threshold = 1.0

    async def asimilarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        return [float(normalise_answer(a) == normalise_answer(b)) for a, b in pairs]


class TokenF1Matcher(Matcher):
    """SQuAD token F1 between the two texts."""

    name = "token_f1"
    default_threshold = 0.5

    async def asimilarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        return [token_f1(a, b) for a, b in pairs]


# --- registry --------------------------------------------------------------------------------
