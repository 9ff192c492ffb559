"""The LLM judge matcher: a model decides whether two memories state the same fact.

It goes through the model gateway like every other call, with the project's response cache on, so
re-scoring a run asks nothing twice. Calls it can avoid are avoided: a pair the key terms already
reject is never sent (with key terms on), and two texts with the same normal form are the same
fact without asking. A final state pairs every gold memory with every predicted one (100,000
pairs on a LoCoMo conversation), so there the judge sees only each memory's ``candidates``
nearest counterparts by embedding (:meth:`LLMJudgeMatcher.ashortlist`).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.data.keyterms import KeyTermCheck
from harness.errors import ConfigurationError, InvalidModelOutputError
from harness.models.cache import ResponseCache
from harness.models.gateway import get_model
from harness.models.types import GenerateConfig, ToolSpec
from harness.models.usage import call_purpose
from harness.scoring._embedding import EmbeddingMatcher, nearest_pairs
from harness.scoring.matchers import Matcher, normalise_answer

if TYPE_CHECKING:  # pragma: no cover
    from harness.models.cache import CacheMode

JUDGE_MODEL_ENV = "HARNESS_JUDGE_MODEL"
DEFAULT_JUDGE_MODEL = "openai/gpt-4o-mini"
DEFAULT_CANDIDATES = 5
"""Final-state pairs judged per memory: its nearest counterparts by embedding."""

_SYSTEM = (
    "You review the output of a system that stores facts about a user as short memories. "
    "Given a reference memory and a candidate memory, decide whether the candidate states the "
    "same fact as the reference: the same subject, the same value, the same polarity (likes vs. "
    "no longer likes) and the same time. Different wording, a first-person phrasing or a little "
    "extra detail are fine; a changed value, a negation, another person or a shifted time are "
    "not. Answer only by calling the `verdict` tool."
)
_YES_NO = re.compile(r"^\W*(yes|no|true|false)\b", re.IGNORECASE)


def _tool() -> Any:
    return ToolSpec(
        name="verdict",
        description="Report whether the candidate memory states the same fact as the reference.",
        parameters={
            "type": "object",
            "properties": {
                "same": {"type": "boolean", "description": "True when it is the same fact."},
                "reason": {"type": "string", "description": "One short sentence."},
            },
            "required": ["same"],
        },
    )


def parse_verdict(response: Any) -> bool | None:
    """``same`` from a judge reply (tool call first, then a JSON or yes/no text); None if absent."""
    for call in response.tool_calls:
        if call.name == "verdict" and "same" in call.arguments:
            return _as_bool(call.arguments["same"])
    text = (response.text or "").strip()
    if text.startswith("{"):
        try:
            return _as_bool(json.loads(text).get("same"))
        except (ValueError, AttributeError):
            return None
    match = _YES_NO.match(text)
    return None if match is None else match.group(1).lower() in ("yes", "true")


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "no", "false"):
        return value.strip().lower() in ("yes", "true")
    return None


class LLMJudgeMatcher(Matcher):
    """Similarity 1.0 when the judge says "same fact", else 0.0 (threshold 0.5).

    ``model`` is a litellm model string (default ``HARNESS_JUDGE_MODEL`` or
    ``openai/gpt-4o-mini``), resolved with the response cache in ``cache_mode``, or a ChatModel
    object used as it is. ``candidates``: in a final state, each gold memory is judged against
    its ``candidates`` most similar predicted memories and each predicted memory against its
    most similar gold ones (by ``embedder``, default MiniLM); the other pairs count as different
    facts without asking. ``None`` judges every pair.
    """

    name = "llm"
    default_threshold = 0.5

    def __init__(
        self,
        *,
        model: Any = None,
        threshold: float | None = None,
        key_terms: bool = True,
        cache_mode: CacheMode = "read-write",
        max_concurrency: int = 8,
        candidates: int | None = DEFAULT_CANDIDATES,
        embedder: Any = None,
    ) -> None:
        super().__init__(threshold=threshold, key_terms=key_terms)
        if candidates is not None and candidates < 1:
            raise ConfigurationError(f"candidates must be at least 1 or None, got {candidates}")
        self._model_spec = model or os.environ.get(JUDGE_MODEL_ENV) or DEFAULT_JUDGE_MODEL
        self._cache_mode = cache_mode
        self._model: Any = None
        self.max_concurrency = max_concurrency
        self.candidates = candidates
        self._nearby = EmbeddingMatcher(embedder=embedder, key_terms=False)

    @property
    def model(self) -> Any:
        if self._model is None:
            spec = self._model_spec
            cache = ResponseCache(mode=self._cache_mode) if isinstance(spec, str) else None
            self._model = get_model(spec, cache=cache) if cache else get_model(spec)
        return self._model

    @property
    def description(self) -> dict[str, Any]:
        spec = self._model_spec
        return {
            **super().description,
            "model": spec if isinstance(spec, str) else spec.name,
            "candidates": self.candidates,
        }

    async def ashortlist(self, golds: Sequence[str], predicted: Sequence[str]) -> Any:
        """Each gold text's and each predicted text's ``candidates`` nearest counterparts; None
        (judge every pair) when no side has more than ``candidates`` texts."""
        n = self.candidates
        if n is None or (len(golds) <= n and len(predicted) <= n):
            return None
        return nearest_pairs(await self._nearby.acosines(golds, predicted), n)

    def _needs_similarity(self, check: KeyTermCheck | None) -> bool:
        return check is None or check.ok

    async def asimilarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        limit = asyncio.Semaphore(self.max_concurrency)
        unique = list(dict.fromkeys(pairs))

        async def one(gold: str, predicted: str) -> float:
            if normalise_answer(gold) == normalise_answer(predicted):
                return 1.0
            async with limit:
                return 1.0 if await self._ask(gold, predicted) else 0.0

        with call_purpose("judge"):
            scores = await asyncio.gather(*(one(a, b) for a, b in unique))
        table = dict(zip(unique, scores, strict=True))
        return [table[pair] for pair in pairs]

    async def _ask(self, gold: str, predicted: str) -> bool:
        messages = [
            {"role": "system", "content": _SYSTEM},
            {"role": "user", "content": f"Reference memory: {gold}\nCandidate memory: {predicted}"},
        ]
        config = GenerateConfig(temperature=0.0, tool_choice="required", max_tokens=200)
        response = await self.model.agenerate(messages, tools=[_tool()], config=config)
        verdict = parse_verdict(response)
        if verdict is None:
            raise InvalidModelOutputError(
                f"judge {self.description['model']!r} gave no yes/no verdict for "
                f"{gold!r} vs {predicted!r}",
                model=self.description["model"],
            )
        return verdict
