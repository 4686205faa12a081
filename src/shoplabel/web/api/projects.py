"""Projects: create, list, read, configure, add members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from shoplabel.domain.ids import ProjectId
from shoplabel.services import projects
from shoplabel.web.deps import CurrentActor, UowDep
from shoplabel.web.schemas.projects import (
    MemberCreate,
    ProjectCreate,
    ProjectPage,
    ProjectRead,
    ProjectSettingsUpdate,
)

__all__ = ["router"]

router = APIRouter(tags=["projects"])


@router.post("/projects", status_code=201)
def create_project(body: ProjectCreate, actor: CurrentActor, uow: UowDep) -> ProjectRead:
    project = projects.create_project(uow, body.to_spec(), actor=actor)
    return ProjectRead.from_domain(project)


@router.get("/projects")
def list_projects(
    actor: CurrentActor,
    uow: UowDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ProjectPage:
    """Admins see every project, requesters their own, workers those they may label."""
    rows = projects.list_projects(uow, actor=actor, offset=offset, limit=limit)
    return ProjectPage.from_domain(rows, offset=offset, limit=limit)


@router.get("/projects/{project_id}")
def get_project(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> ProjectRead:
    return ProjectRead.from_domain(projects.get_project(uow, actor=actor, project_id=project_id))


@router.patch("/projects/{project_id}/settings")
def update_settings(
    project_id: ProjectId, body: ProjectSettingsUpdate, actor: CurrentActor, uow: UowDep
) -> ProjectRead:
    project = projects.update_settings(
        uow, actor=actor, project_id=project_id, changes=body.changes()
    )
    return ProjectRead.from_domain(project)


@router.post("/projects/{project_id}/members", status_code=204)
def add_member(
    project_id: ProjectId, body: MemberCreate, actor: CurrentActor, uow: UowDep
) -> Response:
    projects.add_member(uow, actor=actor, project_id=project_id, user_id=body.id())
    return Response(status_code=204)
