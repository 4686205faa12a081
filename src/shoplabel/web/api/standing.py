"""A worker's own quality standing: why they were warned, suspended or banned."""

from __future__ import annotations

from fastapi import APIRouter

from shoplabel.domain.ids import ProjectId
from shoplabel.services import worker_quality
from shoplabel.web.deps import CurrentActor, UowDep
from shoplabel.web.schemas.standing import StandingRead

__all__ = ["router"]

router = APIRouter(tags=["standing"])


@router.get("/projects/{project_id}/standing")
def my_standing(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> StandingRead:
    """Your status in the project and every quality decision about you, newest first."""
    standing = worker_quality.my_standing(uow, actor=actor, project_id=project_id)
    return StandingRead.from_domain(standing)
