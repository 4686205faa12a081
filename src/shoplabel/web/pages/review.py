"""Reviewer pages: the projects with items in review, and one project's review queue.

The queue page shows one item at a time (all its labels with the labellers' skills, the
current posterior and the proposed label) and a form to accept, correct or reject it with a
reason; ``services.review`` checks the role, so anyone else gets the 403/404 error page. A
decision answers ``303`` to the next item of the queue.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.reviews import ReviewDecision
from shoplabel.errors import InvalidInput
from shoplabel.services import review, review_pages
from shoplabel.web.deps import PlatformDep, UowDep
from shoplabel.web.pages.common import PageUser, PageUserDep, check_csrf, render

__all__ = ["DecisionIn", "router"]

router = APIRouter(include_in_schema=False)


@router.get("/review", response_class=HTMLResponse)
def review_projects_page(request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    rows = review_pages.review_projects(uow, actor=user.actor)
    return render(request, "review/projects.html", {"projects": rows}, user=user)


def _queue_page(
    request: Request,
    user: PageUser,
    uow: UowDep,
    project_id: ProjectId,
    *,
    after_id: int,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    view = review_pages.review_page(uow, actor=user.actor, project_id=project_id, after_id=after_id)
    context = {
        "view": view,
        "schema": view.project.schema,
        "errors": errors or {},
        "last": request.query_params.get("last", ""),
        "dumps": lambda v: json.dumps(v, ensure_ascii=False),
    }
    status = 422 if errors else 200
    return render(request, "review/queue.html", context, user=user, status_code=status)


@router.get("/projects/{project_id}/review", response_class=HTMLResponse)
def review_queue_page(
    project_id: ProjectId, request: Request, user: PageUserDep, uow: UowDep, after: int = 0
) -> HTMLResponse:
    return _queue_page(request, user, uow, project_id, after_id=max(0, after))


def _parse_decision(raw: str) -> ReviewDecision:
    if raw not in {d.value for d in ReviewDecision}:
        raise InvalidInput("choose accept, correct or reject", details={"field": "decision"})
    return ReviewDecision(raw)


def _parse_value(decision: ReviewDecision, raw: str) -> Any:
    if decision is not ReviewDecision.CORRECT or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidInput(
            "the corrected label is not valid JSON", details={"field": "value"}
        ) from None


class DecisionIn(BaseModel):
    """The decision form as posted."""

    csrf_token: str = ""
    decision: str = ""
    stage: int = 0
    value: str = ""
    reason: str = ""


@router.post("/projects/{project_id}/review/{item_id}", response_model=None)
def review_decide(
    project_id: ProjectId,
    item_id: ItemId,
    request: Request,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    posted: Annotated[DecisionIn, Form()],
) -> Response:
    """Record the decision and answer 303 to the next item, or show the field's error."""
    check_csrf(platform.secret, user, posted.csrf_token)
    try:
        decision = _parse_decision(posted.decision)
        result = review.decide(
            uow,
            actor=user.actor,
            item_id=item_id,
            decision=decision,
            value=_parse_value(decision, posted.value),
            reason=posted.reason,
            stage=posted.stage,
        )
    except InvalidInput as e:
        field = str(e.details.get("field", ""))
        field = field if field in ("reason", "decision") else "value"
        return _queue_page(
            request, user, uow, project_id, after_id=item_id - 1, errors={field: e.message}
        )
    url = f"/projects/{project_id}/review?after={item_id}&last={result.outcome.value}"
    return RedirectResponse(url, status_code=303)
