"""The job table: a transactional outbox polled by the background worker."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update

from shoplabel.domain.ids import JobId, ProjectId, UserId
from shoplabel.domain.jobs import Job, JobKind, JobStatus
from shoplabel.errors import JobNotFound
from shoplabel.storage.mappers import to_job
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import JobRow

__all__ = ["SqlJobRepository"]

_T = cast(Table, JobRow.__table__)


class SqlJobRepository(Repository):
    def add(
        self,
        *,
        kind: JobKind,
        payload: Mapping[str, Any],
        project_id: ProjectId | None,
        created_by: UserId | None,
        now: datetime,
    ) -> Job:
        row = JobRow(
            kind=kind.value,
            status=JobStatus.PENDING.value,
            payload=dict(payload),
            project_id=project_id,
            created_by=created_by,
            progress_done=0,
            attempts=0,
            created_at=now,
        )
        self._s.add(row)
        self._s.flush()
        return to_job(row)

    def get(self, job_id: JobId) -> Job:
        row = self._s.execute(select(_T).where(JobRow.id == job_id)).first()
        if row is None:
            raise JobNotFound(f"job {job_id} does not exist", details={"job_id": job_id})
        return to_job(row)

    def find_pending(self, *, kind: JobKind, project_id: ProjectId) -> Job | None:
        """The oldest job of ``kind`` for the project still waiting to run (walks the few
        pending jobs on ``ix_jobs_status_id``)."""
        row = self._s.execute(
            select(_T)
            .where(
                JobRow.status == JobStatus.PENDING.value,
                JobRow.kind == kind.value,
                JobRow.project_id == project_id,
            )
            .order_by(JobRow.id)
            .limit(1)
        ).first()
        return None if row is None else to_job(row)

    def find_latest(self, *, kind: JobKind, project_id: ProjectId) -> Job | None:
        """The project's newest job of ``kind`` in any status (on ``ix_jobs_project_id``)."""
        row = self._s.execute(
            select(_T)
            .where(JobRow.project_id == project_id, JobRow.kind == kind.value)
            .order_by(JobRow.id.desc())
            .limit(1)
        ).first()
        return None if row is None else to_job(row)

    def claim_next(self, *, now: datetime) -> Job | None:
        """Mark the oldest pending job running and return it; two workers never get the same
        job because the claim is a conditional UPDATE on its status."""
        for job_id in self._s.scalars(
            select(JobRow.id)
            .where(JobRow.status == JobStatus.PENDING.value)
            .order_by(JobRow.id)
            .limit(5)
        ):
            claimed = self._rowcount(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == JobStatus.PENDING.value)
                .values(
                    status=JobStatus.RUNNING.value, started_at=now, attempts=JobRow.attempts + 1
                )
            )
            if claimed:
                return self.get(JobId(job_id))
        return None

    def set_progress(self, job_id: JobId, *, done: int, total: int | None) -> None:
        self._s.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(progress_done=done, progress_total=total)
        )

    def finish(self, job_id: JobId, *, result: Mapping[str, Any], now: datetime) -> None:
        self._s.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(status=JobStatus.DONE.value, result=dict(result), finished_at=now)
        )

    def fail(
        self, job_id: JobId, *, error: str, now: datetime, result: Mapping[str, Any] | None
    ) -> None:
        self._s.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(
                status=JobStatus.FAILED.value,
                error=error,
                finished_at=now,
                result=None if result is None else dict(result),
            )
        )
