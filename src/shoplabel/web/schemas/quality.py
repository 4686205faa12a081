"""Quality report and worker pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shoplabel.domain.workers import QualityEvent, WorkerStatus
from shoplabel.services.quality_report import (
    AgreementStats,
    CostPoint,
    QualityReport,
    WorkerPage,
    WorkerQuality,
)

__all__ = [
    "AgreementRead",
    "CostPointRead",
    "QualityEventRead",
    "QualityReportRead",
    "WorkerPageRead",
    "WorkerQualityRead",
]


class QualityEventRead(BaseModel):
    id: int
    rule: str
    actions: list[dict[str, Any]]
    reason: str
    created_at: datetime

    @classmethod
    def from_domain(cls, e: QualityEvent) -> QualityEventRead:
        return cls(
            id=e.id,
            rule=e.rule,
            actions=[dict(a) for a in e.actions],
            reason=e.reason,
            created_at=e.created_at,
        )


class WorkerQualityRead(BaseModel):
    worker_id: int
    worker_name: str
    status: WorkerStatus
    n_labels: int
    n_gold: int
    gold_accuracy: float | None
    gold_lower: float | None
    n_compared: int
    consensus_accuracy: float | None
    n_reviewed: int
    n_review_agree: int
    median_duration_ms: float | None
    fast_fraction: float | None
    events: list[QualityEventRead]

    @classmethod
    def from_domain(cls, w: WorkerQuality) -> WorkerQualityRead:
        return cls(
            worker_id=w.worker_id,
            worker_name=w.worker_name,
            status=w.status,
            n_labels=w.n_labels,
            n_gold=w.n_gold,
            gold_accuracy=w.gold_accuracy,
            gold_lower=w.gold_lower,
            n_compared=w.n_compared,
            consensus_accuracy=w.consensus_accuracy,
            n_reviewed=w.n_reviewed,
            n_review_agree=w.n_review_agree,
            median_duration_ms=w.median_duration_ms,
            fast_fraction=w.fast_fraction,
            events=[QualityEventRead.from_domain(e) for e in w.events],
        )


class AgreementRead(BaseModel):
    alpha: float | None
    level: str
    n_items: int
    n_labels: int
    sampled: bool

    @classmethod
    def from_domain(cls, a: AgreementStats) -> AgreementRead:
        return cls(
            alpha=a.alpha,
            level=a.level,
            n_items=a.n_items,
            n_labels=a.n_labels,
            sampled=a.sampled,
        )


class CostPointRead(BaseModel):
    n_labels: int
    n_items: int
    mean_confidence: float
    cum_items: int
    cum_labels: int
    cum_mean_confidence: float

    @classmethod
    def from_domain(cls, p: CostPoint) -> CostPointRead:
        return cls(
            n_labels=p.n_labels,
            n_items=p.n_items,
            mean_confidence=p.mean_confidence,
            cum_items=p.cum_items,
            cum_labels=p.cum_labels,
            cum_mean_confidence=p.cum_mean_confidence,
        )


class QualityReportRead(BaseModel):
    project_id: int
    n_items: int
    n_done: int
    n_review: int
    n_annotations: int
    n_review_resolved: int
    agreement: AgreementRead
    labels_per_item: list[dict[str, int]]
    cost_curve: list[CostPointRead]
    workers: list[WorkerQualityRead]
    workers_truncated: bool

    @classmethod
    def from_domain(cls, r: QualityReport) -> QualityReportRead:
        return cls(
            project_id=r.project_id,
            n_items=r.n_items,
            n_done=r.n_done,
            n_review=r.n_review,
            n_annotations=r.n_annotations,
            n_review_resolved=r.n_review_resolved,
            agreement=AgreementRead.from_domain(r.agreement),
            labels_per_item=[{"n_labels": k, "n_items": n} for k, n in r.labels_per_item],
            cost_curve=[CostPointRead.from_domain(p) for p in r.cost_curve],
            workers=[WorkerQualityRead.from_domain(w) for w in r.workers],
            workers_truncated=r.workers_truncated,
        )


class WorkerPageRead(BaseModel):
    items: list[WorkerQualityRead]
    next_after_id: int | None

    @classmethod
    def from_domain(cls, p: WorkerPage) -> WorkerPageRead:
        return cls(
            items=[WorkerQualityRead.from_domain(w) for w in p.items],
            next_after_id=p.next_after_id,
        )
