"""Background jobs and the health check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shoplabel.domain.jobs import Job, JobKind, JobStatus
from shoplabel.web.urls import job_rejects_url

__all__ = ["HealthRead", "JobRead"]

#: Server-side paths stay on the server; the rejects file is downloaded by URL instead.
_PRIVATE_RESULT_KEYS = frozenset({"path", "rejects_path"})


class JobRead(BaseModel):
    """A job with its progress; ``result`` holds the import report when it has one."""

    id: int
    kind: JobKind
    status: JobStatus
    project_id: int | None
    progress_done: int
    progress_total: int | None
    result: dict[str, Any] | None
    error: str | None
    rejects_url: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_domain(cls, job: Job) -> JobRead:
        result = None
        has_rejects = False
        if job.result is not None:
            has_rejects = bool(job.result.get("rejects_path"))
            result = {k: v for k, v in job.result.items() if k not in _PRIVATE_RESULT_KEYS}
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            project_id=job.project_id,
            progress_done=job.progress_done,
            progress_total=job.progress_total,
            result=result,
            error=job.error,
            rejects_url=job_rejects_url(job.id) if has_rejects else None,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


class HealthRead(BaseModel):
    status: str
    version: str
    database: str
