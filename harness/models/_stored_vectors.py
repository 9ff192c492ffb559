"""Embeddings kept on disk between runs, so a re-run embeds only the texts it has not seen.

A benchmark is replayed again and again while a prompt or model changes, and most of what it
embeds (haystack turns, gold memories, queries) is the same every time: on LongMemEval-S the
embedding model is most of a run's CPU. The vectors are stored in one SQLite file in the cache
folder (``HARNESS_CACHE_DIR``, beside the response cache), keyed by a digest of the embedder's
identity (model and the versions that decide its numbers) and the text, as raw float32 bytes:
a stored vector is the computed one, bit for bit.

It is a cache, so it never fails a run: an unreadable or damaged file is reported once, in the
log, and the run goes on computing; a row of the wrong size is ignored. SQLite's write-ahead log
lets the processes of one machine (parallel runs, Ray workers) share the file.
``HARNESS_EMBEDDING_CACHE=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

ENV = "HARNESS_EMBEDDING_CACHE"
FILE_NAME = "embeddings.sqlite3"
_CHUNK = 500  # keys per SELECT (SQLite's parameter limit is far above)
_warned: set[str] = set()
_warned_lock = threading.Lock()


def text_key(prefix: bytes, text: str) -> bytes:
    """A 16-byte digest of ``prefix`` (a model or embedder identity, NUL-terminated) and
    ``text``: the key of both the in-memory and the disk cache."""
    return hashlib.blake2b(prefix + text.encode("utf-8"), digest_size=16).digest()


def enabled() -> bool:
    return os.environ.get(ENV, "").strip().lower() not in ("off", "0", "false", "no")


class StoredVectors:
    """The vectors of one embedder ``identity`` in the SQLite file at ``path``."""

    def __init__(self, path: Path, identity: str, dims: int | None = None) -> None:
        self.path = path
        self.dims = dims
        self._prefix = identity.encode("utf-8") + b"\0"

    def key(self, text: str) -> bytes:
        return text_key(self._prefix, text)

    def get_many(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of ``texts`` (those found; none when the file cannot be read)."""
        keys = {self.key(text): text for text in texts}
        found: dict[str, np.ndarray] = {}
        if not keys or not self.path.is_file():
            return found
        try:
            with self._connect() as con:
                listed = list(keys)
                for start in range(0, len(listed), _CHUNK):
                    chunk = listed[start : start + _CHUNK]
                    marks = ", ".join("?" * len(chunk))
                    sql = f"SELECT key, vector FROM vectors WHERE key IN ({marks})"
                    for key, blob in con.execute(sql, chunk):
                        vector = self._vector(blob)
                        if vector is not None:
                            found[keys[key]] = vector
        except sqlite3.Error as exc:
            self._warn(exc)
            return {}
        return found

    def put_many(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Store ``vectors`` (text -> vector); a failure is logged, never raised."""
        if not vectors:
            return
        rows = [
            (self.key(text), np.asarray(vector, dtype="<f4").tobytes())
            for text, vector in vectors.items()
        ]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as con:
                con.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", rows)
        except (sqlite3.Error, OSError) as exc:
            self._warn(exc)

    def _connect(self) -> _Closing:
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")  # a lost last write costs a recomputation
            con.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) "
                "WITHOUT ROWID"
            )
        except BaseException:
            con.close()
            raise
        return _Closing(con)

    def _vector(self, blob: bytes) -> np.ndarray | None:
        if not isinstance(blob, bytes) or len(blob) % 4 or not blob:
            return None
        vector = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        if self.dims is not None and vector.shape != (self.dims,):
            return None
        if not np.all(np.isfinite(vector)):
            return None
        vector.setflags(write=False)
        return vector

    def _warn(self, exc: BaseException) -> None:
        with _warned_lock:
            if str(self.path) in _warned:
                return
            _warned.add(str(self.path))
        logger.warning(
            "embedding cache %s cannot be used (%s: %s); embeddings are computed instead",
            self.path,
            type(exc).__name__,
            exc,
        )


class _Closing:
    """A connection that commits (or rolls back) and closes at the end of a ``with`` block."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        return self.con

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            if kind is None:
                self.con.commit()
            else:
                self.con.rollback()
        finally:
            self.con.close()
