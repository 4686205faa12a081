"""Review: the queue of items the crowd could not settle, and decisions on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.services import review
from shoplabel.web.deps import CurrentActor, UowDep
from shoplabel.web.schemas.review import ReviewCreate, ReviewPage, ReviewResultRead

__all__ = ["router"]

router = APIRouter(tags=["review"])


@router.get("/projects/{project_id}/review")
def review_queue(
    project_id: ProjectId,
    actor: CurrentActor,
    uow: UowDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=review.MAX_PAGE)] = 20,
    stage: Annotated[int | None, Query(ge=0)] = None,
) -> ReviewPage:
    """Items in review by id after ``after_id``: reviewers and the project's managers."""
    queue = review.review_queue(
        uow, actor=actor, project_id=project_id, after_id=after_id, limit=limit, stage=stage
    )
    return ReviewPage.from_domain(queue)


@router.post("/items/{item_id}/review")
def decide(
    item_id: ItemId, body: ReviewCreate, actor: CurrentActor, uow: UowDep
) -> ReviewResultRead:
    """Accept, correct or reject an item in review, with a reason."""
    result = review.decide(
        uow,
        actor=actor,
        item_id=item_id,
        decision=body.decision,
        value=body.value,
        reason=body.reason,
        stage=body.stage,
    )
    return ReviewResultRead.from_domain(result)
