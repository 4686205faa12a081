"""Review queue and review decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shoplabel.domain.annotations import AnnotationSource
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.reviews import ReviewDecision, ReviewOutcome, ReviewRecord
from shoplabel.services.review import (
    MAX_REASON,
    ReviewItem,
    ReviewLabel,
    ReviewQueue,
    ReviewResult,
)

__all__ = [
    "ReviewCreate",
    "ReviewDecisionRead",
    "ReviewItemRead",
    "ReviewLabelRead",
    "ReviewPage",
    "ReviewResultRead",
]


class ReviewCreate(BaseModel):
    decision: ReviewDecision
    value: Any = Field(default=None, description="The corrected label (`correct` only).")
    reason: str = Field(
        default="", max_length=MAX_REASON, description="Required for correct and reject."
    )
    stage: int | None = Field(
        default=None, ge=0, description="The stage you reviewed; refused if the item moved on."
    )


class ReviewLabelRead(BaseModel):
    annotation_id: int
    worker_id: int
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

    @classmethod
    def from_domain(cls, v: ReviewLabel) -> ReviewLabelRead:
        return cls(
            annotation_id=v.annotation_id,
            worker_id=v.worker_id,
            worker_name=v.worker_name,
            value=v.value,
            source=v.source,
            duration_ms=v.duration_ms,
            created_at=v.created_at,
            model_accuracy=v.model_accuracy,
            gold_accuracy=v.gold_accuracy,
            n_gold=v.n_gold,
            n_reviewed=v.n_reviewed,
            n_review_agree=v.n_review_agree,
        )


class ReviewDecisionRead(BaseModel):
    id: int
    item_id: int
    reviewer_id: int
    stage: int
    decision: ReviewDecision
    value: Any
    reason: str
    created_at: datetime

    @classmethod
    def from_domain(cls, r: ReviewRecord) -> ReviewDecisionRead:
        return cls(
            id=r.id,
            item_id=r.item_id,
            reviewer_id=r.reviewer_id,
            stage=r.stage,
            decision=r.decision,
            value=r.value,
            reason=r.reason,
            created_at=r.created_at,
        )


class ReviewItemRead(BaseModel):
    """An item waiting for review; ``gold`` is only filled for the project's managers."""

    item_id: int
    project_id: int
    external_id: str
    payload: dict[str, Any]
    gold: Any
    stage: int
    stage_name: str
    proposal: Any
    consensus: Any
    confidence: float | None
    probas: dict[str, float] | None
    labels: list[ReviewLabelRead]
    history: list[ReviewDecisionRead]

    @classmethod
    def from_domain(cls, v: ReviewItem) -> ReviewItemRead:
        return cls(
            item_id=v.item_id,
            project_id=v.project_id,
            external_id=v.external_id,
            payload=v.payload,
            gold=v.gold,
            stage=v.stage,
            stage_name=v.stage_name,
            proposal=v.proposal,
            consensus=v.consensus,
            confidence=v.confidence,
            probas=v.probas,
            labels=[ReviewLabelRead.from_domain(a) for a in v.labels],
            history=[ReviewDecisionRead.from_domain(r) for r in v.history],
        )


class ReviewPage(BaseModel):
    project_id: int
    stages: list[str]
    n_review: int
    items: list[ReviewItemRead]
    next_after_id: int | None

    @classmethod
    def from_domain(cls, q: ReviewQueue) -> ReviewPage:
        return cls(
            project_id=q.project_id,
            stages=list(q.stages),
            n_review=q.n_review,
            items=[ReviewItemRead.from_domain(i) for i in q.items],
            next_after_id=q.next_after_id,
        )


class ReviewResultRead(BaseModel):
    decision: ReviewDecisionRead
    outcome: ReviewOutcome
    status: ItemStatus
    stage: int
    final_value: Any
    n_rejected_labels: int

    @classmethod
    def from_domain(cls, r: ReviewResult) -> ReviewResultRead:
        return cls(
            decision=ReviewDecisionRead.from_domain(r.record),
            outcome=r.outcome,
            status=r.status,
            stage=r.stage,
            final_value=r.final_value,
            n_rejected_labels=r.n_rejected_labels,
        )
