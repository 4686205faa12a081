"""What every page shares: the logged-in user, CSRF checks, the language and rendering.

Pages authenticate with the session cookie only (never a bearer token), so every form that
changes state carries the session's CSRF token in a hidden ``csrf_token`` field; the page's
JavaScript sends the same token in the ``X-CSRF-Token`` header to the JSON API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from shoplabel.domain.users import Actor, Role
from shoplabel.errors import AuthenticationFailed
from shoplabel.services import auth
from shoplabel.web.deps import PlatformDep
from shoplabel.web.errors import CsrfTokenInvalid
from shoplabel.web.i18n import LANG_COOKIE, LANGUAGES, MESSAGES, choose_lang, translate
from shoplabel.web.security import SESSION_COOKIE, csrf_matches, csrf_token

__all__ = [
    "CSRF_FIELD",
    "PageUser",
    "PageUserDep",
    "check_csrf",
    "home_url",
    "lang_of",
    "render",
]

CSRF_FIELD = "csrf_token"
_TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True, slots=True)
class PageUser:
    """The logged-in user of a page and the CSRF token of their session."""

    actor: Actor
    csrf: str
    session: str


def page_user(request: Request, platform: PlatformDep) -> PageUser:
    """Authenticate a page request by its session cookie.

    Raises:
        AuthenticationFailed: no cookie, or an unknown, revoked or expired session (the page
            error handler answers it with a redirect to the login page).
        AccountDisabled: the account is suspended or banned.
    """
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise AuthenticationFailed("log in first")
    actor = auth.authenticate(platform.uow(), secret=session, cache=platform.token_cache)
    return PageUser(actor=actor, csrf=csrf_token(platform.secret, session), session=session)


PageUserDep = Annotated[PageUser, Depends(page_user)]


def check_csrf(secret: str, user: PageUser, token: str | None) -> None:
    """Reject a form post whose hidden CSRF token is not the session's.

    Raises:
        CsrfTokenInvalid: missing or wrong token.
    """
    if not csrf_matches(secret, user.session, token):
        raise CsrfTokenInvalid("missing or wrong CSRF token in the form")


def home_url(actor: Actor) -> str:
    """Where ``/`` sends each role."""
    if actor.role is Role.ADMIN:
        return "/admin/users"
    if actor.role is Role.REQUESTER:
        return "/projects"
    return "/home"


def lang_of(request: Request) -> str:
    return choose_lang(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


@cache
def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(_TEMPLATE_DIR))
    templates.env.filters["tojson_attr"] = _tojson
    return templates


def _tojson(value: Any) -> Markup:
    """JSON safe to embed in a ``<script type="application/json">`` block."""
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    user: PageUser | None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render template ``name`` with the language, translator, user and CSRF token."""
    lang = lang_of(request)

    def t(key: str) -> str:
        return translate(lang, key)

    base = {
        "lang": lang,
        "languages": LANGUAGES,
        "t": t,
        "messages": dict(MESSAGES[lang]),
        "user": user,
        "csrf": user.csrf if user else "",
        "csrf_field": CSRF_FIELD,
        "home": home_url(user.actor) if user else "/login",
        "path": request.url.path,
    }
    return _templates().TemplateResponse(
        request, name, {**base, **context}, status_code=status_code
    )
