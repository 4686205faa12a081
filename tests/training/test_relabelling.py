"""Periodic relabelling: the command's seeded sample, and the project setting that has the job
worker queue one sample per period (real Abt-Buy pairs, SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from shoplabel.domain.items import ItemStatus
from shoplabel.domain.jobs import JobKind, JobStatus
from shoplabel.errors import InvalidInput, InvalidSettings
from shoplabel.jobs.worker import JobWorker, drain
from shoplabel.services import projects
from shoplabel.services.relabelling import REASON, relabel_sample, schedule_due
from tests.ai.conftest import AbtBuy
from tests.conftest import Database
from tests.training.conftest import gold_project

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _turn_on(db: Database, ab: AbtBuy, *, rate: float = 0.3, every: int = 7) -> None:
    projects.update_settings(
        db.uow(),
        actor=ab.owner,
        project_id=ab.project.id,
        changes={"relabel_sample_rate": rate, "relabel_every_days": every},
    )


def test_relabel_sample_sends_a_seeded_share_of_done_items_to_review(db: Database) -> None:
    ab = gold_project(db, 20)
    with db.uow().reading() as uow:
        before = uow.projects.get(ab.project.id).counters
    n = relabel_sample(db.uow, actor=ab.owner, project_id=ab.project.id, share=0.5, seed=1)
    assert 0 < n < before.n_done
    with db.uow().reading() as uow:
        after = uow.projects.get(ab.project.id).counters
        flags = uow.ai.review_flags(ab.project.id, after_id=0, limit=100)
        in_review = uow.items.page(ab.project.id, after_id=0, limit=100, status=ItemStatus.REVIEW)
    assert (after.n_done, after.n_review) == (before.n_done - n, before.n_review + n)
    assert len(in_review) == n and {f.reason for f in flags} == {REASON}
    with pytest.raises(InvalidInput):
        relabel_sample(db.uow, actor=ab.owner, project_id=ab.project.id, share=0.0, seed=1)


def test_the_setting_queues_one_sample_per_period(db: Database) -> None:
    ab = gold_project(db, 30)
    assert schedule_due(db.uow, now=T0) == []  # off by default
    _turn_on(db, ab)
    [first] = schedule_due(db.uow, now=T0)
    assert (first.kind, first.project_id, first.created_by) == (
        JobKind.RELABEL,
        ab.project.id,
        ab.owner.user_id,
    )
    assert first.payload["share"] == 0.3
    assert schedule_due(db.uow, now=T0 + timedelta(days=6)) == []  # not due yet
    assert drain(db.uow) >= 1  # with the jobs the replay queued
    with db.uow().reading() as uow:
        done = uow.jobs.get(first.id)
        flags = uow.ai.review_flags(ab.project.id, after_id=0, limit=100)
    assert done.status is JobStatus.DONE and done.result is not None
    assert done.result["n_sent"] == len(flags) > 0
    [second] = schedule_due(db.uow, now=T0 + timedelta(days=7))
    assert second.payload["seed"] != first.payload["seed"]  # a new sample each period


def test_relabel_settings_are_validated(db: Database) -> None:
    ab = gold_project(db, 3, replay=False)
    for changes, field in (
        ({"relabel_sample_rate": 0.9}, "relabel_sample_rate"),
        ({"relabel_sample_rate": "often"}, "relabel_sample_rate"),
        ({"relabel_every_days": 0}, "relabel_every_days"),
    ):
        with pytest.raises(InvalidSettings) as e:
            projects.update_settings(
                db.uow(), actor=ab.owner, project_id=ab.project.id, changes=changes
            )
        assert e.value.details["field"] == field


def test_the_job_worker_runs_due_samples(db: Database) -> None:
    ab = gold_project(db, 20)
    _turn_on(db, ab, rate=0.5)
    worker = JobWorker(db.uow, poll_seconds=0.05, schedule_seconds=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        job = None
        while time.monotonic() < deadline:
            with db.uow().reading() as uow:
                job = uow.jobs.find_latest(kind=JobKind.RELABEL, project_id=ab.project.id)
            if job is not None and job.status is JobStatus.DONE:
                break
            time.sleep(0.1)
    finally:
        worker.stop()
    assert job is not None and job.status is JobStatus.DONE
    assert job.result is not None and job.result["n_sent"] > 0
