"""Request dependencies: the platform, units of work, the acting user and an RNG.

The dependencies are ``async def`` although they do no I/O of their own: FastAPI runs a plain
``def`` dependency in the thread pool, and five thread hops per request cost more CPU than the
next-task service itself. The one that may read the database (authentication, on a token
cache miss) hands that read to the thread pool explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shoplabel.bootstrap import Platform
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import AuthenticationFailed
from shoplabel.services import auth
from shoplabel.web.errors import CsrfTokenInvalid
from shoplabel.web.security import CSRF_HEADER, SESSION_COOKIE, UNSAFE_METHODS, csrf_matches

__all__ = [
    "Credentials",
    "CurrentActor",
    "CurrentCredentials",
    "PlatformDep",
    "RngDep",
    "UowDep",
    "UowFactoryDep",
]

_bearer = HTTPBearer(auto_error=False, description="An API token or a login token.")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description=f"Browser session; unsafe methods also need the {CSRF_HEADER} header.",
)


async def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def get_uow(platform: PlatformDep) -> UnitOfWork:
    """A fresh unit of work; the service called with it owns the transaction."""
    return platform.uow()


async def get_uow_factory(platform: PlatformDep) -> Callable[[], UnitOfWork]:
    """For services that run many short transactions (imports, exports)."""
    return platform.uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
UowFactoryDep = Annotated[Callable[[], UnitOfWork], Depends(get_uow_factory)]


@dataclass(frozen=True, slots=True)
class Credentials:
    """The acting user and the secret that authenticated them."""

    actor: Actor
    secret: str
    via_cookie: bool


async def _authenticate(platform: Platform, secret: str) -> Actor:
    cache = platform.token_cache
    if cache is not None and (actor := auth.cached_actor(cache, secret=secret)) is not None:
        return actor
    return await run_in_threadpool(auth.authenticate, platform.uow(), secret=secret, cache=cache)


async def get_credentials(
    request: Request,
    platform: PlatformDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: Annotated[str | None, Depends(_cookie)],
) -> Credentials:
    """Authenticate by ``Authorization: Bearer`` (preferred) or the session cookie.

    Raises:
        AuthenticationFailed: no credentials, or an unknown, revoked or expired secret.
        AccountDisabled: the account is suspended or banned.
        CsrfTokenInvalid: a cookie-authenticated unsafe request without a valid CSRF token.
    """
    if bearer is not None:
        actor = await _authenticate(platform, bearer.credentials)
        return Credentials(actor=actor, secret=bearer.credentials, via_cookie=False)
    if not session:
        raise AuthenticationFailed(
            "not authenticated: log in, or send 'Authorization: Bearer <token>'"
        )
    actor = await _authenticate(platform, session)
    if request.method in UNSAFE_METHODS and not csrf_matches(
        platform.secret, session, request.headers.get(CSRF_HEADER)
    ):
        raise CsrfTokenInvalid(
            f"missing or wrong {CSRF_HEADER} header; it is returned by login and GET /me",
            details={"header": CSRF_HEADER},
        )
    return Credentials(actor=actor, secret=session, via_cookie=True)


async def get_actor(credentials: Annotated[Credentials, Depends(get_credentials)]) -> Actor:
    return credentials.actor


CurrentCredentials = Annotated[Credentials, Depends(get_credentials)]
CurrentActor = Annotated[Actor, Depends(get_actor)]


async def get_rng() -> np.random.Generator:
    """A generator seeded from OS entropy per request: no shared state between threads."""
    return np.random.default_rng()


RngDep = Annotated[np.random.Generator, Depends(get_rng)]
