"""Items: pages for managers; a single item for managers or the worker leasing it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import ItemStatus
from shoplabel.services import assignment, projects
from shoplabel.web.deps import CurrentActor, UowDep
from shoplabel.web.schemas.work import ItemPage, ItemRead

__all__ = ["router"]

router = APIRouter(tags=["items"])


@router.get("/projects/{project_id}/items")
def list_items(
    project_id: ProjectId,
    actor: CurrentActor,
    uow: UowDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    status: ItemStatus | None = None,
) -> ItemPage:
    """Items by id after ``after_id`` (keyset paging), gold included: managers only."""
    rows = projects.list_items(
        uow, actor=actor, project_id=project_id, after_id=after_id, limit=limit, status=status
    )
    return ItemPage.from_domain(rows, limit=limit)


@router.get("/items/{item_id}")
def get_item(item_id: ItemId, actor: CurrentActor, uow: UowDep) -> ItemRead:
    """Managers see everything; a worker only an item they hold a lease on, without gold."""
    return ItemRead.from_domain(assignment.read_item(uow, actor=actor, item_id=item_id))
