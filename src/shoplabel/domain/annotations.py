"""Annotations (labels given by a human or a model) and leases (a worker's hold on an item)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoplabel.domain.ids import AnnotationId, ItemId, LeaseId, ProjectId, UserId

__all__ = [
    "Annotation",
    "AnnotationSource",
    "AnnotationStatus",
    "Lease",
    "LeaseState",
    "NewAnnotation",
]


class AnnotationSource(StrEnum):
    HUMAN = "human"
    MODEL = "model"


class AnnotationStatus(StrEnum):
    """``valid`` counts; ``rejected`` was dropped by review or a quality rule."""

    VALID = "valid"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Annotation:
    id: AnnotationId
    item_id: ItemId
    project_id: ProjectId
    worker_id: UserId
    value: Any
    source: AnnotationSource
    status: AnnotationStatus
    duration_ms: int | None
    created_at: datetime
    lease_id: LeaseId | None = None


@dataclass(frozen=True, slots=True)
class NewAnnotation:
    """An annotation about to be stored."""

    item_id: ItemId
    project_id: ProjectId
    worker_id: UserId
    value: Any
    source: AnnotationSource = AnnotationSource.HUMAN
    duration_ms: int | None = None
    lease_id: LeaseId | None = None


class LeaseState(StrEnum):
    """``active`` holds a slot until ``expires_at``; the others are final."""

    ACTIVE = "active"
    SUBMITTED = "submitted"
    SKIPPED = "skipped"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Lease:
    id: LeaseId
    item_id: ItemId
    project_id: ProjectId
    worker_id: UserId
    state: LeaseState
    created_at: datetime
    expires_at: datetime
