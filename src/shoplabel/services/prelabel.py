"""Pre-labelling runs: train (or zero-shot) a model version, calibrate it, predict every
item, store the predictions and the model worker's labels, then auto-label if enabled.

A run reads in short transactions, embeds and fits outside any transaction, and writes one
page of predictions per transaction, so it streams a project of any size with bounded
memory. Every run stores a new :class:`~shoplabel.domain.ai.ModelVersion`: zero-shot while
fewer than ``ai.min_train_items`` human-labelled items exist (or they hold one class), then
a supervised head on the current consensus, retrained by each run as labels grow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.domain.ai import (
    AiSettings,
    ModelKind,
    ModelLabelMode,
    ModelVersion,
    Prediction,
    parse_ai_settings,
)
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.errors import CalibrationUnavailable, InvalidInput
from shoplabel.inference.calibration import ThresholdCalibration, calibrate_threshold
from shoplabel.services.ai_toolkit import AiToolkit, Embedder, Head
from shoplabel.services.autolabel import AutoLabelReport, apply_auto_labels
from shoplabel.services.embeddings import (
    Progress,
    embed_texts,
    item_pages,
    managed_project,
    page_features,
)
from shoplabel.services.model_labels import model_worker, write_page
from shoplabel.services.prelabel_features import PAIR_TEMPLATES
from shoplabel.services.prelabel_training import (
    TrainingSet,
    ZeroShot,
    cross_fit,
    head_features,
    label_texts,
    training_set,
    zero_shot_probas,
)
from shoplabel.services.retrain import count_labelled

__all__ = ["PrelabelReport", "list_predictions", "list_versions", "prelabel"]


@dataclass(frozen=True, slots=True)
class PrelabelReport:
    version: int
    kind: ModelKind
    n_items: int
    n_train: int
    n_model_labels: int
    holdout_accuracy: float | None
    calibration: dict[str, Any] | None
    calibration_error: str | None
    auto: AutoLabelReport | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "kind": self.kind.value,
            "n_items": self.n_items,
            "n_train": self.n_train,
            "n_model_labels": self.n_model_labels,
            "holdout_accuracy": self.holdout_accuracy,
            "calibration": self.calibration,
            "calibration_error": self.calibration_error,
            "auto": None if self.auto is None else self.auto.to_dict(),
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class _Model:
    kind: ModelKind
    head: Head | None
    label_vectors: NDArray[np.float32] | None
    holdout_probas: NDArray[np.float64]  # (n_train, n_labels), never fitted on their row
    row_of: dict[ItemId, int]  # training item -> its row of holdout_probas


def _categorical(project: Project) -> None:
    if not project.schema.is_categorical:
        raise InvalidInput(
            f"project {project.id} has a {project.schema.kind.value} schema; the pre-labeller "
            "predicts single-choice labels",
            details={"field": "schema"},
        )


def _fit(
    uows: Callable[[], UnitOfWork],
    toolkit: AiToolkit,
    embedder: Embedder,
    project: Project,
    *,
    train: TrainingSet,
    ai: AiSettings,
) -> _Model:
    if train.n >= ai.min_train_items and train.n_classes >= 2:
        try:
            head, oof = cross_fit(toolkit, train, seed=project.id)
        except InvalidInput:
            pass  # a fold with one class: too few labels of some class to train yet
        else:
            rows = {item_id: k for k, item_id in enumerate(train.item_ids)}
            return _Model(ModelKind.SUPERVISED, head, None, oof, rows)
    vectors = None
    if project.template not in PAIR_TEMPLATES:
        vectors, _ = embed_texts(uows, embedder, label_texts(project), kind="query")
    holdout = (
        zero_shot_probas(project, train.features, label_vectors=vectors, options=ZeroShot())
        if train.n
        else np.zeros((0, len(project.schema.label_values)))
    )
    return _Model(ModelKind.ZERO_SHOT, None, vectors, holdout, {})


def _calibrate(
    train: TrainingSet, model: _Model, ai: AiSettings
) -> tuple[ThresholdCalibration | None, str | None]:
    keep = train.holdout
    n = int(keep.sum())
    if n < ai.min_calibration_items:
        return None, (
            f"{n} settled human-labelled items, {ai.min_calibration_items} needed to calibrate"
        )
    probas = model.holdout_probas[keep]
    correct = probas.argmax(axis=1) == train.reference[keep]
    cal = calibrate_threshold(probas.max(axis=1), correct, target=ai.target_accuracy)
    if cal.threshold is None:
        return cal, f"no confidence threshold reaches {ai.target_accuracy:.1%} at 95% confidence"
    return cal, None


def _predict(project: Project, model: _Model, features: NDArray[np.float64]) -> NDArray[np.float64]:
    if model.head is not None:
        return model.head.predict_proba(features)
    return zero_shot_probas(
        project, features, label_vectors=model.label_vectors, options=ZeroShot()
    )


def _predictions(
    project: Project, version: int, item_ids: list[Any], probas: NDArray[np.float64]
) -> list[Prediction]:
    labels = project.schema.label_values
    best = probas.argmax(axis=1)
    return [
        Prediction(
            item_id=item_id,
            model_version=version,
            value=labels[int(b)],
            confidence=round(float(row[b]), 6),
            probas={lab: round(float(p), 6) for lab, p in zip(labels, row, strict=True)},
        )
        for item_id, row, b in zip(item_ids, probas, best, strict=True)
    ]


def _store_version(
    uows: Callable[[], UnitOfWork],
    project: Project,
    model: _Model,
    *,
    ai: AiSettings,
    metrics: dict[str, Any],
    threshold: float | None,
) -> ModelVersion:
    with uows() as uow:
        worker = model_worker(uow, project) if ai.model_labels is ModelLabelMode.ANNOTATE else None
        version = uow.ai.add_version(
            project.id,
            kind=model.kind,
            embedder=ai.embedder,
            params={} if model.head is None else model.head.to_dict(),
            metrics=metrics,
            threshold=threshold,
            worker_id=worker,
        )
        uow.commit()
    return version


def _stream(
    uows: Callable[[], UnitOfWork],
    embedder: Embedder,
    project: Project,
    *,
    model: _Model,
    version: ModelVersion,
    progress: Progress | None,
) -> tuple[int, int]:
    ai = parse_ai_settings(project.settings.ai)
    done = added = 0
    for page in item_pages(uows, project.id):
        features, _, _ = page_features(uows, embedder, project, page)
        probas = _predict(project, model, head_features(project, features))
        for row, item in enumerate(page):
            # A training item keeps the prediction of the head that never saw it, so what
            # automatic review and the reports read is out-of-sample.
            k = model.row_of.get(item.id)
            if k is not None:
                probas[row] = model.holdout_probas[k]
        preds = _predictions(project, version.version, [it.id for it in page], probas)
        with uows() as uow:
            added += write_page(
                uow, project, page, preds, ai=ai, worker_id=version.worker_id, features=features
            )
            uow.commit()
        done += len(page)
        if progress is not None:
            progress(done, max(project.counters.n_items, done))
    return done, added


def prelabel(
    uows: Callable[[], UnitOfWork],
    toolkit: AiToolkit,
    *,
    actor: Actor,
    project_id: ProjectId,
    progress: Progress | None = None,
) -> PrelabelReport:
    """Run the pre-labeller on a project (see the module docstring).

    Raises:
        InvalidInput: the project's schema is not single-choice.
        ModelUnavailable: the embedder cannot be loaded; nothing is stored.
    """
    start = time.perf_counter()
    project = managed_project(uows, actor, project_id)
    _categorical(project)
    ai = parse_ai_settings(project.settings.ai)
    embedder = toolkit.embedder(ai.embedder)
    with uows().reading() as uow:
        n_labelled = count_labelled(uow, project)
    train = training_set(uows, embedder, project)
    model = _fit(uows, toolkit, embedder, project, train=train, ai=ai)
    cal, cal_error = _calibrate(train, model, ai)
    keep = train.holdout
    accuracy = (
        float(np.mean(model.holdout_probas[keep].argmax(axis=1) == train.reference[keep]))
        if keep.any()
        else None
    )
    metrics: dict[str, Any] = {
        "n_labelled": n_labelled,
        "n_train": train.n,
        "n_holdout": int(keep.sum()),
        "holdout_accuracy": accuracy,
        "calibration": None if cal is None else cal.to_dict(),
        "calibration_error": cal_error,
    }
    threshold = None if cal is None else cal.threshold
    version = _store_version(uows, project, model, ai=ai, metrics=metrics, threshold=threshold)
    n_items, added = _stream(
        uows, embedder, project, model=model, version=version, progress=progress
    )
    auto = None
    if ai.auto_label and threshold is not None:
        try:
            auto = apply_auto_labels(uows, actor=actor, project_id=project_id)
        except CalibrationUnavailable as e:
            cal_error = e.message
    return PrelabelReport(
        version=version.version,
        kind=model.kind,
        n_items=n_items,
        n_train=train.n,
        n_model_labels=added,
        holdout_accuracy=accuracy,
        calibration=None if cal is None else cal.to_dict(),
        calibration_error=cal_error,
        auto=auto,
        seconds=time.perf_counter() - start,
    )


def list_versions(
    uows: Callable[[], UnitOfWork], *, actor: Actor, project_id: ProjectId, limit: int = 50
) -> list[ModelVersion]:
    """The project's model versions, newest first (managers only)."""
    managed_project(uows, actor, project_id)
    with uows().reading() as uow:
        return uow.ai.list_versions(project_id, limit=limit)


def list_predictions(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor,
    project_id: ProjectId,
    after_id: int = 0,
    limit: int = 100,
) -> list[Prediction]:
    """The latest predictions by item id (managers only: workers never see pre-labels, so
    their answers stay independent of the model's)."""
    managed_project(uows, actor, project_id)
    with uows().reading() as uow:
        return uow.ai.prediction_page(project_id, after_id=after_id, limit=limit)
