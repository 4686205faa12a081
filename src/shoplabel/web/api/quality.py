"""Quality: a project's agreement, worker accuracy, speed, labels per item and cost curve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shoplabel.domain.ids import ProjectId
from shoplabel.services import quality_report
from shoplabel.web.deps import CurrentActor, UowDep
from shoplabel.web.schemas.quality import QualityReportRead, WorkerPageRead

__all__ = ["router"]

router = APIRouter(tags=["quality"])


@router.get("/projects/{project_id}/quality")
def project_quality(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> QualityReportRead:
    """The project's quality report: its managers only."""
    report = quality_report.quality_report(uow, actor=actor, project_id=project_id)
    return QualityReportRead.from_domain(report)


@router.get("/projects/{project_id}/workers")
def project_workers(
    project_id: ProjectId,
    actor: CurrentActor,
    uow: UowDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=quality_report.MAX_PAGE)] = 50,
) -> WorkerPageRead:
    """Workers by id after ``after_id`` with their numbers, status and quality events."""
    page = quality_report.worker_page(
        uow, actor=actor, project_id=project_id, after_id=after_id, limit=limit
    )
    return WorkerPageRead.from_domain(page)
