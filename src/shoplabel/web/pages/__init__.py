"""Server-rendered pages: one router module per area, Jinja2 templates, small static scripts.

Handlers are thin (parse, call one service, convert to a frozen view) and use the same
services as the JSON API, so authorization is the services'. Domain errors on a page become an
HTML error page (or a redirect to the login page); the JSON API keeps its JSON envelope.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from shoplabel.errors import AuthenticationFailed, ShoplabelError
from shoplabel.web.errors import CsrfTokenInvalid, status_for
from shoplabel.web.pages import (
    admin,
    assets,
    auth,
    data_quality,
    exam,
    pay,
    privacy,
    requester,
    review,
    worker,
)
from shoplabel.web.pages.common import render
from shoplabel.web.urls import API_PREFIX

__all__ = ["PAGE_MODULES", "STATIC_URL", "install_pages"]

_STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_URL = "/static"
PAGE_MODULES = (auth, assets, worker, exam, review, requester, admin, privacy, pay, data_quality)


def _error_key(exc: ShoplabelError, status: int) -> str:
    if isinstance(exc, CsrfTokenInvalid):
        return "error.csrf"
    return {403: "error.forbidden", 404: "error.not_found"}.get(status, "error.invalid")


def install_pages(app: FastAPI) -> None:
    """Add the page routers, ``/static`` and the HTML rendering of errors on pages."""
    for module in PAGE_MODULES:
        app.include_router(module.router)
    # Mounted on a router, not on the app: every page path then lives in an included router,
    # next to the API's.
    static = APIRouter()
    static.mount(STATIC_URL, StaticFiles(directory=_STATIC_DIR), name="static")
    app.include_router(static)
    api_handler = app.exception_handlers[ShoplabelError]

    async def page_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API_PREFIX) or not isinstance(exc, ShoplabelError):
            response = api_handler(request, exc)  # the JSON envelope, unchanged
            return await response if inspect.isawaitable(response) else response
        if isinstance(exc, AuthenticationFailed):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        status = status_for(exc)
        context = {"message_key": _error_key(exc, status), "code": exc.code, "detail": exc.message}
        return render(request, "error.html", context, user=None, status_code=status)

    app.add_exception_handler(ShoplabelError, page_error)
