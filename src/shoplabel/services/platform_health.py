"""The admin's platform health view: database, schema revision, job queue, leases, disk.

Admins only. Every figure is a bounded query (job statuses, the latest failures, active
leases per project) or a file-system call on the data directory.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shoplabel.domain.jobs import Job
from shoplabel.domain.permissions import can_manage_users, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor

__all__ = ["FAILED_SHOWN", "DiskUsage", "PlatformHealth", "platform_health"]

log = logging.getLogger(__name__)

#: Latest failed jobs listed on the page.
FAILED_SHOWN = 10


@dataclass(frozen=True, slots=True)
class DiskUsage:
    path: str
    total_bytes: int
    free_bytes: int


@dataclass(frozen=True, slots=True)
class PlatformHealth:
    """What the health page shows; the database fields are empty when it is unreachable."""

    version: str
    database_ok: bool
    schema_current: tuple[str, ...] = ()
    schema_head: tuple[str, ...] = ()
    jobs: Mapping[str, int] = field(default_factory=dict)
    failed_jobs: tuple[Job, ...] = ()
    active_leases: int = 0
    overdue_leases: int = 0
    database_bytes: int | None = None
    disk: DiskUsage | None = None

    @property
    def at_head(self) -> bool:
        return self.database_ok and self.schema_current == self.schema_head


def _disk(data_dir: Path) -> DiskUsage | None:
    try:
        usage = shutil.disk_usage(data_dir)
    except OSError:
        return None
    return DiskUsage(path=str(data_dir), total_bytes=usage.total, free_bytes=usage.free)


def platform_health(
    uow: UnitOfWork, *, actor: Actor, data_dir: Path, version: str
) -> PlatformHealth:
    """Check the platform: admins only.

    Raises:
        PermissionDenied: the actor is not an admin.
    """
    require(can_manage_users(actor), "see the platform health (admins only)")
    disk = _disk(data_dir)
    try:
        with uow.reading():
            current, head = uow.health.schema_revisions()
            jobs = uow.health.job_counts()
            failed = tuple(uow.health.failed_jobs(limit=FAILED_SHOWN))
            active, overdue = uow.health.active_leases()
            size = uow.health.database_bytes()
    except Exception:
        # The driver's error may name hosts and users: log it, show "unreachable".
        log.exception("health page: database check failed")
        return PlatformHealth(version=version, database_ok=False, disk=disk)
    return PlatformHealth(
        version=version,
        database_ok=True,
        schema_current=current,
        schema_head=head,
        jobs=jobs,
        failed_jobs=failed,
        active_leases=active,
        overdue_leases=overdue,
        database_bytes=size,
        disk=disk,
    )
