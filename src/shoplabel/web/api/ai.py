"""AI in the loop: queue embedding / pre-labelling / auto-labelling runs, read model
versions and predictions. Runs are background jobs: poll GET /jobs/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.jobs import JobKind
from shoplabel.services import ai_jobs, auto_review, prelabel
from shoplabel.web.deps import CurrentActor, UowDep, UowFactoryDep
from shoplabel.web.schemas.ai import (
    ModelVersionRead,
    PredictionPage,
    PredictionRead,
    ReviewFlagRead,
)
from shoplabel.web.schemas.jobs import JobRead

__all__ = ["router"]

router = APIRouter(tags=["ai"])


@router.post("/projects/{project_id}/ai/embed", status_code=202)
def queue_embed(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> JobRead:
    """Queue embedding the project's items (cached texts are skipped)."""
    job = ai_jobs.enqueue_ai_job(uow, actor=actor, project_id=project_id, kind=JobKind.EMBED)
    return JobRead.from_domain(job)


@router.post("/projects/{project_id}/ai/prelabel", status_code=202)
def queue_prelabel(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> JobRead:
    """Queue a pre-labelling run: a new model version, calibrated, predicting every item."""
    job = ai_jobs.enqueue_ai_job(uow, actor=actor, project_id=project_id, kind=JobKind.PRELABEL)
    return JobRead.from_domain(job)


@router.post("/projects/{project_id}/ai/autolabel", status_code=202)
def queue_autolabel(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> JobRead:
    """Queue auto-labelling with the latest calibrated model version."""
    job = ai_jobs.enqueue_ai_job(uow, actor=actor, project_id=project_id, kind=JobKind.AUTOLABEL)
    return JobRead.from_domain(job)


@router.post("/projects/{project_id}/ai/review", status_code=202)
def queue_autoreview(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> JobRead:
    """Queue automatic review: cleanlab sends likely wrong consensus labels to review."""
    job = ai_jobs.enqueue_ai_job(uow, actor=actor, project_id=project_id, kind=JobKind.AUTOREVIEW)
    return JobRead.from_domain(job)


@router.get("/projects/{project_id}/ai/flags")
def list_review_flags(
    project_id: ProjectId,
    actor: CurrentActor,
    uows: UowFactoryDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ReviewFlagRead]:
    """Why automatic review sent items to review, by item id."""
    flags = auto_review.list_flags(
        uows, actor=actor, project_id=project_id, after_id=after_id, limit=limit
    )
    return [ReviewFlagRead.from_domain(f) for f in flags]


@router.get("/projects/{project_id}/models")
def list_model_versions(
    project_id: ProjectId,
    actor: CurrentActor,
    uows: UowFactoryDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ModelVersionRead]:
    """The project's model versions, newest first."""
    versions = prelabel.list_versions(uows, actor=actor, project_id=project_id, limit=limit)
    return [ModelVersionRead.from_domain(v) for v in versions]


@router.get("/projects/{project_id}/predictions")
def list_predictions(
    project_id: ProjectId,
    actor: CurrentActor,
    uows: UowFactoryDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> PredictionPage:
    """The latest prediction of each item, by item id (managers only)."""
    rows = prelabel.list_predictions(
        uows, actor=actor, project_id=project_id, after_id=after_id, limit=limit
    )
    return PredictionPage(
        items=[PredictionRead.from_domain(p) for p in rows],
        next_after_id=rows[-1].item_id if len(rows) == limit else None,
    )
