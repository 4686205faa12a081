"""Platform health figures for the admin page: schema revision, job queue, live leases, size.

Each query is bounded by something small (job statuses, projects, active leases), never by
the number of items or labels.
"""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from shoplabel.domain.annotations import LeaseState
from shoplabel.domain.jobs import Job, JobStatus
from shoplabel.storage.mappers import to_job
from shoplabel.storage.migrate import alembic_config
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import JobRow, LeaseRow, ProjectRow

__all__ = ["SqlHealthRepository", "head_revisions"]


def head_revisions() -> tuple[str, ...]:
    """The head revision(s) of the migrations shipped with this code."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


class SqlHealthRepository(Repository):
    def schema_revisions(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(revisions the database is at, heads of the shipped migrations)."""
        rows = self._s.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return tuple(sorted(str(r) for r in rows)), head_revisions()

    def job_counts(self) -> dict[str, int]:
        """Jobs per status (``ix_jobs_status_id`` makes this an index-only count)."""
        n = func.count()
        rows = self._s.execute(select(JobRow.status, n).group_by(JobRow.status))
        return {str(status): int(count) for status, count in rows}

    def failed_jobs(self, *, limit: int) -> list[Job]:
        """The latest failed jobs, newest first (``ix_jobs_status_id`` backwards)."""
        rows = self._s.execute(
            select(JobRow.__table__)
            .where(JobRow.status == JobStatus.FAILED.value)
            .order_by(JobRow.id.desc())
            .limit(limit)
        )
        return [to_job(r) for r in rows]

    def active_leases(self) -> tuple[int, int]:
        """(active leases, of which past their expiry and not yet swept), counted per project
        on ``ix_leases_sweep (project_id, state, expires_at)``."""
        live = select(func.count()).where(
            LeaseRow.project_id.in_(select(ProjectRow.id)),
            LeaseRow.state == LeaseState.ACTIVE.value,
        )
        active = int(self._s.execute(live).scalar_one())
        due = int(self._s.execute(live.where(LeaseRow.expires_at <= self._now())).scalar_one())
        return active, due

    def database_bytes(self) -> int | None:
        """Size of the database: the SQLite file (with its WAL), or PostgreSQL's
        ``pg_database_size``."""
        bind = self._s.get_bind()
        if bind.dialect.name == "postgresql":
            size = self._s.execute(text("SELECT pg_database_size(current_database())"))
            return int(size.scalar_one())
        path = self._s.get_bind().engine.url.database
        if not path or path == ":memory:":
            return None
        files = (Path(path), Path(path + "-wal"))
        return sum(f.stat().st_size for f in files if f.exists())
