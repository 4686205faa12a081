"""Models are annotators: the pre-labeller's confident answers become the labels of a model
worker account, which truth inference scores like any worker's.

With ``ai.model_labels = "annotate"``, a prediction at least ``ai.model_min_confidence``
sure on an open item is stored as an annotation (``source = model``) that takes one overlap
slot (the same conditional claim a human lease makes, so the quota holds). The completion
rule is the project's own (``domain.items.status_after_label``, run when humans label):
the item's posterior counts the model's label with the confusion the latest aggregation
run learned for the model worker. A model label never completes an item by itself; only a
calibrated auto-label does (``services.autolabel``). A newer version replaces the model
worker's answer in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from shoplabel.domain.ai import AiSettings, ModelLabelMode, Prediction, model_username
from shoplabel.domain.annotations import AnnotationSource, NewAnnotation
from shoplabel.domain.ids import UserId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.scheduling import get_policy
from shoplabel.domain.users import Role
from shoplabel.services import worker_quality
from shoplabel.services.active_learning import priorities
from shoplabel.services.auth import LOCKED_PASSWORD

__all__ = ["add_model_label", "model_worker", "write_page"]


def model_worker(uow: UnitOfWork, project: Project, *, kind: str = "prelabel") -> UserId:
    """The project's model worker account, created on first use (it cannot log in)."""
    name = model_username(project.id, kind=kind)
    user = uow.users.find_by_username(name)
    if user is None:
        user = uow.users.add(
            username=name,
            role=Role.WORKER,
            password_hash=LOCKED_PASSWORD,
            display_name=f"Model ({kind}) of project {project.id}",
        )
    return user.id


def add_model_label(
    uow: UnitOfWork, project: Project, item: Item, *, worker_id: UserId, value: str
) -> bool:
    """Store or replace the model's label on ``item``; True when a new label was added."""
    if uow.ai.set_model_label(item.id, worker_id, value):
        return False
    return _new_label(uow, project, item, worker_id=worker_id, value=value)


def _new_label(
    uow: UnitOfWork, project: Project, item: Item, *, worker_id: UserId, value: str
) -> bool:
    """Claim a slot and add the model's first label on ``item``; False if no slot is free."""
    if not uow.items.claim(item.id, max_overlap=project.settings.max_overlap):
        return False  # the item's slots are all taken by humans
    uow.annotations.add(
        NewAnnotation(
            item_id=item.id,
            project_id=project.id,
            worker_id=worker_id,
            value=value,
            source=AnnotationSource.MODEL,
        ),
        now=uow.now(),
    )
    uow.items.add_label(item.id, new_slot=False)
    return True


def write_page(
    uow: UnitOfWork,
    project: Project,
    items: Sequence[Item],
    predictions: Sequence[Prediction],
    *,
    ai: AiSettings,
    worker_id: UserId | None,
    features: NDArray[np.float64],
) -> int:
    """Store a page's predictions, the model labels they allow, and (under a priority
    policy) the active-learning priority of unlabelled items; return model labels added."""
    uow.ai.upsert_predictions(project.id, predictions)
    if get_policy(project.settings.assignment_policy).scores_priority:
        probas = np.asarray(
            [[p.probas[lab] for lab in project.schema.label_values] for p in predictions]
        )
        fresh = np.asarray(
            [it.status is ItemStatus.OPEN and it.n_labels == 0 for it in items], dtype=bool
        )
        scores = priorities(probas, features, fresh)
        for item, score, is_fresh in zip(items, scores, fresh, strict=True):
            if is_fresh:
                uow.items.set_priority(item.id, float(score))
    if ai.model_labels is ModelLabelMode.OFF or worker_id is None:
        return 0
    sure = [
        (item, p)
        for item, p in zip(items, predictions, strict=True)
        if p.confidence >= ai.model_min_confidence
        and item.status is ItemStatus.OPEN
        and not worker_quality.is_control(project, item)
    ]
    # One read for the page: most items keep the model's previous answer, which needs no write.
    current = uow.ai.model_labels([item.id for item, _ in sure], worker_id)
    added = 0
    for item, p in sure:
        old = current.get(item.id)
        if old is None:
            added += _new_label(uow, project, item, worker_id=worker_id, value=p.value)
        elif old != p.value:
            uow.ai.set_model_label(item.id, worker_id, p.value)
    if added:
        uow.projects.add_counters(project.id, n_annotations=added)
    return added
