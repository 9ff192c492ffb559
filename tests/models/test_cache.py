"""The response cache: keys, modes, hits that skip the provider, corruption, concurrent writers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from harness.errors import ConfigurationError
from harness.models import (
    GenerateConfig,
    ModelResponse,
    ResponseCache,
    ToolSpec,
    get_model,
    record_calls,
    repeat_index,
)
from harness.models.cache import cache_key, default_cache_dir

USER = [{"role": "user", "content": "My sister is called Ana."}]
TOOL = ToolSpec(name="insert_memory", parameters={"type": "object", "properties": {}})


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/*.json"))


def test_second_identical_call_is_served_from_cache(scripted, tmp_path):
    scripted.enqueue_text("first answer")
    model = get_model(scripted.model, cache=ResponseCache(tmp_path))
    with record_calls() as calls:
        first = model.generate(USER, tools=[TOOL])
        second = model.generate(USER, tools=[TOOL])
    assert len(scripted.requests) == 1
    assert second.text == first.text == "first answer"
    assert (first.usage.cached, second.usage.cached) == (False, True)
    assert second.usage.latency_s == 0.0
    assert second.usage.input_tokens == first.usage.input_tokens  # what the call would have used
    assert [c.usage.cached for c in calls] == [False, True]
    assert calls[0].cache_key == calls[1].cache_key is not None
    assert len(entries(tmp_path)) == 1


def test_any_change_in_the_request_is_a_miss(scripted, tmp_path):
    scripted.respond_with(lambda request: "fresh")
    model = get_model(scripted.model, cache=ResponseCache(tmp_path))
    model.generate(USER)
    model.generate(USER, tools=[TOOL])
    model.generate(USER, config=GenerateConfig(temperature=0.5))
    model.generate([{"role": "user", "content": "My sister is called Eva."}])
    assert len(scripted.requests) == 4
    assert len(entries(tmp_path)) == 4


def test_timeout_is_not_part_of_the_key():
    base = cache_key("scripted/x", USER, (), GenerateConfig(timeout=10))
    assert base == cache_key("scripted/x", USER, (), GenerateConfig(timeout=99))
    assert base != cache_key("scripted/x", USER, (), GenerateConfig(timeout=10, seed=1))
    assert base != cache_key("scripted/y", USER, (), GenerateConfig(timeout=10))


def test_key_is_stable_across_dict_order():
    a = [{"role": "user", "content": "hi"}]
    b = [{"content": "hi", "role": "user"}]
    assert cache_key("m/x", a) == cache_key("m/x", b)
    assert len(cache_key("m/x", a)) == 64


def test_repeat_index_keeps_repeats_apart(scripted, tmp_path):
    scripted.respond_with(lambda request: f"answer {len(scripted.requests)}")
    model = get_model(scripted.model, cache=ResponseCache(tmp_path))
    texts = []
    for repeat in range(3):
        with repeat_index(repeat):
            texts.append(model.generate(USER).text)
    assert texts == ["answer 1", "answer 2", "answer 3"]
    with repeat_index(1):
        assert model.generate(USER).text == "answer 2"  # the re-run of repeat 1 is a hit
    assert len(scripted.requests) == 3
    with repeat_index(0):
        key0 = cache_key("m/x", USER)
    with repeat_index(1):
        key1 = cache_key("m/x", USER)
    assert key0 != key1
    assert cache_key("m/x", USER) == key0  # outside any block the index is 0


def test_read_only_reads_but_never_writes(scripted, tmp_path):
    scripted.respond_with(lambda request: "live")
    get_model(scripted.model, cache=ResponseCache(tmp_path)).generate(USER)
    before = entries(tmp_path)
    read_only = get_model(scripted.model, cache=ResponseCache(tmp_path, mode="read-only"))
    assert read_only.generate(USER).usage.cached is True
    read_only.generate([{"role": "user", "content": "something new"}])
    assert entries(tmp_path) == before
    assert len(scripted.requests) == 2


def test_off_never_reads_or_writes(scripted, tmp_path):
    scripted.respond_with(lambda request: "live")
    get_model(scripted.model, cache=ResponseCache(tmp_path)).generate(USER)
    before = entries(tmp_path)
    off = get_model(scripted.model, cache=ResponseCache(tmp_path, mode="off"))
    with record_calls() as calls:
        assert off.generate(USER).usage.cached is False
    assert calls[0].cache_key is None
    assert len(scripted.requests) == 2
    assert entries(tmp_path) == before


@pytest.mark.parametrize(
    "content",
    [b"", b'{"format": 1, "key": "tru', b"\x00\xff garbage", b'{"format": 1, "key": "other"}'],
    ids=["empty", "truncated", "binary", "foreign-key"],
)
def test_corrupt_entry_is_a_logged_miss_and_gets_rewritten(scripted, tmp_path, caplog, content):
    scripted.respond_with(lambda request: "recomputed")
    cache = ResponseCache(tmp_path)
    key = cache_key(scripted.model, USER)
    path = cache.path_for(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with caplog.at_level("WARNING", logger="harness.models.cache"):
        response = get_model(scripted.model, cache=cache).generate(USER)
    assert response.text == "recomputed"
    assert response.usage.cached is False
    assert str(path) in caplog.text
    assert cache.get(key).text == "recomputed"  # the next writer repaired the entry


def test_invalid_mode_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="read-write"):
        ResponseCache(tmp_path, mode="sometimes")


def test_default_directory_comes_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "here"))
    assert ResponseCache().directory == tmp_path / "here"
    monkeypatch.delenv("HARNESS_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "memory-harness"


def test_api_keys_never_reach_the_cache(scripted, tmp_path):
    secret = "sk-test-DO-NOT-STORE-1234567890"
    scripted.enqueue_text("ok")
    model = get_model(
        scripted.model,
        cache=ResponseCache(tmp_path),
        api_key=secret,
        api_base="https://user:pw-DO-NOT-STORE@llm.example",
        extra_headers={"Authorization": f"Bearer {secret}"},
    )
    model.generate(USER)
    [path] = entries(tmp_path)
    stored = path.read_text()
    assert "DO-NOT-STORE" not in stored
    entry = json.loads(stored)
    assert set(entry["request"]) == {"format", "model", "messages", "tools", "params", "repeat"}
    # The same request without credentials has the same key.
    assert path.stem == cache_key(scripted.model, USER)
    assert "DO-NOT-STORE" not in json.dumps(scripted.requests[0].params)


def _response(text: str) -> ModelResponse:
    return ModelResponse(model="scripted/x", text=text * 200)


def test_eight_threads_writing_same_and_different_keys(tmp_path):
    cache = ResponseCache(tmp_path)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(40):
                cache.put("shared".ljust(64, "0"), _response(f"w{worker}-{i} "))
                cache.put(f"own{worker}".ljust(64, "0"), _response(f"w{worker}-{i} "))
                assert cache.get("shared".ljust(64, "0")) is not None
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(entries(tmp_path)) == 9
    for path in entries(tmp_path):
        assert cache.get(path.stem) is not None
    assert not list(tmp_path.glob("*/*.tmp"))


WRITER = textwrap.dedent(
    """
    import sys
    from harness.models import ModelResponse, ResponseCache
    cache = ResponseCache(sys.argv[1])
    me = sys.argv[2]
    for i in range(150):
        cache.put("shared".ljust(64, "0"), ModelResponse(model="m/x", text=(me + " ") * 300))
        cache.put(("own" + me).ljust(64, "0"), ModelResponse(model="m/x", text=str(i)))
        if cache.get("shared".ljust(64, "0")) is None:
            sys.exit("reader saw a partial entry")
    """
)


def test_two_processes_writing_the_same_key_leave_a_valid_entry(tmp_path):
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name], env=os.environ)
        for name in ("a", "b")
    ]
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    cache = ResponseCache(tmp_path)
    shared = cache.get("shared".ljust(64, "0"))
    assert shared.text in {"a " * 300, "b " * 300}
    assert cache.get("owna".ljust(64, "0")).text == "149"
    assert cache.get("ownb".ljust(64, "0")).text == "149"
    assert not list(tmp_path.glob("*/*.tmp"))
