"""Admin pages: the user list, role changes, suspend and ban (``services.auth``), and the
platform health page (``services.platform_health``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoplabel import __version__
from shoplabel.domain.ids import UserId
from shoplabel.domain.users import Role, UserStatus
from shoplabel.services import auth, platform_health
from shoplabel.web.deps import PlatformDep, UowDep
from shoplabel.web.pages.common import CSRF_FIELD, PageUserDep, check_csrf, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
_PAGE = 200


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    offset = max(0, int(request.query_params.get("offset", "0") or 0))
    users = auth.list_users(uow, actor=user.actor, offset=offset, limit=_PAGE)
    context = {"users": users, "roles": list(Role), "statuses": list(UserStatus)}
    return render(request, "admin/users.html", context, user=user)


@router.post("/admin/users/{user_id}/role", response_class=RedirectResponse)
def change_role(
    user_id: UserId,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    role: Annotated[Role, Form()],
    csrf: CsrfField = "",
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf)
    auth.change_role(uow, actor=user.actor, user_id=user_id, role=role)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/status", response_class=RedirectResponse)
def change_status(
    user_id: UserId,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    status: Annotated[UserStatus, Form()],
    csrf: CsrfField = "",
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf)
    auth.set_status(uow, actor=user.actor, user_id=user_id, status=status)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/health", response_class=HTMLResponse)
def health_page(
    request: Request, user: PageUserDep, platform: PlatformDep, uow: UowDep
) -> HTMLResponse:
    health = platform_health.platform_health(
        uow, actor=user.actor, data_dir=platform.settings.data_dir, version=__version__
    )
    return render(request, "admin/health.html", {"health": health}, user=user)
