"""Dashboard statistics on SQLite and PostgreSQL: labels per hour counted by submit, stored
quality snapshots (refreshed by aggregation runs through the job queue), the dashboard view
that never reads labels, and the admin's platform health."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from alembic.script import ScriptDirectory

from shoplabel.domain.jobs import JobKind
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Role
from shoplabel.errors import PermissionDenied, ProjectNotFound
from shoplabel.jobs.worker import drain
from shoplabel.services import aggregation, assignment, dashboard_pages, platform_health
from shoplabel.services import quality_snapshots as qs
from shoplabel.storage.migrate import alembic_config
from tests.conftest import Clock, Database
from tests.factories import make_actor
from tests.services.review_crowd import Crowd, build, label

FIXED = {"overlap_mode": "fixed", "max_overlap": 3}
T0 = datetime(2026, 3, 1, 10, 5, tzinfo=UTC)


def _uows(db: Database, clock: Clock) -> Callable[[], UnitOfWork]:
    return lambda: db.uow(clock)


def _crowd_at(db: Database, clock: Clock, minutes: list[int]) -> Crowd:
    """Three workers label one item each minute offset (from 10:05), in that order."""
    uows = _uows(db, clock)
    crowd = build(uows, n_items=len(minutes), settings=FIXED)
    for k, minute in enumerate(minutes):
        clock.now = T0 + timedelta(minutes=minute)
        label(uows, crowd.workers[k % 3], crowd.project, "same", 2000)
    return crowd


def test_submit_counts_labels_per_hour(db: Database, clock: Clock) -> None:
    crowd = _crowd_at(db, clock, [0, 35, 70])  # 10:05, 10:40, 11:15
    with db.uow().reading() as uow:
        hours = uow.dashboards.label_activity(crowd.project.id, since=T0 - timedelta(days=1))
        assert uow.dashboards.label_activity(
            crowd.project.id, since=datetime(2026, 3, 1, 11, tzinfo=UTC)
        ) == [(datetime(2026, 3, 1, 11, tzinfo=UTC), 1)]
    assert hours == [
        (datetime(2026, 3, 1, 10, tzinfo=UTC), 2),
        (datetime(2026, 3, 1, 11, tzinfo=UTC), 1),
    ]


def test_migration_backfills_label_activity_from_stored_labels(db: Database, clock: Clock) -> None:
    crowd = _crowd_at(db, clock, [0, 35, 70, 24 * 60])
    with db.uow().reading() as uow:
        counted = uow.dashboards.label_activity(crowd.project.id, since=T0 - timedelta(days=1))
    cfg = alembic_config(db.url)
    down = ScriptDirectory.from_config(cfg).get_revision("0011").down_revision
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, str(down))
        command.upgrade(cfg, "head")
    with db.uow().reading() as uow:
        backfilled = uow.dashboards.label_activity(crowd.project.id, since=T0 - timedelta(days=1))
    assert backfilled == counted
    assert sum(n for _, n in counted) == 4


def test_activity_series_uses_days_beyond_three_days() -> None:
    h = datetime(2026, 3, 1, 10, tzinfo=UTC)
    hours = [(h, 2), (h + timedelta(hours=5), 3), (h + timedelta(hours=72), 1)]
    assert dashboard_pages.activity_series(hours) == (tuple(hours), "hour")
    later = [*hours, (h + timedelta(hours=73), 4)]
    days, bucket = dashboard_pages.activity_series(later)
    assert bucket == "day"
    assert days == ((datetime(2026, 3, 1, tzinfo=UTC), 5), (datetime(2026, 3, 4, tzinfo=UTC), 5))
    assert dashboard_pages.activity_series([]) == ((), "hour")


def test_snapshot_round_trips_the_report(db: Database, clock: Clock) -> None:
    crowd = _crowd_at(db, clock, [0, 1, 2])
    stored = qs.refresh_snapshot(_uows(db, clock), actor=crowd.owner, project_id=crowd.project.id)
    with db.uow().reading() as uow:
        read = qs.latest_snapshot(uow, crowd.project.id)
    assert read == stored
    assert read.report.n_annotations == 3
    assert {w.worker_name for w in read.report.workers} == {"w0", "w1", "w2"}
    # The online posterior wrote a consensus for each item the crowd closed.
    assert sum(read.confidence_bins) == read.report.n_done == 1


def test_aggregation_queues_one_refresh_and_the_job_stores_the_snapshot(
    db: Database, clock: Clock
) -> None:
    uows = _uows(db, clock)
    crowd = build(uows, n_items=2, settings=FIXED)
    for _ in range(2):
        for w in crowd.workers[:3]:
            label(uows, w, crowd.project, "same", 2000)
    aggregation.aggregate(uows, actor=crowd.owner, project_id=crowd.project.id)
    aggregation.aggregate(uows, actor=crowd.owner, project_id=crowd.project.id)
    with db.uow().reading() as uow:
        pending = uow.jobs.find_pending(kind=JobKind.QUALITY_REPORT, project_id=crowd.project.id)
        assert pending is not None
        assert qs.latest_snapshot(uow, crowd.project.id) is None
    assert drain(uows) == 1  # two runs, one queued refresh
    with db.uow().reading() as uow:
        snap = qs.latest_snapshot(uow, crowd.project.id)
        assert uow.jobs.get(pending.id).result == {
            "seconds": snap.seconds if snap else None,
            "computed_at": snap.computed_at.isoformat() if snap else None,
        }
    assert snap is not None
    assert snap.label_counts == (("same", 2),)
    assert snap.computed_at == clock.now


class _NoScans:
    """A unit of work that fails the test if anything reads labels or consensus rows."""

    _FORBIDDEN_DASHBOARD = ("consensus_label_counts", "consensus_confidence_bins")

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in ("quality", "annotations", "consensus"):
            raise AssertionError(f"the dashboard read uow.{name}")
        value = getattr(self._inner, name)
        if name == "dashboards":
            return _Guard(value, self._FORBIDDEN_DASHBOARD)
        return value

    def reading(self) -> Any:
        inner = self._inner.reading()
        outer = self

        class _Ctx:
            def __enter__(self) -> _NoScans:
                inner.__enter__()
                return outer

            def __exit__(self, *exc: object) -> None:
                inner.__exit__(*exc)  # type: ignore[arg-type]

        return _Ctx()


class _Guard:
    def __init__(self, inner: object, forbidden: tuple[str, ...]) -> None:
        self._inner, self._forbidden = inner, forbidden

    def __getattr__(self, name: str) -> Any:
        if name in self._forbidden:
            raise AssertionError(f"the dashboard called dashboards.{name}")
        return getattr(self._inner, name)


def test_dashboard_reads_counters_and_the_snapshot_never_the_labels(
    db: Database, clock: Clock
) -> None:
    crowd = _crowd_at(db, clock, [0, 1, 2])
    qs.refresh_snapshot(_uows(db, clock), actor=crowd.owner, project_id=crowd.project.id)
    clock.now = T0 + timedelta(hours=2)
    page = dashboard_pages.dashboard_page(
        _NoScans(db.uow(clock)),
        actor=crowd.owner,
        project_id=crowd.project.id,
    )
    assert page.snapshot is not None and page.snapshot.report.n_annotations == 3
    assert page.activity == ((datetime(2026, 3, 1, 10, tzinfo=UTC), 3),)
    assert page.project.counters.n_annotations == 3
    assert set(page.statuses) == {w.user_id for w in crowd.workers[:3]}
    assert page.pending_job is None


def test_dashboard_and_refresh_are_for_managers_only(db: Database) -> None:
    crowd = build(db.uow, n_items=1, settings=FIXED)
    with pytest.raises((PermissionDenied, ProjectNotFound)):
        dashboard_pages.dashboard_page(
            db.uow(), actor=crowd.workers[0], project_id=crowd.project.id
        )
    with pytest.raises(PermissionDenied):
        qs.enqueue_refresh(db.uow(), actor=crowd.reviewer, project_id=crowd.project.id)
    other = make_actor(db.uow(), "other-req", Role.REQUESTER)
    with pytest.raises(ProjectNotFound):
        qs.enqueue_refresh(db.uow(), actor=other, project_id=crowd.project.id)
    first = qs.enqueue_refresh(db.uow(), actor=crowd.owner, project_id=crowd.project.id)
    again = qs.enqueue_refresh(db.uow(), actor=crowd.owner, project_id=crowd.project.id)
    assert again.id == first.id  # one waiting refresh per project


def test_platform_health_counts_jobs_leases_and_schema(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    uows = _uows(db, clock)
    crowd = build(uows, n_items=3, settings=FIXED)
    admin = make_actor(db.uow(), "root", Role.ADMIN)
    rng = np.random.default_rng(0)
    for w in crowd.workers[:2]:
        assert assignment.next_task(uows(), actor=w, project_id=crowd.project.id, rng=rng)
    failed = qs.enqueue_refresh(uows(), actor=crowd.owner, project_id=crowd.project.id)
    with db.uow() as uow:
        uow.jobs.fail(failed.id, error="boom: for the test", now=clock.now, result=None)
        uow.commit()
    qs.enqueue_refresh(uows(), actor=crowd.owner, project_id=crowd.project.id)
    clock.advance(3600)  # both leases (600 s) are past due, not yet swept
    h = platform_health.platform_health(uows(), actor=admin, data_dir=tmp_path, version="9.9")
    assert h.database_ok and h.at_head and h.schema_current == h.schema_head != ()
    assert h.jobs == {"failed": 1, "pending": 1}
    assert [j.id for j in h.failed_jobs] == [failed.id]
    assert (h.active_leases, h.overdue_leases) == (2, 2)
    assert h.database_bytes is not None and h.database_bytes > 0
    assert h.disk is not None and h.disk.total_bytes >= h.disk.free_bytes > 0
    with pytest.raises(PermissionDenied):
        platform_health.platform_health(uows(), actor=crowd.owner, data_dir=tmp_path, version="9.9")
