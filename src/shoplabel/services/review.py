"""Multi-round review: the queue of items the crowd could not settle, and the decisions on them.

Items reach review when dynamic overlap hits ``max_overlap`` while the posterior is still below
``target_confidence``. A project's ``review_stages`` (e.g. ``["review", "expert"]``) are walked
in order: an accept or a correction at a stage before the last passes the endorsed label on to
the next stage, the last stage resolves the item (status ``done``, consensus = the decided label
with confidence 1.0 and method ``review``), and a reject at any stage drops the item's labels and
sends it back to the crowd. Every decision is stored with its reason. A resolution counts, for
each labeller of the item, whether their label matched the final one (review evidence, kept
apart from gold accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from shoplabel.domain.ai import ReviewFlag
from shoplabel.domain.annotations import Annotation, AnnotationSource, AnnotationStatus
from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.labels import validate_value
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import ConsensusWrite, UnitOfWork
from shoplabel.domain.projects import AccessMode, Project
from shoplabel.domain.reviews import (
    REVIEW_METHOD,
    ReviewDecision,
    ReviewOutcome,
    ReviewRecord,
    outcome,
)
from shoplabel.domain.users import Actor, Role
from shoplabel.errors import InvalidInput, ItemNotInReview, PermissionDenied
from shoplabel.inference import WorkerModel
from shoplabel.quality import BetaAccuracy
from shoplabel.services import audit
from shoplabel.services.assignment import visible_fields
from shoplabel.services.posteriors import model_from_json
from shoplabel.services.privacy import audience_of, with_views
from shoplabel.services.projects import visible_project

__all__ = [
    "MAX_PAGE",
    "MAX_REASON",
    "ReviewItem",
    "ReviewLabel",
    "ReviewQueue",
    "ReviewResult",
    "decide",
    "review_queue",
]

MAX_REASON = 2000
MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class ReviewLabel:
    """One valid label of an item under review, with what is known of its labeller's skill.

    ``model_accuracy`` is the labeller's accuracy under the project's fitted worker model
    (``None`` before the first aggregation run); ``gold_accuracy`` the Beta posterior mean of
    their gold answers (``None`` without any).
    """

    annotation_id: int
    worker_id: UserId
    worker_name: str
    value: Any
    source: AnnotationSource
    duration_ms: int | None
    created_at: datetime
    model_accuracy: float | None
    gold_accuracy: float | None
    n_gold: int
    n_reviewed: int
    n_review_agree: int


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """An item waiting for review. ``gold`` is only filled for the project's managers, and
    reviewers see the payload reduced to the project's display fields."""

    item_id: ItemId
    project_id: ProjectId
    external_id: str
    payload: dict[str, Any]
    gold: Any
    stage: int
    stage_name: str
    proposal: Any
    consensus: Any
    confidence: float | None
    probas: dict[str, float] | None
    labels: tuple[ReviewLabel, ...]
    history: tuple[ReviewRecord, ...]
    #: Why automatic review (cleanlab) sent the item here, while the consensus it doubted
    #: is still the item's consensus.
    flag: ReviewFlag | None = None


@dataclass(frozen=True, slots=True)
class ReviewQueue:
    project_id: ProjectId
    stages: tuple[str, ...]
    n_review: int
    items: tuple[ReviewItem, ...]
    next_after_id: int | None


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """What a decision did: the item's new status and stage, and the label it settled on."""

    record: ReviewRecord
    outcome: ReviewOutcome
    status: ItemStatus
    stage: int
    final_value: Any
    n_rejected_labels: int


def _require_reviewer(uow: UnitOfWork, actor: Actor, project: Project) -> None:
    """Reviewers who may work on the project, and its managers."""
    if can_manage_project(actor, project):
        return
    member = project.settings.access is AccessMode.MEMBERS and uow.projects.is_member(
        project.id, actor.user_id
    )
    allowed = actor.role is Role.REVIEWER and (project.settings.access is AccessMode.OPEN or member)
    require(allowed, f"review items of project {project.id} (reviewers and managers only)")


def _valid(rows: list[Annotation]) -> list[Annotation]:
    return [a for a in rows if a.status is AnnotationStatus.VALID]


def _model(uow: UnitOfWork, project: Project) -> WorkerModel | None:
    stored = uow.worker_models.get(project.id)
    if stored is None:
        return None
    model = model_from_json(stored[2])
    return model if model.labels == project.schema.label_values else None


def _model_accuracy(model: WorkerModel | None, worker_id: UserId) -> float | None:
    """``sum_c P(c) P(answer c | truth c)``: the chance the worker labels a random item right."""
    if model is None:
        return None
    diag = np.exp(np.diag(model.worker_log_confusion(str(worker_id))))
    return round(float(np.exp(model.log_priors) @ diag), 6)


def _labels(
    uow: UnitOfWork, project: Project, by_item: dict[ItemId, list[Annotation]]
) -> dict[ItemId, tuple[ReviewLabel, ...]]:
    worker_ids = sorted({a.worker_id for rows in by_item.values() for a in rows})
    users = uow.users.get_many(worker_ids)
    states = {w: uow.workers.get(project.id, w) for w in worker_ids}
    review_stats = uow.reviews.stats(project.id, worker_ids)
    model = _model(uow, project)

    def view(a: Annotation) -> ReviewLabel:
        s = states[a.worker_id]
        n_reviewed, n_agree = review_stats.get(a.worker_id, (0, 0))
        gold = BetaAccuracy.from_counts(s.gold_credit, s.n_gold - s.gold_credit).mean
        user = users.get(a.worker_id)
        return ReviewLabel(
            annotation_id=a.id,
            worker_id=a.worker_id,
            worker_name=(user.display_name or user.username) if user else str(a.worker_id),
            value=a.value,
            source=a.source,
            duration_ms=a.duration_ms,
            created_at=a.created_at,
            model_accuracy=_model_accuracy(model, a.worker_id),
            gold_accuracy=round(gold, 6) if s.n_gold else None,
            n_gold=s.n_gold,
            n_reviewed=n_reviewed,
            n_review_agree=n_agree,
        )

    return {i: tuple(view(a) for a in rows) for i, rows in by_item.items()}


def _proposal(stage: int, consensus: ConsensusWrite | None, history: list[ReviewRecord]) -> Any:
    """The label an accept endorses: the consensus at the first stage, afterwards the label
    the previous stage passed on (the latest decision moved the item to this stage)."""
    if stage > 0 and history:
        return history[-1].value
    return None if consensus is None else consensus.value


def _stage_name(project: Project, stage: int) -> str:
    stages = project.settings.review_stages
    return stages[min(stage, len(stages) - 1)]


def _current_flag(flag: ReviewFlag | None, consensus: ConsensusWrite | None) -> ReviewFlag | None:
    """The flag, if the consensus it doubted is still the item's (a later decision or run
    that changed the label makes it stale)."""
    if flag is None or consensus is None or str(consensus.value) != flag.value:
        return None
    return flag


def _item_view(
    project: Project,
    item: Item,
    stage: int,
    *,
    manager: bool,
    consensus: ConsensusWrite | None,
    labels: tuple[ReviewLabel, ...],
    history: list[ReviewRecord],
) -> ReviewItem:
    return ReviewItem(
        item_id=item.id,
        project_id=item.project_id,
        external_id=item.external_id,
        payload=dict(item.payload) if manager else visible_fields(project, item),
        gold=item.gold if manager else None,
        stage=stage,
        stage_name=_stage_name(project, stage),
        proposal=_proposal(stage, consensus, history),
        consensus=None if consensus is None else consensus.value,
        confidence=None if consensus is None else consensus.confidence,
        probas=None if consensus is None or consensus.probas is None else dict(consensus.probas),
        labels=labels,
        history=tuple(history),
    )


def review_queue(
    uow: UnitOfWork,
    *,
    actor: Actor,
    project_id: ProjectId,
    after_id: int = 0,
    limit: int = 20,
    stage: int | None = None,
) -> ReviewQueue:
    """Items waiting for review by id after ``after_id`` (keyset paging), optionally only
    those at ``stage``, with their labels, labellers' skills, consensus and review history.

    Raises:
        ProjectNotFound: no such project, or not visible to ``actor``.
        PermissionDenied: ``actor`` is neither a reviewer who may work here nor a manager.
    """
    limit = max(1, min(limit, MAX_PAGE))
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        _require_reviewer(uow, actor, project)
        rows = uow.reviews.queue(project_id, after_id=after_id, limit=limit, stage=stage)
        seen = with_views(uow, [item for item, _ in rows], audience_of(actor, project))
        rows = [(item, st) for item, (_, st) in zip(seen, rows, strict=True)]
        ids = [item.id for item, _ in rows]
        by_item = {i: _valid(a) for i, a in uow.annotations.list_for_items(ids).items()}
        consensus = uow.consensus.get_many(ids)
        history = uow.reviews.list_for_items(ids)
        flags = uow.ai.review_flags_for(ids)
        labels = _labels(uow, project, by_item)
    manager = can_manage_project(actor, project)
    views = tuple(
        replace(
            _item_view(
                project,
                item,
                st,
                manager=manager,
                consensus=consensus.get(item.id),
                labels=labels[item.id],
                history=history[item.id],
            ),
            flag=_current_flag(flags.get(item.id), consensus.get(item.id)),
        )
        for item, st in rows
    )
    return ReviewQueue(
        project_id=project_id,
        stages=project.settings.review_stages,
        n_review=project.counters.n_review,
        items=views,
        next_after_id=ids[-1] if ids and len(ids) == limit else None,
    )


def _check_reason(decision: ReviewDecision, reason: str) -> str:
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            f"reason must be at most {MAX_REASON} characters", details={"field": "reason"}
        )
    if decision is not ReviewDecision.ACCEPT and not reason:
        raise InvalidInput(
            f"a {decision.value} decision needs a reason", details={"field": "reason"}
        )
    return reason


def _endorsed(
    uow: UnitOfWork,
    project: Project,
    item: Item,
    *,
    decision: ReviewDecision,
    stage: int,
    value: Any,
) -> Any:
    """The label the decision endorses (``None`` for a reject)."""
    if decision is ReviewDecision.REJECT:
        return None
    if decision is ReviewDecision.CORRECT:
        if value is None:
            raise InvalidInput("a correction needs a value", details={"field": "value"})
        validate_value(project.schema, value, payload=item.payload)
        return value
    consensus = uow.consensus.get_many([item.id]).get(item.id)
    proposal = _proposal(stage, consensus, uow.reviews.list_for_items([item.id])[item.id])
    if proposal is None:
        raise InvalidInput(
            f"item {item.id} has no proposed label to accept; correct it with a value",
            details={"field": "decision"},
        )
    return proposal


def _load(uow: UnitOfWork, actor: Actor, item_id: ItemId) -> tuple[Project, Item]:
    item = uow.items.get(item_id)
    project = visible_project(uow, actor, item.project_id)
    _require_reviewer(uow, actor, project)
    if item.status is not ItemStatus.REVIEW:
        raise ItemNotInReview(
            f"item {item_id} is {item.status.value}, not waiting for review",
            details={"item_id": item_id, "status": item.status.value},
        )
    return project, item


_TARGET = {
    ReviewOutcome.RESOLVED: ItemStatus.DONE,
    ReviewOutcome.REQUEUED: ItemStatus.OPEN,
    ReviewOutcome.NEXT_STAGE: ItemStatus.REVIEW,
}


def _move(uow: UnitOfWork, item_id: ItemId, *, stage: int, result: ReviewOutcome) -> int:
    """Move the item out of ``stage`` by the outcome; return its new stage.

    The conditional UPDATE is both the guard and the lock: of two decisions racing on one item
    exactly one moves it (the other re-checks under the row lock on PostgreSQL, or waits for
    the write lock on SQLite) and everything read afterwards is stable.
    """
    to_stage = {ReviewOutcome.NEXT_STAGE: stage + 1, ReviewOutcome.REQUEUED: 0}.get(result, stage)
    if not uow.reviews.advance(
        item_id, from_stage=stage, to_stage=to_stage, status=_TARGET[result]
    ):
        raise ItemNotInReview(
            f"item {item_id} is no longer in review at stage {stage} (decided concurrently)",
            details={"item_id": item_id, "stage": stage},
        )
    return to_stage


def _resolve(uow: UnitOfWork, project: Project, item: Item, *, final: Any) -> None:
    labels = _valid(uow.annotations.list_for_item(item.id))
    uow.consensus.upsert_many(
        project.id,
        [
            ConsensusWrite(
                item_id=item.id,
                value=final,
                confidence=1.0,
                probas=None,
                method=REVIEW_METHOD,
                n_labels=len(labels),
            )
        ],
        now=uow.now(),
    )
    uow.reviews.add_evidence(project.id, {a.worker_id: a.value == final for a in labels})
    uow.projects.add_counters(project.id, n_review=-1, n_done=1)


def _requeue(uow: UnitOfWork, project: Project, item: Item) -> int:
    n = uow.reviews.reject_labels(item.id)
    uow.projects.add_counters(project.id, n_review=-1, n_open=1, n_annotations=-n)
    return n


def _check_not_labeller(uow: UnitOfWork, actor: Actor, item_id: ItemId) -> None:
    if any(a.worker_id == actor.user_id for a in _valid(uow.annotations.list_for_item(item_id))):
        raise PermissionDenied(
            f"you labelled item {item_id}; someone else must review it",
            details={"item_id": item_id},
        )


def decide(
    uow: UnitOfWork,
    *,
    actor: Actor,
    item_id: ItemId,
    decision: ReviewDecision,
    value: Any = None,
    reason: str = "",
    stage: int | None = None,
) -> ReviewResult:
    """Record a reviewer's decision on an item in review and move the item accordingly.

    Args:
        uow: Unit of work (one write transaction).
        actor: A reviewer who may work on the project, or one of its managers; never one of
            the item's labellers.
        item_id: The item.
        decision: ``accept`` the proposed label, ``correct`` it with ``value``, or ``reject``
            the labels (the item goes back to the crowd).
        value: The corrected label (``correct`` only), validated against the label schema.
        reason: Why; required for ``correct`` and ``reject``.
        stage: The stage the reviewer saw; when given and the item has moved on, the decision
            is refused instead of being applied to a stage the reviewer did not see.

    Raises:
        ItemNotFound, ProjectNotFound: unknown item, or a project the actor may not see.
        PermissionDenied: not a reviewer or manager here, or a labeller of the item.
        ItemNotInReview: the item is not waiting for review (at ``stage``).
        InvalidInput, InvalidValue: missing reason, missing or invalid value.
    """
    reason = _check_reason(decision, reason)
    with uow:
        project, item = _load(uow, actor, item_id)
        current = uow.reviews.stage_of(item.id) if stage is None else stage
        _check_not_labeller(uow, actor, item.id)
        result = outcome(decision, stage=current, n_stages=len(project.settings.review_stages))
        new_stage = _move(uow, item.id, stage=current, result=result)
        endorsed = _endorsed(uow, project, item, decision=decision, stage=current, value=value)
        n_rejected = _requeue(uow, project, item) if result is ReviewOutcome.REQUEUED else 0
        if result is ReviewOutcome.RESOLVED:
            _resolve(uow, project, item, final=endorsed)
        record = uow.reviews.add(
            project.id,
            item.id,
            reviewer_id=actor.user_id,
            stage=current,
            decision=decision,
            value=endorsed,
            reason=reason,
        )
        audit.record(
            uow,
            AuditKind.REVIEW_DECIDED,
            {
                "project_id": project.id,
                "item_id": item.id,
                "reviewer_id": actor.user_id,
                "stage": current,
                "decision": decision.value,
                "outcome": result.value,
                "reason": reason,
            },
        )
        uow.commit()
    return ReviewResult(
        record=record,
        outcome=result,
        status=_TARGET[result],
        stage=new_stage,
        final_value=endorsed if result is ReviewOutcome.RESOLVED else None,
        n_rejected_labels=n_rejected,
    )
