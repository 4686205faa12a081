"""Logins, the current user, accounts and API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shoplabel.domain.users import Actor, ApiToken, Role, User, UserStatus
from shoplabel.services.auth import IssuedToken

__all__ = [
    "LoginCreate",
    "LoginRead",
    "MeRead",
    "TokenCreate",
    "TokenCreatedRead",
    "TokenRead",
    "UserCreate",
    "UserPage",
    "UserRead",
    "UserUpdate",
]


class LoginCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginRead(BaseModel):
    """A new session: the cookie is set too; ``token`` also works as a bearer token."""

    token: str
    token_type: str = "bearer"
    csrf_token: str
    expires_at: datetime | None
    user_id: int

    @classmethod
    def from_domain(cls, issued: IssuedToken, *, csrf_token: str) -> LoginRead:
        return cls(
            token=issued.secret,
            csrf_token=csrf_token,
            expires_at=issued.token.expires_at,
            user_id=issued.token.user_id,
        )


class MeRead(BaseModel):
    """Who is logged in; ``csrf_token`` is set for cookie sessions only."""

    id: int
    username: str
    role: Role
    csrf_token: str | None

    @classmethod
    def from_domain(cls, actor: Actor, *, csrf_token: str | None) -> MeRead:
        return cls(
            id=actor.user_id, username=actor.username, role=actor.role, csrf_token=csrf_token
        )


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    days: int | None = Field(default=None, ge=1, le=3650, description="Lifetime; none: forever.")


class TokenRead(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_domain(cls, token: ApiToken) -> TokenRead:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
        )


class TokenCreatedRead(BaseModel):
    """A new API token: ``secret`` is shown this once and never again."""

    secret: str
    token: TokenRead

    @classmethod
    def from_domain(cls, issued: IssuedToken) -> TokenCreatedRead:
        return cls(secret=issued.secret, token=TokenRead.from_domain(issued.token))


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: Role = Role.WORKER
    display_name: str = Field(default="", max_length=200)


class UserUpdate(BaseModel):
    role: Role | None = None
    status: UserStatus | None = None


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    status: UserStatus
    created_at: datetime

    @classmethod
    def from_domain(cls, user: User) -> UserRead:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            status=user.status,
            created_at=user.created_at,
        )


class UserPage(BaseModel):
    items: list[UserRead]
    offset: int
    limit: int
    next_offset: int | None

    @classmethod
    def from_domain(cls, users: list[User], *, offset: int, limit: int) -> UserPage:
        return cls(
            items=[UserRead.from_domain(u) for u in users],
            offset=offset,
            limit=limit,
            next_offset=offset + limit if len(users) == limit else None,
        )
