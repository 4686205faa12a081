"""Quality snapshots: the dashboard's quality numbers, computed in the background and stored.

The quality report (:func:`shoplabel.services.quality_report.quality_report`) and the
consensus aggregates read a project's labels and consensus rows, which grows with the
project. Pages must not do that, so the report is computed after every aggregation run and
by a ``quality_report`` job (the dashboard's "refresh" button), and stored as one JSON row;
the dashboard reads that row and says how old it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.jobs import Job, JobKind
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.domain.workers import WorkerStatus
from shoplabel.services.dashboards import CONFIDENCE_BINS
from shoplabel.services.projects import visible_project
from shoplabel.services.quality_report import (
    AgreementStats,
    CostPoint,
    QualityReport,
    WorkerQuality,
    quality_report,
)

__all__ = [
    "QualitySnapshot",
    "decode_report",
    "encode_report",
    "enqueue_refresh",
    "latest_snapshot",
    "queue_refresh",
    "refresh_snapshot",
]


@dataclass(frozen=True, slots=True)
class QualitySnapshot:
    """A stored quality report with the consensus label counts and confidence histogram."""

    report: QualityReport
    label_counts: tuple[tuple[str, int], ...]
    confidence_bins: tuple[int, ...]
    seconds: float
    computed_at: datetime


def encode_report(report: QualityReport) -> dict[str, Any]:
    """The report as JSON (quality events are left out: the worker page reads them live)."""
    out = asdict(report)
    out["workers"] = [{**w, "status": w["status"].value, "events": []} for w in out["workers"]]
    return out


def decode_report(raw: Mapping[str, Any]) -> QualityReport:
    """Inverse of :func:`encode_report`."""
    workers = tuple(
        WorkerQuality(
            **{
                **w,
                "worker_id": UserId(int(w["worker_id"])),
                "status": WorkerStatus(w["status"]),
                "events": (),
            }
        )
        for w in raw["workers"]
    )
    return QualityReport(
        project_id=ProjectId(int(raw["project_id"])),
        n_items=int(raw["n_items"]),
        n_done=int(raw["n_done"]),
        n_review=int(raw["n_review"]),
        n_annotations=int(raw["n_annotations"]),
        n_review_resolved=int(raw["n_review_resolved"]),
        agreement=AgreementStats(**raw["agreement"]),
        labels_per_item=tuple((int(a), int(b)) for a, b in raw["labels_per_item"]),
        cost_curve=tuple(CostPoint(**p) for p in raw["cost_curve"]),
        workers=workers,
        workers_truncated=bool(raw["workers_truncated"]),
    )


def refresh_snapshot(
    uows: Callable[[], UnitOfWork], *, actor: Actor, project_id: ProjectId
) -> QualitySnapshot:
    """Compute the project's quality report and consensus aggregates and store them.

    Reads in short read transactions, writes one row. Runs in the job worker or at the end of
    an aggregation run, never in a page request.

    Raises:
        ProjectNotFound, PermissionDenied: ``actor`` does not manage the project.
    """
    start = time.perf_counter()
    report = quality_report(uows(), actor=actor, project_id=project_id)
    with uows().reading() as uow:
        labels = tuple(uow.dashboards.consensus_label_counts(project_id))
        bins = tuple(uow.dashboards.consensus_confidence_bins(project_id, n_bins=CONFIDENCE_BINS))
    seconds = round(time.perf_counter() - start, 6)
    stored = {
        "report": encode_report(report),
        "label_counts": [list(r) for r in labels],
        "confidence_bins": list(bins),
    }
    with uows() as uow:
        now = uow.now()
        uow.dashboards.put_snapshot(project_id, report=stored, seconds=seconds, now=now)
        uow.commit()
    return QualitySnapshot(report, labels, bins, seconds, now)


def latest_snapshot(uow: UnitOfWork, project_id: ProjectId) -> QualitySnapshot | None:
    """The stored snapshot, read in the caller's transaction (the caller checks the role)."""
    found = uow.dashboards.find_snapshot(project_id)
    if found is None:
        return None
    raw, seconds, computed_at = found
    return QualitySnapshot(
        report=decode_report(raw["report"]),
        label_counts=tuple((str(k), int(n)) for k, n in raw["label_counts"]),
        confidence_bins=tuple(int(n) for n in raw["confidence_bins"]),
        seconds=seconds,
        computed_at=computed_at,
    )


def queue_refresh(uow: UnitOfWork, project: Project, *, actor: Actor) -> Job:
    """Queue a ``quality_report`` job in the caller's transaction (outbox), unless one is
    already waiting for the project; return the waiting job. The caller checks the role."""
    pending = uow.jobs.find_pending(kind=JobKind.QUALITY_REPORT, project_id=project.id)
    if pending is not None:
        return pending
    return uow.jobs.add(
        kind=JobKind.QUALITY_REPORT,
        payload={},
        project_id=project.id,
        created_by=actor.user_id,
        now=uow.now(),
    )


def enqueue_refresh(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> Job:
    """Queue a refresh of the project's snapshot (the dashboard's button).

    Raises:
        ProjectNotFound, PermissionDenied: ``actor`` does not manage the project.
    """
    with uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"refresh the quality of project {project_id}")
        job = queue_refresh(uow, project, actor=actor)
        uow.commit()
    return job
