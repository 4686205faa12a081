"""Fitting one model on a training dataset and scoring it on the evaluation set.

Two model types, one result shape (:class:`Fitted`): a **head** on the dataset's frozen
features (``ml.trainer`` through the toolkit), or a **fine-tuned** sentence-transformers
encoder with a head on its embeddings (``ml.finetune``); the fine-tuned encoder is saved in
the toolkit's models directory and named as the model's embedder (``finetuned:<id>``), so
predictions, export and promotion load it like any other embedder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.domain.labels import SchemaKind
from shoplabel.domain.projects import Project
from shoplabel.domain.training import LabelSource
from shoplabel.errors import SingleClass, TooFewLabels
from shoplabel.inference.evaluation import classifier_report, ndcg_at_k
from shoplabel.services.ai_toolkit import AiToolkit, Head
from shoplabel.services.embeddings import Progress
from shoplabel.services.prelabel_features import single_features
from shoplabel.services.training_data import Dataset, snapshot_hash

__all__ = ["NDCG_K", "Fitted", "evaluate", "fit_finetuned", "fit_head", "training_rows"]

NDCG_K = 10


@dataclass(frozen=True)
class Fitted:
    """A trained model before registration: its head, the embedder its features come from,
    the learning curve, the data snapshot and the evaluation rows' probabilities
    ``(n_test, n_labels)``."""

    head: Head
    embedder: str
    curve: Mapping[str, Any]
    snapshot_hash: str
    n_train: int
    test_probas: NDArray[np.float64]


def training_rows(data: Dataset, source: LabelSource, *, min_items: int) -> NDArray[np.bool_]:
    """The rows that train on ``source``.

    Raises:
        TooFewLabels: fewer than ``min_items``. SingleClass: every label the same.
    """
    rows = data.train_rows(source)
    n = int(rows.sum())
    if n < min_items:
        raise TooFewLabels(
            f"{n} items have {source.value} labels outside the evaluation set; "
            f"{min_items} needed to train",
            details={"labels": source.value, "n": n, "min_items": min_items},
        )
    if len(np.unique(data.targets[source][rows].argmax(axis=1))) < 2:
        raise SingleClass(
            f"every {source.value} training label is the same class; need at least two",
            details={"labels": source.value},
        )
    return rows


def _snapshot(data: Dataset, source: LabelSource, rows: NDArray[np.bool_]) -> str:
    ids = [i for i, keep in zip(data.item_ids, rows, strict=True) if keep]
    return snapshot_hash(source, ids, data.targets[source][rows])


def fit_head(
    toolkit: AiToolkit,
    data: Dataset,
    *,
    source: LabelSource,
    embedder: str,
    options: Mapping[str, Any],
    min_items: int,
    progress: Progress | None = None,
) -> Fitted:
    """A head on the dataset's frozen features (``options``: ``ml.trainer`` fields)."""
    rows = training_rows(data, source, min_items=min_items)
    fit = toolkit.train_head(
        data.features[rows], data.targets[source][rows], options=options, progress=progress
    )
    curve = {"epochs": fit.epochs, "best_epoch": fit.best_epoch, "val_loss": fit.val_loss}
    return Fitted(
        head=fit.head,
        embedder=embedder,
        curve={**curve, "history": fit.history},
        snapshot_hash=_snapshot(data, source, rows),
        n_train=int(rows.sum()),
        test_probas=fit.head.predict_proba(data.features[data.test]),
    )


def fit_finetuned(
    toolkit: AiToolkit,
    data: Dataset,
    *,
    source: LabelSource,
    base: str,
    options: Mapping[str, Any],
    min_items: int,
    progress: Progress | None = None,
) -> Fitted:
    """Fine-tune ``base`` on the rows' texts (``options``: ``ml.finetune`` fields); the
    evaluation rows are embedded by the saved encoder, as predictions will be."""
    rows = training_rows(data, source, min_items=min_items)
    texts = [t for t, keep in zip(data.texts, rows, strict=True) if keep]
    fit = toolkit.finetune(
        texts, data.targets[source][rows], base=base, options=options, progress=progress
    )
    embedder = fit.encoder
    test_texts = [t for t, keep in zip(data.texts, data.test, strict=True) if keep]
    x = toolkit.embedder(embedder).embed(test_texts, kind="passage")
    curve = {"epochs": fit.epochs, "best_epoch": fit.best_epoch, "val_loss": fit.val_loss}
    return Fitted(
        head=fit.head,
        embedder=embedder,
        curve={**curve, "history": fit.history, "base_model": base},
        snapshot_hash=_snapshot(data, source, rows),
        n_train=int(rows.sum()),
        test_probas=fit.head.predict_proba(single_features(x)),
    )


def evaluate(project: Project, data: Dataset, probas: NDArray[np.float64]) -> dict[str, Any]:
    """Scores of the evaluation rows' ``probas`` ``(n_test, n_labels)`` (``n = 0`` when
    there are none)."""
    test = data.test
    out = classifier_report(probas, data.reference[test]).to_dict(data.labels)
    out["evaluated_on"] = data.evaluated_on
    if project.schema.kind is SchemaKind.ORDINAL and project.template == "query_product_relevance":
        k = len(data.labels)
        grades = (k - 1 - data.reference[test]).astype(np.float64)
        scores = probas @ np.arange(k - 1, -1, -1, dtype=np.float64)
        queries = [q for q, t in zip(data.queries, test, strict=True) if t]
        per_query = ndcg_at_k(scores, grades, queries, k=NDCG_K)
        out[f"ndcg@{NDCG_K}"] = (
            round(float(np.mean(list(per_query.values()))), 4) if per_query else None
        )
        out["ndcg_per_query"] = {q: round(v, 4) for q, v in list(per_query.items())[:200]}
    return out
