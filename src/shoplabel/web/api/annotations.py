"""Reading a project's annotations (workers only ever see their own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.services import submissions
from shoplabel.web.deps import CurrentActor, UowDep
from shoplabel.web.schemas.work import AnnotationPage

__all__ = ["router"]

router = APIRouter(tags=["annotations"])


@router.get("/projects/{project_id}/annotations")
def list_annotations(
    project_id: ProjectId,
    actor: CurrentActor,
    uow: UowDep,
    item_id: ItemId | None = None,
    worker_id: UserId | None = None,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AnnotationPage:
    rows = submissions.list_annotations(
        uow,
        actor=actor,
        project_id=project_id,
        item_id=item_id,
        worker_id=worker_id,
        after_id=after_id,
        limit=limit,
    )
    return AnnotationPage.from_domain(rows, limit=limit)
