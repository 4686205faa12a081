"""Reveal the originals of masked fields (audited) and read the reveal audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.services import reveals
from shoplabel.web.deps import CurrentActor, PlatformDep, UowDep
from shoplabel.web.schemas.privacy import RevealCreate, RevealedRead, RevealPage

__all__ = ["router"]

router = APIRouter(tags=["privacy"])


@router.post("/items/{item_id}/reveal")
def reveal_item(
    item_id: ItemId, body: RevealCreate, actor: CurrentActor, uow: UowDep, platform: PlatformDep
) -> RevealedRead:
    """The originals of an item's masked fields: admins and the project's owner; recorded."""
    revealed = reveals.reveal(
        uow,
        actor=actor,
        item_id=item_id,
        keys=platform.privacy,
        reason=body.reason,
        fields=body.fields,
    )
    return RevealedRead.from_domain(revealed)


@router.get("/projects/{project_id}/reveals")
def list_reveals(
    project_id: ProjectId,
    actor: CurrentActor,
    uow: UowDep,
    item_id: ItemId | None = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> RevealPage:
    """The project's reveal audit, newest first (keyset paging by ``before_id``)."""
    rows = reveals.list_reveals(
        uow, actor=actor, project_id=project_id, item_id=item_id, before_id=before_id, limit=limit
    )
    return RevealPage.from_domain(rows, limit=limit)
