"""The requester dashboard's view: maintained counters, labels per hour and the stored quality
snapshot, read in one short read transaction.

Nothing here grows with the project: the project row carries its counters, ``label_activity``
holds one row per hour (at most :data:`ACTIVITY_DAYS` days are read), the snapshot is one row
(:mod:`shoplabel.services.quality_snapshots`, computed in the background), and the live
standing of the snapshot's workers is at most ``MAX_REPORT_WORKERS`` primary-key rows, and
feedback from production is its maintained counters (one row per signal) and the
:data:`RECENT_FEEDBACK` newest signals (an index range).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shoplabel.domain.ids import JobId, ProjectId, UserId
from shoplabel.domain.jobs import JobKind
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.training import Feedback, FeedbackCounts
from shoplabel.domain.users import Actor
from shoplabel.domain.workers import WorkerStatus
from shoplabel.services.projects import visible_project
from shoplabel.services.quality_report import MAX_REPORT_WORKERS
from shoplabel.services.quality_snapshots import QualitySnapshot, latest_snapshot

__all__ = ["ACTIVITY_DAYS", "RECENT_FEEDBACK", "DashboardPage", "activity_series", "dashboard_page"]

#: How far back the labels-over-time plot reaches.
ACTIVITY_DAYS = 30
#: Up to this many hours the plot shows hours; beyond, days.
HOURLY_UP_TO = 72
#: Newest production signals listed on the dashboard.
RECENT_FEEDBACK = 10


@dataclass(frozen=True, slots=True)
class DashboardPage:
    """Everything the dashboard shows; ``snapshot`` is ``None`` until the first report ran."""

    project: Project
    snapshot: QualitySnapshot | None
    #: (bucket start, labels) oldest first; ``bucket`` is ``"hour"`` or ``"day"``.
    activity: tuple[tuple[datetime, int], ...]
    bucket: str
    #: The live standing of the snapshot's workers (it may have changed since).
    statuses: Mapping[UserId, WorkerStatus]
    #: A refresh waiting in the job queue, if any.
    pending_job: JobId | None
    #: Production feedback: counts per signal and the newest signals, newest first.
    feedback: FeedbackCounts
    recent_feedback: tuple[Feedback, ...]


def activity_series(
    hours: Sequence[tuple[datetime, int]],
) -> tuple[tuple[tuple[datetime, int], ...], str]:
    """Hourly counts as they are when they span at most :data:`HOURLY_UP_TO` hours, else
    summed per UTC day."""
    if not hours or hours[-1][0] - hours[0][0] <= timedelta(hours=HOURLY_UP_TO):
        return tuple(hours), "hour"
    days: dict[datetime, int] = {}
    for hour, n in hours:
        day = hour.replace(hour=0)
        days[day] = days.get(day, 0) + n
    return tuple(days.items()), "day"


def dashboard_page(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> DashboardPage:
    """Raises ``ProjectNotFound`` or ``PermissionDenied`` unless ``actor`` manages the project."""
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"see the dashboard of project {project_id}")
        snapshot = latest_snapshot(uow, project_id)
        since = uow.now() - timedelta(days=ACTIVITY_DAYS)
        hours = uow.dashboards.label_activity(project_id, since=since)
        states = uow.workers.list_for_project(project_id, after_worker=0, limit=MAX_REPORT_WORKERS)
        pending = uow.jobs.find_pending(kind=JobKind.QUALITY_REPORT, project_id=project_id)
        feedback = uow.training.feedback_counts(project_id)
        recent = uow.training.list_feedback(project_id, before_id=None, limit=RECENT_FEEDBACK)
    activity, bucket = activity_series(hours)
    return DashboardPage(
        project=project,
        snapshot=snapshot,
        activity=activity,
        bucket=bucket,
        statuses={s.worker_id: s.status for s in states},
        pending_job=None if pending is None else pending.id,
        feedback=feedback,
        recent_feedback=tuple(recent),
    )
