"""Data quality: cleaning runs, duplicate groups and decisions, stored reports, originals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shoplabel.domain.dataquality import DuplicateDecision, DuplicateGroup, StoredReport
from shoplabel.services.dedup import DedupOptions
from shoplabel.services.duplicates import DecisionOutcome
from shoplabel.services.originals import ItemOriginal

__all__ = [
    "DataReportRead",
    "DecisionCreate",
    "DecisionRead",
    "DedupCreate",
    "DuplicateGroupPage",
    "DuplicateGroupRead",
    "ItemOriginalRead",
]


class DedupCreate(BaseModel):
    """Options of a cleaning run (see docs/data_quality.md); all optional."""

    model_config = ConfigDict(extra="forbid")

    fields: list[str] = Field(default_factory=list, description="Payload fields compared.")
    threshold: float = Field(default=0.8, gt=0, lt=1, description="Jaccard of shingle sets.")
    num_perm: int = Field(default=128, ge=8, le=512)
    shingle: int = Field(default=3, ge=1, le=16)
    outlier_fields: list[str] = Field(default_factory=list)
    outlier_method: str = "robust-z"
    outlier_threshold: float | None = None

    def options(self) -> DedupOptions:
        return DedupOptions.from_dict(self.model_dump())


class DuplicateGroupRead(BaseModel):
    id: int
    project_id: int
    kind: str
    item_ids: list[int]
    similarity: float
    conflicting: bool
    decision: DuplicateDecision
    keep_item_id: int | None
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def from_domain(cls, g: DuplicateGroup) -> DuplicateGroupRead:
        return cls(
            id=g.id,
            project_id=g.project_id,
            kind=g.kind,
            item_ids=list(g.item_ids),
            similarity=g.similarity,
            conflicting=g.conflicting,
            decision=g.decision,
            keep_item_id=g.keep_item_id,
            created_at=g.created_at,
            decided_at=g.decided_at,
        )


class DuplicateGroupPage(BaseModel):
    items: list[DuplicateGroupRead]
    next_after_id: int | None


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: DuplicateDecision
    keep_item_id: int | None = None
    propagate: bool = False


class DecisionRead(BaseModel):
    group: DuplicateGroupRead
    n_closed: int
    n_propagated: int

    @classmethod
    def from_domain(cls, o: DecisionOutcome) -> DecisionRead:
        return cls(
            group=DuplicateGroupRead.from_domain(o.group),
            n_closed=o.n_closed,
            n_propagated=o.n_propagated,
        )


class DataReportRead(BaseModel):
    """The last stored report; ``report`` is ``null`` before the first run."""

    project_id: int
    created_at: datetime | None
    report: dict[str, Any] | None

    @classmethod
    def from_domain(cls, project_id: int, r: StoredReport | None) -> DataReportRead:
        if r is None:
            return cls(project_id=project_id, created_at=None, report=None)
        return cls(project_id=project_id, created_at=r.created_at, report=dict(r.report))


class ItemOriginalRead(BaseModel):
    item_id: int
    payload: dict[str, Any]
    original: dict[str, Any]
    changed: bool

    @classmethod
    def from_domain(cls, o: ItemOriginal) -> ItemOriginalRead:
        return cls(
            item_id=o.item_id,
            payload=dict(o.payload),
            original=dict(o.original),
            changed=o.changed,
        )
