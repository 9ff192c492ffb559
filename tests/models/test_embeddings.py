"""Embeddings: the offline MiniLM default, the litellm path, caching, and the LanceDB registry."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from harness.errors import ConfigurationError, ModelError
from harness.models._litellm import register_provider
from harness.models._onnx_minilm import token_batches
from harness.models.embeddings import (
    Embedder,
    EmbeddingCache,
    LiteLLMEmbedder,
    MiniLMEmbedder,
    get_embedder,
    lancedb_embedding_function,
)


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    return get_embedder()


def test_default_is_384_dim_unit_vectors(minilm: Embedder):
    vectors = minilm.embed(["User prefers dark mode", "The capital of France is Paris"])
    assert (minilm.name, minilm.dims) == ("minilm", 384)
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.embed([]).shape == (0, 384)


def test_paraphrases_are_closer_than_unrelated_facts(minilm: Embedder):
    a, b, c = minilm.embed(
        ["User prefers dark mode", "The user likes dark themes", "The capital of France is Paris"]
    )
    assert float(a @ b) > 0.6
    assert float(a @ c) < 0.2
    assert float(a @ b) - float(a @ c) > 0.5


def test_batched_equals_one_at_a_time_in_input_order():
    texts = [f"note {i}: " + "the user said something " * (i % 7) for i in range(40)]
    batched = MiniLMEmbedder(batch_size=16, cache_size=0).embed(texts)  # 3 padded batches
    single = MiniLMEmbedder(cache_size=0)
    one_by_one = np.stack([single.embed([t])[0] for t in texts])
    assert np.min(np.sum(batched * one_by_one, axis=1)) > 0.9999


def test_token_batches_group_similar_lengths_shortest_first():
    lengths = [12, 200, 10, 14, 30, 256, 11]
    # 10, 11, 12 fill three texts; 30 is more than a quarter (+8) above 14; 256 is not above 200
    assert token_batches(lengths, max_texts=3) == [[2, 6, 0], [3], [4], [1, 5]]
    # two 256-token rows would pad to 512 tokens, over a 400-token budget
    assert token_batches(lengths, max_texts=3, max_tokens=400) == [[2, 6, 0], [3], [4], [1], [5]]
    assert token_batches([], max_texts=3) == []


def test_a_short_text_beside_a_long_one_embeds_as_alone(minilm: Embedder):
    long = "the user talked about the weather and the garden " * 30
    short = "User lives in Oslo"
    together = MiniLMEmbedder(cache_size=0).embed([long, short])
    alone = MiniLMEmbedder(cache_size=0).embed([short])
    assert float(together[1] @ alone[0]) > 0.9999


def test_long_text_is_truncated_at_256_tokens(minilm: Embedder):
    long = " ".join(f"word{i}" for i in range(400))
    a, b = minilm.embed([long, long + " and a different ending about volcanoes"])
    assert float(a @ b) == pytest.approx(1.0, abs=1e-6)


def test_identical_texts_are_computed_once():
    embedder = MiniLMEmbedder()
    first = embedder.embed(["tea", "coffee", "tea"])
    assert embedder.computed == 2
    np.testing.assert_array_equal(first[0], first[2])
    again = embedder.embed(["coffee", "tea"])
    assert embedder.computed == 2 and embedder.hits == 2
    np.testing.assert_array_equal(again, first[[1, 0]])


def test_cache_is_bounded_lru():
    embedder = MiniLMEmbedder(cache_size=2)
    embedder.embed(["a", "b"])
    embedder.embed(["a"])  # refresh "a"; "b" is now the oldest
    embedder.embed(["c"])  # evicts "b"
    assert embedder.computed == 3
    embedder.embed(["a", "c"])
    assert embedder.computed == 3
    embedder.embed(["b"])  # evicted from memory, read back from the disk cache
    assert (embedder.computed, embedder.loaded) == (3, 1)


def test_cache_returns_the_computed_vectors_keyed_by_model_and_text():
    embedder = MiniLMEmbedder()
    texts = ["User lives in Lisbon", "User lives in Oslo", "word " * 300]
    computed = embedder.embed(texts)
    cached = embedder.embed(list(reversed(texts)))
    assert embedder.computed == 3 and embedder.hits == 3
    np.testing.assert_array_equal(cached, computed[::-1])  # the very vectors, not recomputed
    cache = EmbeddingCache("model-a")
    cache.put_many({"tea": computed[0]})
    np.testing.assert_array_equal(cache.get("tea"), computed[0])
    assert cache.get("Tea") is None and cache.get("tea ") is None
    other = EmbeddingCache("model-b")
    assert other.key("tea") != cache.key("tea") and other.get("tea") is None
    assert len(cache.key("word " * 300)) == 16  # a digest is kept, not the text


def test_default_cache_holds_a_benchmark_run():
    assert MiniLMEmbedder().cache_size >= 100_000  # LongMemEval-S: ~70k distinct texts


def test_async_twin_and_threads_agree(minilm: Embedder):
    texts = [f"The user mentioned topic number {i}" for i in range(12)]
    expected = MiniLMEmbedder(cache_size=0).embed(texts)
    assert np.allclose(asyncio.run(minilm.aembed(texts)), expected, atol=1e-6)
    fresh = MiniLMEmbedder(cache_size=0)  # first use from four threads at once: loads once
    with ThreadPoolExecutor(4) as pool:
        parts = list(pool.map(lambda i: fresh.embed(texts[i::4]), range(4)))
    for i, part in enumerate(parts):
        assert np.allclose(part, expected[i::4], atol=1e-6)


def test_shared_instances_and_names(monkeypatch: pytest.MonkeyPatch):
    assert get_embedder() is get_embedder("minilm") is get_embedder("all-MiniLM-L6-v2")
    monkeypatch.setenv("HARNESS_EMBEDDING_MODEL", "all-minilm-l6-v2")
    assert get_embedder() is get_embedder("minilm")
    with pytest.raises(ConfigurationError, match="unknown embedder 'bert'"):
        get_embedder("bert")
    assert isinstance(get_embedder("openai/text-embedding-3-small"), LiteLLMEmbedder)
    assert get_embedder("openai/text-embedding-3-small").dims == 1536


def test_bad_input_is_named(minilm: Embedder):
    with pytest.raises(TypeError, match="not a single string"):
        minilm.embed("tea")
    with pytest.raises(TypeError, match="text #1 is int"):
        minilm.embed(["tea", 3])


# -- litellm embedding models (a fake remote provider on litellm's custom-provider path) -------

CALLS: list[list[str]] = []


def _fake_embedding_handler(litellm: Any) -> Any:
    class FakeEmbeddings(litellm.CustomLLM):
        async def aembedding(self, model: str, input: list, model_response: Any, *a, **kw):
            CALLS.append(list(input))
            if model == "broken":
                raise RuntimeError("provider is down")
            # Unnormalised 3-dim vectors derived from the text, in reverse index order.
            data = [
                {"object": "embedding", "index": i, "embedding": [len(t), 1.0, t.count("a")]}
                for i, t in enumerate(input)
            ]
            model_response.data = list(reversed(data))
            model_response.model = model
            return model_response

    return FakeEmbeddings()


@pytest.fixture
def fake_provider() -> list[list[str]]:
    register_provider("fakeembed", _fake_embedding_handler)
    CALLS.clear()
    return CALLS


def test_litellm_embedder_batches_normalises_and_caches(fake_provider):
    embedder = LiteLLMEmbedder("fakeembed/tiny", batch_size=2)
    vectors = embedder.embed(["aa", "bbb", "a", "aa", "cccc"])
    assert fake_provider == [["aa", "bbb"], ["a", "cccc"]]  # duplicates computed once, batches of 2
    expected = np.array([[2, 1, 2], [3, 1, 0], [1, 1, 1], [2, 1, 2], [4, 1, 0]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected)
    assert embedder.dims == 3
    asyncio.run(embedder.aembed(["bbb"]))
    assert len(fake_provider) == 2


def test_litellm_embedder_learns_unknown_dims_and_wraps_errors(fake_provider):
    assert LiteLLMEmbedder("fakeembed/tiny").dims == 3
    with pytest.raises(ModelError, match="provider is down") as err:
        LiteLLMEmbedder("fakeembed/broken").embed(["x"])
    assert err.value.model == "fakeembed/broken"


# -- LanceDB embedding-function registry -------------------------------------------------------


def test_registered_lancedb_function_embeds_on_write_and_search(tmp_path):
    import lancedb
    from lancedb.embeddings import get_registry
    from lancedb.pydantic import LanceModel, Vector

    func = lancedb_embedding_function()
    assert type(func) is type(get_registry().get("harness-minilm").create())
    assert func.ndims() == 384

    class Note(LanceModel):
        text: str = func.SourceField()
        vector: Vector(func.ndims()) = func.VectorField()  # type: ignore[valid-type]

    table = lancedb.connect(tmp_path).create_table("notes", schema=Note)
    table.add(
        [
            {"text": "User prefers dark mode"},
            {"text": "User is allergic to peanuts"},
            {"text": "User lives in Lisbon"},
        ]
    )
    stored = table.to_arrow().column("vector").to_pylist()
    assert np.allclose(stored[0], get_embedder().embed(["User prefers dark mode"])[0], atol=1e-6)
    hits = table.search("which city is the user's home?").limit(3).to_list()
    assert hits[0]["text"] == "User lives in Lisbon"


# -- concurrent requests share model calls ------------------------------------------------------


class GatedEmbedder(Embedder):
    """Vectors from text length; the first computation waits until the test opens the gate."""

    def __init__(self, fail_on: str = "") -> None:
        super().__init__("gated")
        self.calls: list[list[str]] = []
        self.gate = asyncio.Event()
        self.fail_on = fail_on

    @property
    def dims(self) -> int:
        return 2

    async def _acompute(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            await self.gate.wait()
        if self.fail_on in texts:
            raise ModelError(f"cannot embed {self.fail_on!r}", model=self.name)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


async def _while_first_call_runs(embedder: GatedEmbedder, requests: list[list[str]]) -> list:
    first = asyncio.ensure_future(embedder.aembed(["a"]))
    while not embedder.calls:
        await asyncio.sleep(0)
    rest = [asyncio.ensure_future(embedder.aembed(texts)) for texts in requests]
    await asyncio.sleep(0)
    embedder.gate.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_requests_made_during_a_computation_are_computed_together():
    embedder = GatedEmbedder()
    requests = [["bb", "shared text"], ["ccc"], ["shared text", "dddd"]]
    first, *rest = asyncio.run(_while_first_call_runs(embedder, requests))
    assert embedder.calls == [["a"], ["bb", "shared text", "ccc", "dddd"]]
    for texts, vectors in zip(requests, rest, strict=True):
        expected = np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
        assert np.allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True))
    assert np.allclose(first, [[1 / np.sqrt(2), 1 / np.sqrt(2)]])


def test_a_failed_shared_computation_fails_each_request_and_the_next_one_runs():
    embedder = GatedEmbedder(fail_on="bad")
    first, one, two = asyncio.run(_while_first_call_runs(embedder, [["bad"], ["fine"]]))
    assert first.shape == (1, 2)
    assert isinstance(one, ModelError) and isinstance(two, ModelError)  # one batch, one error
    assert "cannot embed 'bad'" in str(two)
    assert embedder.embed(["fine"]).shape == (1, 2)
    assert embedder.calls[-1] == ["fine"]
