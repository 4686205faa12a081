"""Accounts, roles and the acting principal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shoplabel.domain.ids import TokenId, UserId
from shoplabel.errors import InvalidInput

__all__ = ["Actor", "ApiToken", "Role", "User", "UserStatus", "validate_username"]

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")


class Role(StrEnum):
    """Platform roles, from most to least privileged."""

    ADMIN = "admin"
    REQUESTER = "requester"
    REVIEWER = "reviewer"
    WORKER = "worker"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BANNED = "banned"


@dataclass(frozen=True, slots=True)
class User:
    id: UserId
    username: str
    role: Role
    status: UserStatus
    created_at: datetime
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is making a request: the authenticated user, as services see it."""

    user_id: UserId
    username: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user_id=user.id, username=user.username, role=user.role)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A bearer token's public record; the secret itself is only ever stored hashed."""

    id: TokenId
    user_id: UserId
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


def validate_username(username: str) -> str:
    """Return ``username`` if it is 2-64 characters of letters, digits and ``_.@-``.

    Raises:
        InvalidInput: naming the rule that failed.
    """
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"username {username!r} must be 2-64 characters: letters, digits, '_', '.', '@', '-',"
            " starting with a letter or digit",
            details={"field": "username"},
        )
    return username
