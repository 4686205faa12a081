"""Accounts, passwords, login sessions and API tokens.

Passwords are hashed with argon2id. API tokens and session tokens are random 256-bit secrets
shown once; only their SHA-256 is stored, so a database leak does not leak credentials, and a
lookup is one unique-index probe.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ids import TokenId, UserId
from shoplabel.domain.permissions import can_manage_users, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor, ApiToken, Role, User, UserStatus, validate_username
from shoplabel.errors import (
    AccountDisabled,
    AuthenticationFailed,
    InvalidInput,
    TokenNotFound,
    UserNotFound,
)
from shoplabel.services import audit
from shoplabel.services.token_cache import TokenCache, generation, invalidate_all

__all__ = [
    "IssuedToken",
    "actor_for",
    "authenticate",
    "cached_actor",
    "change_role",
    "create_token",
    "create_user",
    "list_tokens",
    "list_users",
    "login",
    "logout",
    "revoke_token",
    "set_status",
    "token_hash",
]

_HASHER = PasswordHasher()
#: Stored instead of a hash for accounts without a password; argon2 rejects it as invalid.
LOCKED_PASSWORD = "!"
_MIN_PASSWORD = 8
# Verifying against a fixed hash for unknown users keeps login time independent of whether
# the username exists.
_DUMMY_HASH = _HASHER.hash("shoplabel-dummy-password")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly issued secret (shown once) and its public record."""

    secret: str
    token: ApiToken


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < _MIN_PASSWORD:
        raise InvalidInput(
            f"password must have at least {_MIN_PASSWORD} characters", details={"field": "password"}
        )


def create_user(
    uow: UnitOfWork,
    *,
    actor: Actor | None,
    username: str,
    password: str | None,
    role: Role,
    display_name: str = "",
) -> User:
    """Create an account. ``actor=None`` is the local operator (CLI ``user add``).

    ``password=None`` creates an account that cannot log in with a password (API-token only,
    or replayed crowd workers): its stored hash is the marker ``!``, which never verifies.
    """
    if actor is not None:
        require(can_manage_users(actor), "create users (admins only)")
    validate_username(username)
    if password is None:
        password_hash = LOCKED_PASSWORD
    else:
        _check_password(password)
        password_hash = _HASHER.hash(password)
    with uow:
        user = uow.users.add(
            username=username,
            role=role,
            password_hash=password_hash,
            display_name=display_name or username,
        )
        uow.commit()
    return user


def _issue(
    uow: UnitOfWork, user: User, *, name: str, ttl: timedelta | None, is_session: bool
) -> IssuedToken:
    secret = "slt_" + secrets.token_urlsafe(32)
    expires = None if ttl is None else uow.now() + ttl
    token = uow.tokens.add(
        user_id=user.id,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[:10],
        expires_at=expires,
        is_session=is_session,
    )
    return IssuedToken(secret=secret, token=token)


def _require_active(user: User) -> None:
    if user.status is not UserStatus.ACTIVE:
        raise AccountDisabled(f"account {user.username!r} is {user.status.value}")


def login(uow: UnitOfWork, *, username: str, password: str, session_hours: int) -> IssuedToken:
    """Check a password and open a session; the same error for unknown user and bad password.

    Raises:
        AuthenticationFailed: wrong username or password.
        AccountDisabled: the account is suspended or banned.
    """
    with uow:
        user = uow.users.find_by_username(username)
        stored = _DUMMY_HASH if user is None else uow.users.password_hash(user.id)
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            user = None
        if user is None:
            raise AuthenticationFailed("wrong username or password")
        _require_active(user)
        if _HASHER.check_needs_rehash(stored):
            uow.users.set_password_hash(user.id, _HASHER.hash(password))
        issued = _issue(
            uow, user, name="session", ttl=timedelta(hours=session_hours), is_session=True
        )
        uow.commit()
    return issued


def logout(uow: UnitOfWork, *, secret: str) -> None:
    with uow:
        uow.tokens.revoke_hash(token_hash(secret))
        uow.commit()
    invalidate_all()


def authenticate(uow: UnitOfWork, *, secret: str, cache: TokenCache | None = None) -> Actor:
    """Resolve a bearer or session secret to the acting user.

    With ``cache``, a token that authenticated less than ``cache.ttl`` seconds ago is not
    looked up again (see :mod:`shoplabel.services.token_cache` for how stale it may be).

    Raises:
        AuthenticationFailed: unknown, revoked or expired token.
        AccountDisabled: the account is suspended or banned.
    """
    hashed = token_hash(secret)
    if cache is not None and (hit := cache.get(hashed)) is not None:
        return hit
    since = generation()
    with uow.reading():
        user = uow.tokens.find_user(hashed, now=uow.now())
    if user is None:
        raise AuthenticationFailed("invalid, expired or revoked token")
    _require_active(user)
    actor = Actor.of(user)
    if cache is not None:
        cache.put(hashed, actor, since=since)
    return actor


def cached_actor(cache: TokenCache, *, secret: str) -> Actor | None:
    """The actor ``secret`` authenticated as moments ago, without touching the database
    (``None``: call :func:`authenticate`)."""
    return cache.get(token_hash(secret))


def create_token(
    uow: UnitOfWork, *, actor: Actor | None, username: str, name: str, days: int | None
) -> IssuedToken:
    """Issue an API token for ``username`` (their own, or anyone's for an admin / operator)."""
    if days is not None and days < 1:
        raise InvalidInput("token lifetime must be at least one day", details={"field": "days"})
    with uow:
        user = uow.users.find_by_username(username)
        if user is None:
            raise AuthenticationFailed(f"no user {username!r}")
        if actor is not None:
            require(
                actor.user_id == user.id or can_manage_users(actor),
                "create tokens for another user",
            )
        ttl = None if days is None else timedelta(days=days)
        issued = _issue(uow, user, name=name, ttl=ttl, is_session=False)
        uow.commit()
    return issued


def list_tokens(uow: UnitOfWork, *, actor: Actor) -> list[ApiToken]:
    with uow.reading():
        return uow.tokens.list_for_user(actor.user_id)


def revoke_token(uow: UnitOfWork, *, actor: Actor, token_id: TokenId) -> None:
    with uow:
        owner = None if can_manage_users(actor) else actor.user_id
        if not uow.tokens.revoke(token_id, user_id=owner):
            raise TokenNotFound(f"token {token_id} does not exist or is not yours")
        uow.commit()
    invalidate_all()


def list_users(uow: UnitOfWork, *, actor: Actor, offset: int, limit: int) -> list[User]:
    require(can_manage_users(actor), "list users (admins only)")
    with uow.reading():
        return uow.users.list_all(offset=offset, limit=limit)


def change_role(uow: UnitOfWork, *, actor: Actor | None, user_id: UserId, role: Role) -> User:
    if actor is not None:
        require(can_manage_users(actor), "change roles (admins only)")
    with uow:
        before = uow.users.get(user_id).role
        uow.users.set_role(user_id, role)
        user = uow.users.get(user_id)
        fields = {"user_id": user_id, "from": before.value, "to": role.value}
        audit.record(
            uow, AuditKind.ROLE_CHANGED, {**fields, "by": None if actor is None else actor.user_id}
        )
        uow.commit()
    invalidate_all()
    return user


def set_status(uow: UnitOfWork, *, actor: Actor, user_id: UserId, status: UserStatus) -> User:
    require(can_manage_users(actor), "suspend or ban users (admins only)")
    if user_id == actor.user_id:
        raise InvalidInput("admins cannot change their own status", details={"field": "user_id"})
    with uow:
        uow.users.set_status(user_id, status)
        user = uow.users.get(user_id)
        fields = {"user_id": user_id, "to": status.value, "by": actor.user_id}
        audit.record(uow, AuditKind.STATUS_CHANGED, fields)
        uow.commit()
    invalidate_all()
    return user


def actor_for(uow: UnitOfWork, *, username: str) -> Actor:
    """The actor for a local operator acting as ``username`` (CLI).

    Raises:
        UserNotFound: no such user.
        AccountDisabled: the account is suspended or banned.
    """
    with uow.reading():
        user = uow.users.find_by_username(username)
    if user is None:
        raise UserNotFound(
            f"no user {username!r}; create one with `shoplabel user add`",
            details={"field": "username"},
        )
    _require_active(user)
    return Actor.of(user)
