"""Session cookie and CSRF token helpers, shared by the JSON API and the HTML pages.

A browser session is a random secret in the ``shoplabel_session`` cookie (HttpOnly, so scripts
cannot read it). Requests that change state with that cookie must also send the CSRF token in
the ``X-CSRF-Token`` header: an HMAC-SHA256 of the session secret keyed by the platform secret.
A cross-site page can make the browser send the cookie, but it cannot read the token, so it
cannot forge the header. Bearer-token clients never rely on ambient cookies and need no token.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from starlette.responses import Response

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "UNSAFE_METHODS",
    "clear_session_cookie",
    "csrf_matches",
    "csrf_token",
    "set_session_cookie",
]

SESSION_COOKIE: Final = "shoplabel_session"
CSRF_HEADER: Final = "X-CSRF-Token"
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token(secret: str, session_secret: str) -> str:
    """The CSRF token of a session: hex HMAC-SHA256 of ``session_secret`` keyed by ``secret``."""
    mac = hmac.new(secret.encode("utf-8"), session_secret.encode("utf-8"), hashlib.sha256)
    return mac.hexdigest()


def csrf_matches(secret: str, session_secret: str, candidate: str | None) -> bool:
    """True when ``candidate`` is the session's CSRF token (constant-time comparison)."""
    if not candidate:
        return False
    return hmac.compare_digest(csrf_token(secret, session_secret), candidate)


def set_session_cookie(
    response: Response, session_secret: str, *, max_age: int, secure: bool
) -> None:
    """Store a login session in the browser: HttpOnly, SameSite=Lax, Secure when configured."""
    response.set_cookie(
        SESSION_COOKIE,
        session_secret,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    """Remove the session cookie (logout)."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
