"""A worker's own standing in a project."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shoplabel.domain.workers import WorkerStatus
from shoplabel.services.worker_quality import Standing

__all__ = ["QualityEventRead", "StandingRead"]


class QualityEventRead(BaseModel):
    rule: str
    actions: list[dict[str, Any]]
    reason: str
    created_at: datetime


class StandingRead(BaseModel):
    """Status, the statistics the quality rules look at, and every decision with its reason."""

    status: WorkerStatus
    suspended_until: datetime | None
    n_labels: int
    n_gold: int
    gold_accuracy: float | None
    longest_skip_streak: int
    events: list[QualityEventRead]
    n_checked: int = 0
    agreement: float | None = None
    class_accuracy: dict[str, float] = {}
    label_weight: float = 1.0

    @classmethod
    def from_domain(cls, s: Standing) -> StandingRead:
        st = s.state
        return cls(
            status=st.status,
            suspended_until=st.suspended_until,
            n_labels=st.n_labels,
            n_gold=st.n_gold,
            gold_accuracy=s.gold_accuracy,
            longest_skip_streak=st.longest_skip_streak,
            n_checked=st.n_scored,
            agreement=s.agreement,
            class_accuracy=dict(s.class_accuracy),
            label_weight=st.label_weight,
            events=[
                QualityEventRead(
                    rule=e.rule,
                    actions=[dict(a) for a in e.actions],
                    reason=e.reason,
                    created_at=e.created_at,
                )
                for e in s.events
            ],
        )
