"""The project's own response cache: one JSON file per request, safe under concurrent writers.

The key is a SHA-256 over a canonical JSON of the model string, messages, tools, the generation
parameters (all but the timeout) and the *repeat index*, so a run that asks the same question five
times on purpose gets five answers, while a re-run of the same repeat is served from disk. Only
those fields and the response are stored: API keys, headers and base URLs never enter the key
material or the files.

Entries live in ``<directory>/<key[:2]>/<key>.json`` and are written to a temp file and
``os.replace``-d into place, so readers never see half an entry and racing writers (threads or
processes) each leave a complete one. A corrupt or foreign file is logged and treated as a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from harness.errors import ConfigurationError
from harness.models.types import GenerateConfig, Message, ModelResponse, ToolSpec

logger = logging.getLogger(__name__)

CACHE_DIR_ENV = "HARNESS_CACHE_DIR"
CACHE_FORMAT = 1
CacheMode = Literal["read-write", "read-only", "off"]
_MODES = ("read-write", "read-only", "off")

_repeat: ContextVar[int] = ContextVar("harness_repeat_index", default=0)


@contextmanager
def repeat_index(index: int) -> Iterator[None]:
    """Mark the model calls inside the block as repeat ``index`` (part of the cache key)."""
    token = _repeat.set(int(index))
    try:
        yield
    finally:
        _repeat.reset(token)


def current_repeat_index() -> int:
    return _repeat.get()


def default_cache_dir() -> Path:
    value = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "memory-harness"


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


def key_material(
    model: str,
    messages: Sequence[Message],
    tools: Sequence[ToolSpec],
    config: GenerateConfig,
    repeat: int,
) -> dict[str, Any]:
    """Exactly what identifies a request; nothing else (no credentials) is hashed or stored."""
    return {
        "format": CACHE_FORMAT,
        "model": model,
        "messages": list(messages),
        "tools": [tool.to_openai() for tool in tools],
        "params": config.model_dump(mode="json", exclude={"timeout"}),
        "repeat": repeat,
    }


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
    )


def cache_key(
    model: str,
    messages: Sequence[Message],
    tools: Sequence[ToolSpec] = (),
    config: GenerateConfig | None = None,
    repeat: int | None = None,
) -> str:
    """The stable SHA-256 key of a request (``repeat`` defaults to the current repeat index)."""
    material = key_material(
        model,
        messages,
        tools,
        config or GenerateConfig(),
        _repeat.get() if repeat is None else repeat,
    )
    return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()


class ResponseCache:
    """File-backed cache of model responses, in mode ``read-write``, ``read-only`` or ``off``."""

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, mode: CacheMode = "read-write"
    ):
        if mode not in _MODES:
            raise ConfigurationError(f"cache mode {mode!r} is not one of {', '.join(_MODES)}")
        self.directory = Path(directory).expanduser() if directory else default_cache_dir()
        self.mode: CacheMode = mode

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.directory)!r}, mode={self.mode!r})"

    @property
    def reads(self) -> bool:
        return self.mode != "off"

    @property
    def writes(self) -> bool:
        return self.mode == "read-write"

    def path_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> ModelResponse | None:
        """The stored response for ``key``, or None on a miss (or an unreadable entry)."""
        if not self.reads:
            return None
        path = self.path_for(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable cache entry %s: %s", path, exc)
            return None
        try:
            if data.get("key") != key or data.get("format") != CACHE_FORMAT:
                raise ValueError("key or format does not match")
            return ModelResponse.model_validate(data["response"])
        except Exception as exc:
            logger.warning("ignoring invalid cache entry %s: %s", path, exc)
            return None

    def put(self, key: str, response: ModelResponse, request: dict[str, Any] | None = None) -> bool:
        """Store ``response`` under ``key`` atomically; returns whether anything was written."""
        if not self.writes:
            return False
        path = self.path_for(key)
        entry = {
            "format": CACHE_FORMAT,
            "key": key,
            "request": request,
            "response": response.model_dump(mode="json"),
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:8]}-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(canonical_json(entry))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            logger.warning("could not write cache entry %s: %s", path, exc)
            return False
        return True
