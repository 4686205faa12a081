"""The privacy page of a project (managers): look an item up, reveal the originals of its
masked fields with a reason (recorded), and read the reveal audit.

The reveal answers with the page itself (200), not a redirect: the originals are shown once,
to the person who asked, and never put in a URL. Reloading repeats the POST, which is a new
reveal and is audited as one.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.services import privacy_pages
from shoplabel.web.deps import PlatformDep, UowDep
from shoplabel.web.pages.common import CSRF_FIELD, PageUserDep, check_csrf, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _context(view: privacy_pages.PrivacyPage) -> dict[str, Any]:
    return {"view": view, "dumps": lambda v: json.dumps(v, ensure_ascii=False, indent=2)}


@router.get("/projects/{project_id}/privacy", response_class=HTMLResponse)
def privacy_page(
    project_id: ProjectId,
    request: Request,
    user: PageUserDep,
    uow: UowDep,
    item_id: ItemId | None = None,
) -> HTMLResponse:
    view = privacy_pages.privacy_page(uow, actor=user.actor, project_id=project_id, item_id=item_id)
    return render(request, "requester/privacy.html", _context(view), user=user)


@router.post("/projects/{project_id}/privacy/reveal", response_class=HTMLResponse)
def reveal_form(  # noqa: PLR0913 - one parameter per form field and dependency
    project_id: ProjectId,
    request: Request,
    user: PageUserDep,
    uow: UowDep,
    platform: PlatformDep,
    item_id: Annotated[ItemId, Form()],
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> HTMLResponse:
    check_csrf(platform.secret, user, csrf_token)
    view = privacy_pages.reveal_on_page(
        uow,
        actor=user.actor,
        project_id=project_id,
        item_id=item_id,
        keys=platform.privacy,
        reason=reason,
    )
    return render(request, "requester/privacy.html", _context(view), user=user)
