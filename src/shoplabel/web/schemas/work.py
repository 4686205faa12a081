"""Tasks, annotations and items: what workers and managers exchange while labelling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shoplabel.domain.annotations import Annotation, AnnotationSource, AnnotationStatus
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.scheduling import NextReason
from shoplabel.services.assignment import Task

__all__ = [
    "AnnotationPage",
    "AnnotationRead",
    "AnnotationSubmit",
    "ItemPage",
    "ItemRead",
    "TaskRead",
]


class TaskRead(BaseModel):
    """A leased item: submit or skip it with ``lease_id`` before ``expires_at``."""

    lease_id: int
    project_id: int
    item_id: int
    external_id: str
    expires_at: datetime
    reason: NextReason
    data: dict[str, Any]

    @classmethod
    def from_domain(cls, t: Task) -> TaskRead:
        return cls(
            lease_id=t.lease_id,
            project_id=t.project_id,
            item_id=t.item_id,
            external_id=t.external_id,
            expires_at=t.expires_at,
            reason=t.reason,
            data=dict(t.data),
        )


class AnnotationSubmit(BaseModel):
    value: Any = Field(description="The answer; its shape depends on the label schema kind.")
    duration_ms: int | None = Field(default=None, description="Time spent on the task.")


class AnnotationRead(BaseModel):
    id: int
    item_id: int
    project_id: int
    worker_id: int
    value: Any
    source: AnnotationSource
    status: AnnotationStatus
    duration_ms: int | None
    created_at: datetime
    lease_id: int | None

    @classmethod
    def from_domain(cls, a: Annotation) -> AnnotationRead:
        return cls(
            id=a.id,
            item_id=a.item_id,
            project_id=a.project_id,
            worker_id=a.worker_id,
            value=a.value,
            source=a.source,
            status=a.status,
            duration_ms=a.duration_ms,
            created_at=a.created_at,
            lease_id=a.lease_id,
        )


class AnnotationPage(BaseModel):
    items: list[AnnotationRead]
    next_after_id: int | None

    @classmethod
    def from_domain(cls, rows: list[Annotation], *, limit: int) -> AnnotationPage:
        return cls(
            items=[AnnotationRead.from_domain(a) for a in rows],
            next_after_id=rows[-1].id if rows and len(rows) == limit else None,
        )


class ItemRead(BaseModel):
    """An item. ``gold`` is only ever filled for the project's managers."""

    id: int
    project_id: int
    external_id: str
    status: ItemStatus
    priority: float
    n_labels: int
    payload: dict[str, Any]
    gold: Any = None
    created_at: datetime

    @classmethod
    def from_domain(cls, it: Item) -> ItemRead:
        return cls(
            id=it.id,
            project_id=it.project_id,
            external_id=it.external_id,
            status=it.status,
            priority=it.priority,
            n_labels=it.n_labels,
            payload=dict(it.payload),
            gold=it.gold,
            created_at=it.created_at,
        )


class ItemPage(BaseModel):
    items: list[ItemRead]
    next_after_id: int | None

    @classmethod
    def from_domain(cls, rows: list[Item], *, limit: int) -> ItemPage:
        return cls(
            items=[ItemRead.from_domain(i) for i in rows],
            next_after_id=rows[-1].id if rows and len(rows) == limit else None,
        )
