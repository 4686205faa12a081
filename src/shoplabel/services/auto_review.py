"""Automatic review: cleanlab flags likely wrong consensus labels into the review queue,
with a reason.

Completed items whose consensus came from people (not auto-labels, not gold, not already
decided by a reviewer) are scored against the latest pre-labelling run's predictions, which
are out-of-sample (a training item keeps its out-of-fold prediction). Confident learning
(``cleanlab.filter.find_label_issues``, ranked by self-confidence) picks the labels that are
likely wrong; each such item moves from ``done`` to ``review`` and a ``review_flags`` row
says why (the label, its quality score, the model's suggestion).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from shoplabel.domain.ai import ReviewFlag
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput
from shoplabel.services.ai_toolkit import AiToolkit
from shoplabel.services.embeddings import item_pages, managed_project
from shoplabel.services.prelabel_training import AUTO_METHOD_PREFIX

__all__ = ["MIN_ITEMS", "AutoReviewReport", "flag_label_issues", "list_flags"]

#: Fewer completed items than this give cleanlab too little to estimate its thresholds.
MIN_ITEMS = 20


@dataclass(frozen=True, slots=True)
class AutoReviewReport:
    n_scored: int
    n_flagged: int
    flags: tuple[ReviewFlag, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_scored": self.n_scored,
            "n_flagged": self.n_flagged,
            "flags": [
                {
                    "item_id": f.item_id,
                    "value": f.value,
                    "suggested": f.suggested,
                    "quality": round(f.quality, 4),
                    "reason": f.reason,
                }
                for f in self.flags[:100]
            ],
        }


def _scored(
    uows: Callable[[], UnitOfWork], project: Project
) -> tuple[list[ItemId], list[int], list[list[float]]]:
    labels = project.schema.label_values
    position = {lab: k for k, lab in enumerate(labels)}
    ids: list[ItemId] = []
    y: list[int] = []
    probas: list[list[float]] = []
    with uows().reading() as uow:
        reviewed = uow.consensus.reviewed_item_ids(project.id)
    for page in item_pages(uows, project.id):
        done = [
            it.id
            for it in page
            if it.status is ItemStatus.DONE and it.gold is None and it.id not in reviewed
        ]
        with uows().reading() as uow:
            consensus = uow.consensus.get_many(done)
            preds = uow.ai.predictions(done)
        for item_id in done:
            c, p = consensus.get(item_id), preds.get(item_id)
            if c is None or p is None or c.method.startswith(AUTO_METHOD_PREFIX):
                continue
            if str(c.value) not in position:
                continue
            ids.append(item_id)
            y.append(position[str(c.value)])
            probas.append([float(p.probas.get(lab, 0.0)) for lab in labels])
    return ids, y, probas


def _reason(value: str, suggested: str, quality: float, p: float) -> str:
    return (
        f"automatic review (cleanlab): the consensus '{value}' has label quality "
        f"{quality:.2f}; the model answers '{suggested}' with probability {p:.0%}"
    )


def flag_label_issues(
    uows: Callable[[], UnitOfWork],
    toolkit: AiToolkit,
    *,
    actor: Actor,
    project_id: ProjectId,
    max_flags: int = 1000,
) -> AutoReviewReport:
    """Send the likely wrong consensus labels to review (at most ``max_flags``).

    Raises:
        InvalidInput: a non-choice schema, or fewer than :data:`MIN_ITEMS` scorable items
            (run ``prelabel`` after some items are complete).
        ModelUnavailable: cleanlab is not installed.
    """
    project = managed_project(uows, actor, project_id)
    if not project.schema.is_categorical:
        raise InvalidInput(
            f"project {project_id} has a {project.schema.kind.value} schema; automatic "
            "review checks single-choice labels",
            details={"field": "schema"},
        )
    ids, y, probas = _scored(uows, project)
    if len(ids) < MIN_ITEMS:
        raise InvalidInput(
            f"{len(ids)} completed items have a prediction, {MIN_ITEMS} needed; "
            "run prelabel after more items are complete",
            details={"field": "project_id"},
        )
    p = np.asarray(probas, dtype=np.float64)
    issues = toolkit.label_issues(np.asarray(y, dtype=np.intp), p)
    labels = project.schema.label_values
    flags = []
    for k in issues.indices[:max_flags]:
        best = int(p[k].argmax())
        flags.append(
            ReviewFlag(
                item_id=ids[k],
                value=labels[y[k]],
                suggested=labels[best],
                quality=float(issues.quality[k]),
                reason=_reason(labels[y[k]], labels[best], float(issues.quality[k]), p[k, best]),
            )
        )
    return AutoReviewReport(len(ids), _send_to_review(uows, project, flags), tuple(flags))


def _send_to_review(
    uows: Callable[[], UnitOfWork], project: Project, flags: list[ReviewFlag]
) -> int:
    with uows() as uow:
        still_done = {
            it.id
            for it in uow.items.get_many([f.item_id for f in flags])
            if it.status is ItemStatus.DONE
        }
        for item_id in still_done:
            uow.items.set_status(item_id, ItemStatus.REVIEW)
        uow.ai.add_review_flags(project.id, [f for f in flags if f.item_id in still_done])
        if still_done:
            uow.projects.add_counters(project.id, n_done=-len(still_done), n_review=len(still_done))
        uow.commit()
    return len(still_done)


def list_flags(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor,
    project_id: ProjectId,
    after_id: int = 0,
    limit: int = 100,
) -> list[ReviewFlag]:
    """Why automatic review sent items to review, by item id (managers only)."""
    managed_project(uows, actor, project_id)
    with uows().reading() as uow:
        return uow.ai.review_flags(project_id, after_id=after_id, limit=limit)
