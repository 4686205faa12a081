"""Worker exam page: start the project's qualification exam, answer its questions with the
keyboard, see the right answer after a wrong one in training mode, then go and label.

``services.exams`` checks the role and the attempt rules; every post answers ``303`` back to
the exam page, which shows the next question.
"""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.errors import InvalidInput
from shoplabel.services import exams, worker_pages
from shoplabel.web.deps import PlatformDep, RngDep, UowDep
from shoplabel.web.pages.common import CSRF_FIELD, PageUserDep, check_csrf, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]


def _shown(raw: str) -> str:
    """The revealed answer as text: a JSON string shows bare, anything else as its JSON."""
    try:
        value = json.loads(raw) if raw else ""
    except ValueError:
        return raw
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@router.get("/projects/{project_id}/exam", response_class=HTMLResponse)
def exam_page(
    project_id: ProjectId, request: Request, user: PageUserDep, uow: UowDep
) -> HTMLResponse:
    view = worker_pages.exam_page(uow, actor=user.actor, project_id=project_id)
    context = {
        "view": view,
        "last": request.query_params.get("last", ""),
        "shown": _shown(request.query_params.get("shown", "")),
        "dumps": lambda v: json.dumps(v, ensure_ascii=False),
    }
    return render(request, "worker/exam.html", context, user=user)


@router.post("/projects/{project_id}/exam/start", response_class=RedirectResponse)
def exam_start(
    project_id: ProjectId,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    rng: RngDep,
    csrf: CsrfField = "",
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf)
    exams.start_exam(uow, actor=user.actor, project_id=project_id, rng=rng)
    return RedirectResponse(f"/projects/{project_id}/exam", status_code=303)


@router.post("/projects/{project_id}/exam/answer", response_class=RedirectResponse)
def exam_answer(
    project_id: ProjectId,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    item_id: Annotated[ItemId, Form()],
    value: Annotated[str, Form()],
    csrf: CsrfField = "",
) -> RedirectResponse:
    """Grade the answer; after a wrong one the revealed label (if any) rides on the redirect."""
    check_csrf(platform.secret, user, csrf)
    try:
        parsed = json.loads(value)
    except ValueError:
        raise InvalidInput("the answer is not valid JSON", details={"field": "value"}) from None
    view = exams.answer(uow, actor=user.actor, project_id=project_id, item_id=item_id, value=parsed)
    query = {"last": "right" if view.last_correct else "wrong"}
    if view.correct_answer is not None:
        query["shown"] = json.dumps(view.correct_answer, ensure_ascii=False)
    return RedirectResponse(f"/projects/{project_id}/exam?{urlencode(query)}", status_code=303)
