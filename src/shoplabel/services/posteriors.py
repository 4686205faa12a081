"""Online posteriors: every submit updates its item's posterior and consensus in O(labels).

The latest aggregation run stores its fitted worker model (``worker_models`` table). A submit
reads the model's version (a primary-key read), decodes the model only when its cached copy is
stale, scores the item's labels with :func:`shoplabel.inference.item_posterior`, writes the
item's consensus row and returns the max probability, which the overlap rule uses to close
items under ``dynamic`` overlap. Before the first aggregation run a prior model is used: every
worker right with probability :data:`PRIOR_SKILL`, uniform class priors.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.items import Item
from shoplabel.domain.ports import ConsensusWrite, UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.scheduling import get_policy
from shoplabel.inference import AggregationResult, WorkerModel, item_posterior
from shoplabel.quality import LinearRouter, uncertainty_first_scores

__all__ = [
    "PRIOR_SKILL",
    "Fitted",
    "current_model",
    "model_from_json",
    "model_to_json",
    "online_confidence",
    "reweight_worker",
    "store_model",
]

#: Accuracy assumed for every worker before any aggregation run.
PRIOR_SKILL = 0.7
_CACHE_SIZE = 64


def model_to_json(model: WorkerModel) -> dict[str, Any]:
    return {
        "labels": list(model.labels),
        "log_priors": model.log_priors.tolist(),
        "worker_ids": list(model.worker_ids),
        "log_confusion": model.log_confusion.round(6).tolist(),
        "fallback": model.fallback.tolist(),
    }


def model_from_json(raw: Mapping[str, Any]) -> WorkerModel:
    n = len(raw["labels"])
    return WorkerModel(
        labels=tuple(raw["labels"]),
        log_priors=np.asarray(raw["log_priors"], dtype=np.float64),
        worker_ids=tuple(raw["worker_ids"]),
        log_confusion=np.asarray(raw["log_confusion"], dtype=np.float64).reshape(-1, n, n),
        fallback=np.asarray(raw["fallback"], dtype=np.float64),
    )


@lru_cache(maxsize=_CACHE_SIZE)
def prior_model(labels: tuple[str, ...]) -> WorkerModel:
    """The model used before any fit (cached per label set: it was rebuilt on every submit;
    its arrays are read-only because the cached copy is shared)."""
    n = len(labels)
    off = (1.0 - PRIOR_SKILL) / max(n - 1, 1)
    confusion = np.full((n, n), off) + np.eye(n) * (PRIOR_SKILL - off)
    arrays = (np.full(n, -np.log(n)), np.zeros((0, n, n)), np.log(confusion))
    for a in arrays:
        a.setflags(write=False)
    return WorkerModel(
        labels=labels,
        log_priors=arrays[0],
        worker_ids=(),
        log_confusion=arrays[1],
        fallback=arrays[2],
    )


def store_model(
    uow: UnitOfWork,
    project_id: ProjectId,
    result: AggregationResult,
    *,
    router: LinearRouter | None = None,
    weights: Mapping[UserId, float] | None = None,
) -> int:
    """Save a fit's worker model (and the learned router, if any) as the project's current
    one, inside the caller's transaction. ``weights`` are the down-weighted workers' label
    weights; the model is tempered by them when it is loaded."""
    raw = model_to_json(WorkerModel.from_result(result))
    if router is not None:
        raw["router"] = router.to_dict()
    if weights:
        raw["weights"] = {str(w): float(v) for w, v in weights.items()}
    return uow.worker_models.put(project_id, method=result.method, model=raw)


def reweight_worker(uow: UnitOfWork, project: Project, worker_id: UserId, weight: float) -> None:
    """Store a new version of the project's current model with ``worker_id``'s labels at
    ``weight``, so online posteriors use it from the next label on (inside the caller's
    transaction; a down-weighting is rare, so rewriting the model is cheap overall)."""
    stored = uow.worker_models.get(project.id)
    if stored is None:
        method, raw = "prior", model_to_json(prior_model(project.schema.label_values))
    else:
        method, raw = stored[1], dict(stored[2])
    raw["weights"] = {**raw.get("weights", {}), str(worker_id): float(weight)}
    uow.worker_models.put(project.id, method=method, model=raw)


@dataclass(frozen=True, slots=True)
class Fitted:
    """A project's current fitted worker model and learned router (if trained)."""

    method: str
    model: WorkerModel
    router: LinearRouter | None


def current_model(uow: UnitOfWork, project: Project) -> Fitted:
    """The project's latest fit (the prior model before the first aggregation run)."""
    return _MODELS.fitted(uow, project)


class _ModelCache:
    """Decoded worker models per project, keyed by version; bounded, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Keyed by project id *and* creation time: two databases in one process (tests, the
        # replay simulator's scratch databases) reuse project ids and model versions.
        self._models: dict[tuple[ProjectId, datetime], tuple[int, Fitted]] = {}

    def fitted(self, uow: UnitOfWork, project: Project) -> Fitted:
        version = uow.worker_models.version(project.id)
        if version is None:
            return Fitted("prior", prior_model(project.schema.label_values), None)
        key = (project.id, project.created_at)
        with self._lock:
            hit = self._models.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        stored = uow.worker_models.get(project.id)
        assert stored is not None
        raw = stored[2]
        router = LinearRouter.from_dict(raw["router"]) if raw.get("router") else None
        model = model_from_json(raw).tempered(raw.get("weights", {}))
        entry = (stored[0], Fitted(stored[1], model, router))
        with self._lock:
            if len(self._models) >= _CACHE_SIZE:
                self._models.pop(next(iter(self._models)))
            self._models[key] = entry
        return entry[1]

    def model(self, uow: UnitOfWork, project: Project) -> tuple[str, WorkerModel]:
        f = self.fitted(uow, project)
        return f.method, f.model


_MODELS = _ModelCache()


def online_confidence(uow: UnitOfWork, project: Project, item: Item) -> float | None:
    """Update ``item``'s posterior and consensus from all its valid labels; return the max
    probability (``None`` for schemas that are not single-choice)."""
    if not project.schema.is_categorical:
        return None
    method, model = _MODELS.model(uow, project)
    if model.labels != project.schema.label_values:
        model = prior_model(project.schema.label_values)  # schema changed since the fit
    position = {label: k for k, label in enumerate(model.labels)}
    labels = [a for a in uow.annotations.list_for_item(item.id) if a.status.value == "valid"]
    posterior = item_posterior(
        model, [str(a.worker_id) for a in labels], [position[str(a.value)] for a in labels]
    )
    best = int(posterior.argmax())
    confidence = float(posterior[best])
    if get_policy(project.settings.assignment_policy).scores_priority:
        score = uncertainty_first_scores(
            posterior[None, :],
            [len(labels)],
            max_overlap=project.settings.max_overlap,
            target_confidence=project.settings.target_confidence,
        )
        uow.items.set_priority(item.id, float(score[0]))
    uow.consensus.upsert_many(
        project.id,
        [
            ConsensusWrite(
                item_id=item.id,
                value=model.labels[best],
                confidence=confidence,
                probas={
                    lab: round(float(p), 6) for lab, p in zip(model.labels, posterior, strict=True)
                },
                method=f"online/{method}",
                n_labels=len(labels),
            )
        ],
        now=uow.now(),
    )
    return confidence
