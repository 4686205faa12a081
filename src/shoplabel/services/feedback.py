"""Feedback from production: a search or recommendation system reports a signal about one
item's model output, and the item goes back to people.

A negative signal (irrelevant, wrong category / label, not clicked) raises the item's
priority by :func:`~shoplabel.domain.training.feedback_weight` (double when the model's
output disagrees with the human consensus); a completed item is sent to the review queue
with the feedback as the stated reason, an open item is simply labelled sooner. Positive
signals (clicked, confirmed) are recorded only. Every signal counts on the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shoplabel.domain.ai import ReviewFlag
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.training import (
    NEGATIVE_SIGNALS,
    Feedback,
    FeedbackSignal,
    feedback_weight,
)
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput, ItemNotFound, ModelNotFound
from shoplabel.services.projects import visible_project

__all__ = [
    "FeedbackInput",
    "FeedbackSummary",
    "feedback_summary",
    "submit_feedback",
]

MAX_COMMENT = 2000


@dataclass(frozen=True, slots=True)
class FeedbackInput:
    """One signal: the item (``item_id`` or ``external_id``), optionally the trained model
    and its output (``value``), the signal and a comment."""

    signal: FeedbackSignal
    item_id: int | None = None
    external_id: str | None = None
    model_id: int | None = None
    value: str | None = None
    comment: str = ""


def _item(uow: UnitOfWork, project_id: ProjectId, body: FeedbackInput) -> Item:
    if (body.item_id is None) == (body.external_id is None):
        raise InvalidInput("give exactly one of item_id, external_id", details={"field": "item_id"})
    item_id: ItemId | None = None if body.item_id is None else ItemId(body.item_id)
    if body.external_id is not None:
        item_id = uow.training.item_ids_by_external(project_id, [body.external_id]).get(
            body.external_id
        )
    found = [] if item_id is None else uow.items.get_many([item_id])
    if not found or found[0].project_id != project_id:
        raise ItemNotFound(
            f"item {body.item_id or body.external_id!r} is not in project {project_id}",
            details={"field": "item_id" if body.item_id is not None else "external_id"},
        )
    return found[0]


def _model_value(
    uow: UnitOfWork, project_id: ProjectId, item: Item, body: FeedbackInput
) -> str | None:
    if body.model_id is not None:
        try:
            model = uow.training.get_model(body.model_id)
        except ModelNotFound:
            model = None
        if model is None or model.project_id != project_id:
            raise ModelNotFound(
                f"model {body.model_id} is not a model of project {project_id}",
                details={"field": "model_id"},
            )
    if body.value is not None:
        return body.value
    prediction = uow.ai.predictions([item.id]).get(item.id)
    return None if prediction is None else prediction.value


def submit_feedback(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, body: FeedbackInput
) -> Feedback:
    """Record a signal and send the item back to people (see the module docstring).

    Raises:
        InvalidInput: neither or both of item_id / external_id, a comment too long.
        ItemNotFound, ModelNotFound: not in this project.
    """
    if len(body.comment) > MAX_COMMENT:
        raise InvalidInput(
            f"comment longer than {MAX_COMMENT} characters", details={"field": "comment"}
        )
    with uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"send feedback to project {project_id}")
        item = _item(uow, project.id, body)
        value = _model_value(uow, project.id, item, body)
        consensus = uow.consensus.get_many([item.id]).get(item.id)
        human = None if consensus is None else str(consensus.value)
        disagrees = value is not None and human is not None and value != human
        feedback = uow.training.add_feedback(
            project.id,
            item_id=item.id,
            model_id=body.model_id,
            signal=body.signal,
            comment=body.comment,
            model_value=value,
            disagrees=disagrees,
            created_by=actor.user_id,
        )
        if body.signal in NEGATIVE_SIGNALS:
            weight = feedback_weight(body.signal, disagrees=disagrees)
            uow.items.set_priority(item.id, item.priority + weight)
            if item.status is ItemStatus.DONE:
                uow.items.set_status(item.id, ItemStatus.REVIEW)
                uow.projects.add_counters(project.id, n_done=-1, n_review=1)
            if item.status is not ItemStatus.OPEN:
                reason = f"production feedback: {body.signal.value}"
                flag = ReviewFlag(
                    item_id=item.id,
                    value=human or "",
                    suggested=value or "",
                    quality=0.0 if disagrees else 0.5,
                    reason=f"{reason}: {body.comment}" if body.comment else reason,
                )
                uow.ai.add_review_flags(project.id, [flag])
        uow.commit()
    return feedback


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    counts: dict[str, int]
    n_disagree: int
    recent: list[Feedback]


def feedback_summary(
    uows: Callable[[], UnitOfWork], *, actor: Actor, project_id: ProjectId, limit: int = 20
) -> FeedbackSummary:
    """Signals received per kind and the newest ones (the dashboard's feedback panel)."""
    with uows().reading() as uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"read feedback of project {project_id}")
        counts = uow.training.feedback_counts(project_id)
        return FeedbackSummary(
            counts=dict(counts.by_signal),
            n_disagree=counts.n_disagree,
            recent=uow.training.list_feedback(project_id, before_id=None, limit=limit),
        )
