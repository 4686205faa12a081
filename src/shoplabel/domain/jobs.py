"""Background jobs, written to the outbox table in the transaction that asks for them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoplabel.domain.ids import JobId, ProjectId, UserId

__all__ = ["Job", "JobKind", "JobStatus"]


class JobKind(StrEnum):
    IMPORT = "import"
    AGGREGATE = "aggregate"
    QUALITY_REPORT = "quality_report"
    DEDUP = "dedup"
    DATA_REPORT = "data_report"
    EMBED = "embed"
    PRELABEL = "prelabel"
    AUTOLABEL = "autolabel"
    AUTOREVIEW = "autoreview"
    TRAIN = "train"
    PROMOTE = "promote"
    RELABEL = "relabel"


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Job:
    id: JobId
    kind: JobKind
    status: JobStatus
    payload: Mapping[str, Any]
    project_id: ProjectId | None
    created_by: UserId | None
    progress_done: int
    progress_total: int | None
    result: Mapping[str, Any] | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
