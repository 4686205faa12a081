"""The model registry: list and read trained models, predict with one, export it as files a
search team can load, and promote it to be the project's pre-labeller.

Exported files: ``model.npz`` (``coef`` (n_labels, n_features), ``intercept``, ``mean``,
``scale``) and ``model.json`` (labels, embedder, template, feature layout, data snapshot hash,
parameters, metrics). $P(y \\mid x) = \\mathrm{softmax}(W (x - \\mu) / \\sigma + b)$ on the
pre-labeller's features of the item (``docs/training.md``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from shoplabel.domain.ai import ModelKind, ModelLabelMode, Prediction, parse_ai_settings
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.training import LabelSource, ModelType, TrainedModel
from shoplabel.domain.users import Actor
from shoplabel.errors import (
    BatchTooLarge,
    InvalidInput,
    ItemNotFound,
    ModelFileInvalid,
    ModelNotFound,
    PermissionDenied,
    ProjectNotFound,
)
from shoplabel.services.ai_toolkit import AiToolkit, Head
from shoplabel.services.embeddings import Progress, item_pages, managed_project, page_features
from shoplabel.services.model_labels import model_worker, write_page
from shoplabel.services.prelabel_features import PAIR_TEMPLATES

__all__ = [
    "MAX_BATCH",
    "PredictRequest",
    "export_files",
    "get_model",
    "list_models",
    "load_export",
    "predict",
    "promote",
]

#: Items per prediction request (the embedder runs inside the request).
MAX_BATCH = 256
_ARRAYS = ("coef", "intercept", "mean", "scale")


def get_model(uows: Callable[[], UnitOfWork], *, actor: Actor, model_id: int) -> TrainedModel:
    """A trained model of a project the actor manages (else ``model_not_found``)."""
    with uows().reading() as uow:
        model = uow.training.get_model(model_id)
    try:
        managed_project(uows, actor, model.project_id)
    except (ProjectNotFound, PermissionDenied):  # do not reveal another project's model
        raise ModelNotFound(
            f"model {model_id} does not exist", details={"model_id": model_id}
        ) from None
    return model


def list_models(
    uows: Callable[[], UnitOfWork], *, actor: Actor, project_id: ProjectId, limit: int = 50
) -> list[TrainedModel]:
    """The project's trained models, newest first (managers only)."""
    managed_project(uows, actor, project_id)
    with uows().reading() as uow:
        return uow.training.list_models(project_id, limit=limit)


def _head(toolkit: AiToolkit, model: TrainedModel) -> Head:
    """The model's head, checked against its labels; ``model_file_invalid`` if it is broken."""
    w = model.weights
    try:
        arrays = {k: np.asarray(w[k], dtype=np.float64) for k in _ARRAYS}
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileInvalid(
            f"model {model.id} weights do not load: {e!s}", details={"model_id": model.id}
        ) from None
    k, d = len(model.labels), arrays["mean"].shape[0] if arrays["mean"].ndim == 1 else -1
    ok = (
        arrays["coef"].shape == (k, d)
        and arrays["intercept"].shape == (k,)
        and arrays["scale"].shape == (d,)
        and all(np.all(np.isfinite(a)) for a in arrays.values())
    )
    if not ok or k < 2:
        raise ModelFileInvalid(
            f"model {model.id} weights do not match its {k} labels", details={"model_id": model.id}
        )
    return toolkit.load_head({n: a.tolist() for n, a in arrays.items()})


@dataclass(frozen=True, slots=True)
class PredictRequest:
    """One item to score: a stored item (``item_id`` or ``external_id``) or a new ``payload``."""

    item_id: int | None = None
    external_id: str | None = None
    payload: Mapping[str, Any] | None = None


def _transient(project: Project, payload: Mapping[str, Any]) -> Item:
    """A payload sent for prediction, shaped as an item (never stored)."""
    return Item(
        id=ItemId(0),
        project_id=project.id,
        external_id="",
        payload=payload,
        content_hash="",
        status=ItemStatus.OPEN,
        priority=0.0,
        gold=None,
        n_labels=0,
        created_at=datetime.now(UTC),
    )


def _resolve(uow: UnitOfWork, project: Project, requests: Sequence[PredictRequest]) -> list[Item]:
    by_external = {r.external_id for r in requests if r.external_id is not None}
    found = uow.training.item_ids_by_external(project.id, sorted(by_external))
    out = []
    for n, r in enumerate(requests):
        given = [x is not None for x in (r.item_id, r.external_id, r.payload)]
        if sum(given) != 1:
            raise InvalidInput(
                f"item {n}: give exactly one of item_id, external_id, payload",
                details={"field": f"items.{n}", "index": n},
            )
        if r.payload is not None:
            out.append(_transient(project, r.payload))
            continue
        item_id = r.item_id if r.item_id is not None else found.get(str(r.external_id))
        item = None if item_id is None else uow.items.get_many([ItemId(item_id)])
        if not item or item[0].project_id != project.id:
            raise ItemNotFound(
                f"item {n} ({r.item_id or r.external_id!r}) is not in project {project.id}",
                details={"field": f"items.{n}", "index": n},
            )
        out.append(item[0])
    return out


def predict(
    uows: Callable[[], UnitOfWork],
    toolkit: AiToolkit,
    *,
    actor: Actor,
    model_id: int,
    requests: Sequence[PredictRequest],
) -> list[Prediction]:
    """Score a batch with a trained model; item id 0 marks a payload that is not stored.

    Raises:
        BatchTooLarge: more than ``MAX_BATCH`` items. InvalidInput: an empty batch or an entry
        without exactly one of its fields. ItemNotFound: an id not in the model's project.
        ModelFileInvalid: the stored weights do not load.
    """
    if not requests:
        raise InvalidInput("the batch is empty", details={"field": "items"})
    if len(requests) > MAX_BATCH:
        raise BatchTooLarge(
            f"{len(requests)} items in one request; at most {MAX_BATCH}",
            details={"field": "items", "limit": MAX_BATCH},
        )
    model = get_model(uows, actor=actor, model_id=model_id)
    head = _head(toolkit, model)
    with uows().reading() as uow:
        project = uow.projects.get(model.project_id)
        items = _resolve(uow, project, requests)
    features, _, _ = page_features(uows, toolkit.embedder(model.embedder), project, items)
    return _predictions(model, [it.id for it in items], head.predict_proba(features))


def _predictions(model: TrainedModel, item_ids: Sequence[ItemId], probas: Any) -> list[Prediction]:
    labels = model.labels
    best = probas.argmax(axis=1)
    return [
        Prediction(
            item_id=item_id,
            model_version=model.version,
            value=labels[int(b)],
            confidence=round(float(row[b]), 6),
            probas={lab: round(float(p), 6) for lab, p in zip(labels, row, strict=True)},
        )
        for item_id, row, b in zip(item_ids, probas, best, strict=True)
    ]


def _metadata(model: TrainedModel) -> dict[str, Any]:
    template = str(model.params.get("template", ""))
    return {
        "format": "shoplabel-linear-head/1",
        "model_id": model.id,
        "project_id": model.project_id,
        "version": model.version,
        "labels": model.labels,
        "embedder": model.embedder,
        "template": template,
        "features": "pair" if template in PAIR_TEMPLATES else "embedding",
        "label_source": model.label_source.value,
        "snapshot_hash": model.snapshot_hash,
        "params": dict(model.params),
        "metrics": dict(model.metrics),
        "created_at": model.created_at.isoformat(),
    }


def export_files(toolkit: AiToolkit, model: TrainedModel) -> dict[str, bytes]:
    """``model.npz`` and ``model.json`` of a (loadable) trained model, and for a fine-tuned
    model its encoder's files under ``encoder/``."""
    head = _head(toolkit, model)
    buf = io.BytesIO()
    w = {k: np.asarray(v, dtype=np.float64) for k, v in head.to_dict().items()}
    np.savez(buf, coef=w["coef"], intercept=w["intercept"], mean=w["mean"], scale=w["scale"])
    meta = _metadata(model)
    encoder: dict[str, bytes] = {}
    if model.model_type is ModelType.FINETUNE:
        encoder = {f"encoder/{k}": v for k, v in toolkit.encoder_files(model.embedder).items()}
        meta["encoder"] = "encoder/"
    text = json.dumps(meta, ensure_ascii=False, indent=2).encode()
    return {"model.npz": buf.getvalue(), "model.json": text, **encoder}


def load_export(toolkit: AiToolkit, files: Mapping[str, bytes]) -> tuple[Head, dict[str, Any]]:
    """Load exported files back (what a search team does); ``model_file_invalid`` if broken."""
    try:
        meta = json.loads(files["model.json"])
        with np.load(io.BytesIO(files["model.npz"])) as npz:
            weights = {k: npz[k].tolist() for k in _ARRAYS}
        labels = [str(v) for v in meta["labels"]]
    except (KeyError, ValueError, OSError, TypeError) as e:
        raise ModelFileInvalid(f"exported model does not load: {e!s}") from None
    stub = TrainedModel(
        id=int(meta.get("model_id", 0)),
        project_id=ProjectId(int(meta.get("project_id", 0))),
        version=int(meta.get("version", 0)),
        model_type=ModelType.HEAD,
        label_source=_label_source(meta),
        embedder=str(meta.get("embedder", "")),
        snapshot_hash=str(meta.get("snapshot_hash", "")),
        params={"labels": labels},
        weights=weights,
        metrics={},
        promoted_version=None,
        created_by=None,
        created_at=datetime.now(UTC),
    )
    return _head(toolkit, stub), meta


def _label_source(meta: Mapping[str, Any]) -> LabelSource:
    try:
        return LabelSource(str(meta.get("label_source", "soft")))
    except ValueError:
        raise ModelFileInvalid("exported model has an unknown label_source") from None


def promote(
    uows: Callable[[], UnitOfWork],
    toolkit: AiToolkit,
    *,
    actor: Actor,
    model_id: int,
    progress: Progress | None = None,
) -> int:
    """Make a trained model the project's pre-labeller: store it as the next model version
    and write its prediction of every item (and model labels per ``ai.model_labels``).
    Returns the new pre-labeller version."""
    model = get_model(uows, actor=actor, model_id=model_id)
    head = _head(toolkit, model)
    project = managed_project(uows, actor, model.project_id)
    if list(project.schema.label_values) != model.labels:
        raise ModelFileInvalid(
            f"model {model.id} labels {model.labels} no longer match the project's schema",
            details={"model_id": model.id},
        )
    ai = parse_ai_settings(project.settings.ai)
    embedder = toolkit.embedder(model.embedder)
    with uows() as uow:
        worker = model_worker(uow, project) if ai.model_labels is ModelLabelMode.ANNOTATE else None
        version = uow.ai.add_version(
            project.id,
            kind=ModelKind.SUPERVISED,
            embedder=model.embedder,
            params=head.to_dict(),
            metrics={"promoted_from": model.id, "trained_version": model.version, **model.metrics},
            threshold=None,
            worker_id=worker,
        )
        uow.training.set_promoted(model.id, version.version)
        uow.commit()
    done = 0
    for page in item_pages(uows, project.id):
        features, _, _ = page_features(uows, embedder, project, page)
        tagged = _predictions(model, [it.id for it in page], head.predict_proba(features))
        preds = [
            Prediction(p.item_id, version.version, p.value, p.confidence, p.probas) for p in tagged
        ]
        with uows() as uow:
            write_page(uow, project, page, preds, ai=ai, worker_id=worker, features=features)
            uow.commit()
        done += len(page)
        if progress is not None:
            progress(done, max(project.counters.n_items, done))
    return version.version
