"""Login, logout, the language switch and ``/`` (the user's home by role).

The login form has no session yet, so its CSRF token is bound to a random pre-login cookie
(``shoplabel_login``, HttpOnly): a cross-site page can make the browser post the form but can
neither read the cookie nor compute the token from it.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shoplabel.errors import AccountDisabled, AuthenticationFailed
from shoplabel.services import auth
from shoplabel.web.deps import PlatformDep, UowDep
from shoplabel.web.errors import CsrfTokenInvalid
from shoplabel.web.i18n import LANG_COOKIE, MESSAGES
from shoplabel.web.pages.common import (
    CSRF_FIELD,
    PageUserDep,
    check_csrf,
    home_url,
    page_user,
    render,
)
from shoplabel.web.security import (
    clear_session_cookie,
    csrf_matches,
    csrf_token,
    set_session_cookie,
)

__all__ = ["LOGIN_COOKIE", "router"]

router = APIRouter(include_in_schema=False)

LOGIN_COOKIE: Final = "shoplabel_login"
_YEAR: Final = 365 * 24 * 3600


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_form(
    request: Request,
    platform: PlatformDep,
    *,
    username: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {
            "login_csrf": csrf_token(platform.secret, "login:" + nonce),
            "username": username,
            "errors": errors or {},
            "next": _safe_next(request.query_params.get("next")) or "",
        },
        user=None,
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_COOKIE, nonce, httponly=True, samesite="lax", secure=platform.settings.cookie_secure
    )
    return response


@router.get("/", response_class=RedirectResponse)
def root(request: Request, platform: PlatformDep) -> RedirectResponse:
    """The user's home by role, or the login page."""
    try:
        user = page_user(request, platform)
    except AuthenticationFailed:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_url(user.actor), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, platform: PlatformDep) -> HTMLResponse:
    return _login_form(request, platform)


@router.post("/login", response_model=None)
def login_submit(
    request: Request,
    platform: PlatformDep,
    uow: UowDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token_field: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the password; on success set the session cookie and answer 303 to the home."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not csrf_matches(platform.secret, "login:" + nonce, csrf_token_field):
        raise CsrfTokenInvalid("missing or wrong CSRF token in the login form")
    if not username.strip():
        return _login_form(
            request, platform, errors={"username": "login.required"}, status_code=422
        )
    try:
        issued = auth.login(
            uow,
            username=username.strip(),
            password=password,
            session_hours=platform.settings.session_hours,
        )
    except AccountDisabled:
        errors = {"username": "login.disabled"}
        return _login_form(request, platform, username=username, errors=errors, status_code=403)
    except AuthenticationFailed:
        errors = {"password": "login.failed"}
        return _login_form(request, platform, username=username, errors=errors, status_code=401)
    user = auth.authenticate(platform.uow(), secret=issued.secret)
    response = RedirectResponse(_safe_next(next_url) or home_url(user), status_code=303)
    set_session_cookie(
        response,
        issued.secret,
        max_age=platform.settings.session_hours * 3600,
        secure=platform.settings.cookie_secure,
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout", response_class=RedirectResponse)
def logout_submit(
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    csrf_token_field: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf_token_field)
    auth.logout(uow, secret=user.session)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, secure=platform.settings.cookie_secure)
    return response


@router.get("/lang/{code}", response_class=RedirectResponse)
def switch_language(code: str, request: Request, platform: PlatformDep) -> RedirectResponse:
    """Remember the chosen language in the ``lang`` cookie and go back where the user was."""
    target = _safe_next(request.query_params.get("next")) or "/"
    response = RedirectResponse(target, status_code=303)
    if code in MESSAGES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=_YEAR,
            samesite="lax",
            secure=platform.settings.cookie_secure,
        )
    return response
