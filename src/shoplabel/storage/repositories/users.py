"""Users and API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from shoplabel.domain.ids import TokenId, UserId
from shoplabel.domain.users import ApiToken, Role, User, UserStatus
from shoplabel.errors import UserExists, UserNotFound
from shoplabel.storage.mappers import to_token, to_user
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import ApiTokenRow, UserRow

__all__ = ["SqlTokenRepository", "SqlUserRepository"]

_U = cast(Table, UserRow.__table__)
_TOK = cast(Table, ApiTokenRow.__table__)
_FIND_USER = (
    select(_U)
    .join(_TOK, _TOK.c.user_id == _U.c.id)
    .where(_TOK.c.token_hash == bindparam("b_hash"), _TOK.c.revoked_at.is_(None))
    .where(_TOK.c.expires_at.is_(None) | (_TOK.c.expires_at > bindparam("b_now")))
)


class SqlUserRepository(Repository):
    def add(self, *, username: str, role: Role, password_hash: str, display_name: str) -> User:
        row = UserRow(
            username=username,
            role=role.value,
            status=UserStatus.ACTIVE.value,
            password_hash=password_hash,
            display_name=display_name,
            created_at=self._now(),
        )
        try:
            with self._s.begin_nested():
                self._s.add(row)
                self._s.flush()
        except IntegrityError:
            raise UserExists(
                f"user {username!r} already exists", details={"field": "username"}
            ) from None
        return to_user(row)

    def get(self, user_id: UserId) -> User:
        row = self._s.get(UserRow, user_id)
        if row is None:
            raise UserNotFound(f"user {user_id} does not exist")
        return to_user(row)

    def find_by_username(self, username: str) -> User | None:
        row = self._s.scalars(select(UserRow).where(UserRow.username == username)).first()
        return None if row is None else to_user(row)

    def password_hash(self, user_id: UserId) -> str:
        value = self._s.scalar(select(UserRow.password_hash).where(UserRow.id == user_id))
        if value is None:
            raise UserNotFound(f"user {user_id} does not exist")
        return value

    def set_password_hash(self, user_id: UserId, password_hash: str) -> None:
        self._s.execute(
            update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash)
        )

    def list_all(self, *, offset: int, limit: int) -> list[User]:
        rows = self._s.scalars(select(UserRow).order_by(UserRow.id).offset(offset).limit(limit))
        return [to_user(r) for r in rows]

    def set_role(self, user_id: UserId, role: Role) -> None:
        if not self._rowcount(update(UserRow).where(UserRow.id == user_id).values(role=role.value)):
            raise UserNotFound(f"user {user_id} does not exist")

    def set_status(self, user_id: UserId, status: UserStatus) -> None:
        if not self._rowcount(
            update(UserRow).where(UserRow.id == user_id).values(status=status.value)
        ):
            raise UserNotFound(f"user {user_id} does not exist")

    def get_many(self, user_ids: Sequence[UserId]) -> dict[UserId, User]:
        if not user_ids:
            return {}
        rows = self._s.scalars(select(UserRow).where(UserRow.id.in_(set(user_ids))))
        return {UserId(r.id): to_user(r) for r in rows}


class SqlTokenRepository(Repository):
    def add(
        self,
        *,
        user_id: UserId,
        name: str,
        token_hash: str,
        prefix: str,
        expires_at: datetime | None,
        is_session: bool,
    ) -> ApiToken:
        row = ApiTokenRow(
            user_id=user_id,
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            is_session=is_session,
            created_at=self._now(),
            expires_at=expires_at,
        )
        self._s.add(row)
        self._s.flush()
        return to_token(row)

    def find_user(self, token_hash: str, *, now: datetime) -> User | None:
        row = self._s.execute(_FIND_USER, {"b_hash": token_hash, "b_now": now}).first()
        return None if row is None else to_user(row)

    def list_for_user(self, user_id: UserId) -> list[ApiToken]:
        rows = self._s.scalars(
            select(ApiTokenRow)
            .where(
                ApiTokenRow.user_id == user_id,
                ApiTokenRow.revoked_at.is_(None),
                ApiTokenRow.is_session.is_(False),
            )
            .order_by(ApiTokenRow.id)
        )
        return [to_token(r) for r in rows]

    def revoke(self, token_id: TokenId, *, user_id: UserId | None) -> bool:
        stmt = update(ApiTokenRow).where(
            ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None)
        )
        if user_id is not None:
            stmt = stmt.where(ApiTokenRow.user_id == user_id)
        return self._rowcount(stmt.values(revoked_at=self._now())) == 1

    def revoke_hash(self, token_hash: str) -> None:
        self._s.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.token_hash == token_hash)
            .values(revoked_at=self._now())
        )
