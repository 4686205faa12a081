"""The pre-labeller's training set, its fit (with out-of-fold predictions for calibration)
and the zero-shot scores used before enough labels exist.

Training rows are items with at least one human label (or gold). Targets are soft: the
item's truth-inference posterior (``consensus.probas``, from ``services.posteriors`` or the
latest aggregation run); gold items get their known label. Items the model labelled on its
own (consensus method ``auto/...``) never train it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shoplabel.domain.annotations import AnnotationSource, AnnotationStatus
from shoplabel.domain.ids import ItemId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.errors import InvalidInput
from shoplabel.services.ai_toolkit import AiToolkit, Embedder, Head
from shoplabel.services.embeddings import item_pages, page_features
from shoplabel.services.prelabel_features import (
    CODE_FOUND,
    CODES_DIFFER,
    PAIR_TEMPLATES,
    comparison_features,
)

__all__ = [
    "FOLDS",
    "TrainingSet",
    "ZeroShot",
    "cross_fit",
    "head_features",
    "training_set",
    "zero_shot_probas",
]

FOLDS = 5
AUTO_METHOD_PREFIX = "auto/"


@dataclass(frozen=True)
class TrainingSet:
    """Rows: ``features`` (n, n_features), ``targets`` (n, n_labels) summing to 1,
    ``reference`` (n,) the label index the model is judged against, ``holdout`` (n,) True
    where that reference is settled (gold, or a completed item) and may calibrate."""

    item_ids: tuple[ItemId, ...]
    features: NDArray[np.float64]
    targets: NDArray[np.float64]
    reference: NDArray[np.intp]
    holdout: NDArray[np.bool_]

    @property
    def n(self) -> int:
        return len(self.item_ids)

    @property
    def n_classes(self) -> int:
        return len(np.unique(self.targets.argmax(axis=1))) if self.n else 0


def _targets(
    uow: UnitOfWork, project: Project, items: Sequence[Item]
) -> dict[ItemId, tuple[list[float], bool]]:
    """Soft target and "settled" flag of the page's items that humans labelled."""
    labels = project.schema.label_values
    candidates = [it for it in items if it.n_labels > 0 or it.gold is not None]
    annotations = uow.annotations.list_for_items([it.id for it in candidates])
    consensus = uow.consensus.get_many([it.id for it in candidates])
    out: dict[ItemId, tuple[list[float], bool]] = {}
    for it in candidates:
        if it.gold is not None and str(it.gold) in labels:
            out[it.id] = ([1.0 if lab == str(it.gold) else 0.0 for lab in labels], True)
            continue
        human = [
            a
            for a in annotations[it.id]
            if a.source is AnnotationSource.HUMAN and a.status is AnnotationStatus.VALID
        ]
        c = consensus.get(it.id)
        if not human or c is None or not c.probas or c.method.startswith(AUTO_METHOD_PREFIX):
            continue
        out[it.id] = (
            [float(c.probas.get(lab, 0.0)) for lab in labels],
            it.status is ItemStatus.DONE,
        )
    return out


def head_features(project: Project, features: NDArray[np.float64]) -> NDArray[np.float64]:
    """What the pre-labeller reads of :func:`~shoplabel.services.embeddings.page_features`.

    Pair templates: the comparison features only (cosine, word and model-code overlap,
    price ratio). The side embeddings' product and difference (768 columns) let a linear
    head memorise the noisy consensus of the few hundred to few thousand items a project has
    labelled: on D_Product, trained on the crowd's majority vote, the comparison features
    alone label 82% of the items at 99% accuracy against the truth, all columns 37% (5-fold
    cross-fitting, logistic regression). Other templates: the embedding.
    """
    if project.template in PAIR_TEMPLATES:
        return comparison_features(features)
    return features


def training_set(
    uows: Callable[[], UnitOfWork], embedder: Embedder, project: Project
) -> TrainingSet:
    """Stream the project's items; keep features of the human-labelled ones only."""
    ids: list[ItemId] = []
    feats: list[NDArray[np.float64]] = []
    targets: list[list[float]] = []
    settled: list[bool] = []
    for page in item_pages(uows, project.id):
        with uows().reading() as uow:
            page_targets = _targets(uow, project, page)
        if not page_targets:
            continue
        labelled = [it for it in page if it.id in page_targets]
        x, _, _ = page_features(uows, embedder, project, labelled)
        feats.append(head_features(project, x))
        for it in labelled:
            ids.append(it.id)
            targets.append(page_targets[it.id][0])
            settled.append(page_targets[it.id][1])
    k = len(project.schema.label_values)
    t = np.asarray(targets, dtype=np.float64).reshape(-1, k)
    t = t / np.maximum(t.sum(axis=1, keepdims=True), 1e-12)
    return TrainingSet(
        item_ids=tuple(ids),
        features=np.vstack(feats) if feats else np.zeros((0, 0)),
        targets=t,
        reference=t.argmax(axis=1).astype(np.intp),
        holdout=np.asarray(settled, dtype=bool),
    )


def cross_fit(
    toolkit: AiToolkit, train: TrainingSet, *, seed: int, folds: int = FOLDS
) -> tuple[Head, NDArray[np.float64]]:
    """The head fitted on every row, and out-of-fold probabilities ``(n, n_labels)``: each
    row scored by a head that never saw it (the held-out predictions calibration needs).

    Raises:
        InvalidInput: a fold's training rows hold a single class.
    """
    rng = np.random.default_rng(seed)
    fold = rng.permutation(train.n) % folds
    oof = np.zeros_like(train.targets)
    for f in range(folds):
        test = fold == f
        head = toolkit.fit_head(train.features[~test], train.targets[~test])
        oof[test] = head.predict_proba(train.features[test])
    return toolkit.fit_head(train.features, train.targets), oof


@dataclass(frozen=True, slots=True)
class ZeroShot:
    r"""Zero-shot scoring before any labels exist.

    Pair templates: $P(\text{first label}) = \sigma((\cos - \text{center}) /
    \text{scale} + c\,(f - d))$ of the two sides' cosine (multilingual-e5-small puts
    same-product Abt-Buy listings above about 0.9) and their model codes: $f = 1$ when a code
    of one side is found in the other, $d = 1$ when both sides carry codes and none matches,
    $c$ = ``code_logit``; with more than two (ordinal) labels the mass spreads around the
    position this implies. Other templates: softmax of the cosine between
    the item and each label's title and description, divided by ``temperature``.
    """

    center: float = 0.9
    scale: float = 0.02
    temperature: float = 0.02
    code_logit: float = 4.0

    def pair_probas(self, comparison: NDArray[np.float64], n_labels: int) -> NDArray[np.float64]:
        """From the comparison features ``(n, N_COMPARISON)`` (column 0: the cosine)."""
        codes = comparison[:, CODE_FOUND] - comparison[:, CODES_DIFFER]
        z = (comparison[:, 0] - self.center) / self.scale + self.code_logit * codes
        p_first = 1.0 / (1.0 + np.exp(-z))
        if n_labels == 2:
            return np.column_stack([p_first, 1.0 - p_first])
        position = (1.0 - p_first) * (n_labels - 1)
        logits = -np.abs(np.arange(n_labels)[None, :] - position[:, None]) / 0.5
        return _softmax(logits)

    def label_probas(
        self, items: NDArray[np.float64], label_vectors: NDArray[np.float32]
    ) -> NDArray[np.float64]:
        return _softmax(items @ label_vectors.T.astype(np.float64) / self.temperature)


def _softmax(z: NDArray[np.float64]) -> NDArray[np.float64]:
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)


def label_texts(project: Project) -> list[str]:
    """What zero-shot compares items with: each label's title and description."""
    return [f"{o.title}: {o.description}".strip(": ") for o in project.schema.labels]


def zero_shot_probas(
    project: Project,
    features: NDArray[np.float64],
    *,
    label_vectors: NDArray[np.float32] | None,
    options: ZeroShot,
) -> NDArray[np.float64]:
    """Zero-shot probabilities ``(n, n_labels)`` from a page's :func:`head_features`."""
    n_labels = len(project.schema.label_values)
    if project.template in PAIR_TEMPLATES:
        return options.pair_probas(features, n_labels)
    if label_vectors is None:
        raise InvalidInput("zero-shot scoring of single-text items needs label vectors")
    return options.label_probas(features, label_vectors)
