"""What the AI services need from ``ml``, as protocols: ``ml.toolkit.Toolkit`` implements
them and the composition root passes one in (services never import ``ml``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["AiToolkit", "Embedder", "Finetuned", "Head", "HeadFit", "LabelIssues", "TextKind"]

TextKind = Literal["query", "passage"]


class Embedder(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def cache_key(self) -> str: ...
    @property
    def dim(self) -> int: ...
    def embed(self, texts: Sequence[str], *, kind: TextKind) -> NDArray[np.float32]:
        """L2-normalised rows, shape ``(len(texts), dim)``; raises ``ModelUnavailable``."""
        ...


class Head(Protocol):
    def predict_proba(self, x: NDArray[np.floating[Any]]) -> NDArray[np.float64]: ...
    def to_dict(self) -> dict[str, Any]: ...


class LabelIssues(Protocol):
    @property
    def indices(self) -> NDArray[np.intp]:
        """Rows whose label is likely wrong, most suspicious first."""
        ...

    @property
    def quality(self) -> NDArray[np.float64]:
        """Label quality per row, in [0, 1], low = likely wrong."""
        ...


class HeadFit(Protocol):
    """A head trained with the KL objective (``ml.trainer``) and its learning curve."""

    @property
    def head(self) -> Head: ...
    @property
    def epochs(self) -> int: ...
    @property
    def best_epoch(self) -> int: ...
    @property
    def val_loss(self) -> float | None: ...
    @property
    def history(self) -> list[float]: ...


class Finetuned(HeadFit, Protocol):
    """A fine-tuned encoder and the head on its embeddings."""

    @property
    def encoder(self) -> str:
        """The embedder name that loads the saved encoder (``finetuned:<id>``)."""
        ...


class AiToolkit(Protocol):
    def embedder(self, name: str) -> Embedder: ...
    def fit_head(
        self, features: NDArray[np.floating[Any]], targets: NDArray[np.floating[Any]]
    ) -> Head: ...
    def load_head(self, params: Mapping[str, Any]) -> Head: ...
    def label_issues(
        self, labels: NDArray[np.integer[Any]], pred_probs: NDArray[np.floating[Any]]
    ) -> LabelIssues:
        """cleanlab's confident learning; raises ``ModelUnavailable`` without cleanlab."""
        ...

    def train_head(
        self,
        features: NDArray[np.floating[Any]],
        targets: NDArray[np.floating[Any]],
        *,
        options: Mapping[str, Any],
        progress: Callable[[int, int], None] | None = None,
    ) -> HeadFit:
        """KL-divergence training with class weights, validation split and early stopping;
        ``options`` are ``ml.trainer.TrainOptions`` fields."""
        ...

    def finetune(
        self,
        texts: Sequence[str],
        targets: NDArray[np.floating[Any]],
        *,
        base: str,
        options: Mapping[str, Any],
        progress: Callable[[int, int], None] | None = None,
    ) -> Finetuned:
        """Fine-tune the encoder ``base`` (a local directory or the packaged model's name)
        with the KL objective and save it in the models directory; ``options`` are
        ``ml.finetune.FinetuneOptions`` fields. Raises ``ModelUnavailable`` without the train
        extra or a models directory."""
        ...

    def encoder_files(self, embedder: str) -> dict[str, bytes]:
        """The files of a fine-tuned or sentence-transformers encoder by relative path (empty
        for other embedders); raises ``ModelFileInvalid`` if its directory is gone."""
        ...
