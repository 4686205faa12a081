"""Login sessions, the current user and their API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response

from shoplabel.domain.ids import TokenId
from shoplabel.services import auth
from shoplabel.web.deps import CurrentActor, CurrentCredentials, PlatformDep, UowDep
from shoplabel.web.schemas.accounts import (
    LoginCreate,
    LoginRead,
    MeRead,
    TokenCreate,
    TokenCreatedRead,
    TokenRead,
)
from shoplabel.web.security import clear_session_cookie, csrf_token, set_session_cookie

__all__ = ["router"]

router = APIRouter(tags=["auth"])


@router.post("/auth/login")
def login(body: LoginCreate, response: Response, platform: PlatformDep, uow: UowDep) -> LoginRead:
    """Check a password, open a session (cookie) and return its token and CSRF token."""
    settings = platform.settings
    issued = auth.login(
        uow, username=body.username, password=body.password, session_hours=settings.session_hours
    )
    set_session_cookie(
        response,
        issued.secret,
        max_age=settings.session_hours * 3600,
        secure=settings.cookie_secure,
    )
    return LoginRead.from_domain(issued, csrf_token=csrf_token(platform.secret, issued.secret))


@router.post("/auth/logout", status_code=204)
def logout(credentials: CurrentCredentials, platform: PlatformDep, uow: UowDep) -> Response:
    """Revoke the session or token used for this request and clear the cookie."""
    auth.logout(uow, secret=credentials.secret)
    response = Response(status_code=204)
    clear_session_cookie(response, secure=platform.settings.cookie_secure)
    return response


@router.get("/me")
def me(credentials: CurrentCredentials, platform: PlatformDep) -> MeRead:
    token = csrf_token(platform.secret, credentials.secret) if credentials.via_cookie else None
    return MeRead.from_domain(credentials.actor, csrf_token=token)


@router.post("/me/tokens", status_code=201)
def create_token(body: TokenCreate, actor: CurrentActor, uow: UowDep) -> TokenCreatedRead:
    """Issue an API token for yourself; its secret is only shown in this response."""
    issued = auth.create_token(
        uow, actor=actor, username=actor.username, name=body.name, days=body.days
    )
    return TokenCreatedRead.from_domain(issued)


@router.get("/me/tokens")
def list_tokens(actor: CurrentActor, uow: UowDep) -> list[TokenRead]:
    return [TokenRead.from_domain(t) for t in auth.list_tokens(uow, actor=actor)]


@router.delete("/me/tokens/{token_id}", status_code=204)
def revoke_token(token_id: TokenId, actor: CurrentActor, uow: UowDep) -> Response:
    auth.revoke_token(uow, actor=actor, token_id=token_id)
    return Response(status_code=204)
