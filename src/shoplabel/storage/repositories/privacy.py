"""Sealed originals of masked items (``item_secrets``) and the reveal audit (``reveals``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update

from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.domain.privacy import ItemSecret, NewItemSecret, Reveal
from shoplabel.storage.dialect import insert_ignoring_conflicts
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import ItemRow, ItemSecretRow, RevealRow, UserRow

__all__ = ["SqlPrivacyRepository"]

_T = cast(Table, ItemSecretRow.__table__)
_SECRET_COLUMNS = (
    ItemSecretRow.item_id,
    ItemSecretRow.project_id,
    ItemRow.external_id,
    ItemSecretRow.key_id,
    ItemSecretRow.sealed,
    ItemSecretRow.views,
    ItemSecretRow.found,
)
_FIND = (
    select(*_SECRET_COLUMNS)
    .join(ItemRow, ItemRow.id == ItemSecretRow.item_id)
    .where(ItemSecretRow.item_id == bindparam("b_id"))
)
_REKEY = (
    update(_T)
    .where(_T.c.item_id == bindparam("b_id"), _T.c.key_id == bindparam("b_old"))
    .values(key_id=bindparam("b_new"), sealed=bindparam("b_sealed"))
)


def _secret(r: Any) -> ItemSecret:
    return ItemSecret(
        item_id=ItemId(r.item_id),
        project_id=ProjectId(r.project_id),
        external_id=r.external_id,
        key_id=r.key_id,
        sealed=bytes(r.sealed),
        views=r.views,
        found=r.found,
    )


class SqlPrivacyRepository(Repository):
    def add_secrets(self, project_id: ProjectId, secrets: Mapping[ItemId, NewItemSecret]) -> None:
        """Store the secrets of freshly inserted items (an item keeps its first secret)."""
        if not secrets:
            return
        now = self._now()
        rows = [
            {
                "item_id": item_id,
                "project_id": project_id,
                "key_id": s.key_id,
                "sealed": s.sealed,
                "views": dict(s.views),
                "found": dict(s.found),
                "created_at": now,
            }
            for item_id, s in secrets.items()
        ]
        dialect = self._s.get_bind().dialect.name
        self._s.execute(insert_ignoring_conflicts(_T, dialect, keys=("item_id",)), rows)

    def find(self, item_id: ItemId) -> ItemSecret | None:
        row = self._s.execute(_FIND, {"b_id": item_id}).first()
        return None if row is None else _secret(row)

    def views(self, item_ids: Sequence[ItemId]) -> dict[ItemId, Mapping[str, Any]]:
        """The audiences' views of those items that have any (one indexed read)."""
        if not item_ids:
            return {}
        stmt = select(ItemSecretRow.item_id, ItemSecretRow.views).where(
            ItemSecretRow.item_id.in_(set(item_ids))
        )
        return {ItemId(r.item_id): r.views for r in self._s.execute(stmt) if r.views}

    def key_counts(self, project_id: ProjectId | None) -> dict[str, int]:
        stmt = select(ItemSecretRow.key_id, func.count()).group_by(ItemSecretRow.key_id)
        if project_id is not None:
            stmt = stmt.where(ItemSecretRow.project_id == project_id)
        return {str(k): int(n) for k, n in self._s.execute(stmt)}

    def list_by_key(
        self, key_id: str, *, project_id: ProjectId | None, after_item_id: int, limit: int
    ) -> list[ItemSecret]:
        """Secrets sealed with ``key_id``, by item id after ``after_item_id`` (rotation walk)."""
        stmt = (
            select(*_SECRET_COLUMNS)
            .join(ItemRow, ItemRow.id == ItemSecretRow.item_id)
            .where(ItemSecretRow.key_id == key_id, ItemSecretRow.item_id > after_item_id)
            .order_by(ItemSecretRow.item_id)
            .limit(limit)
        )
        if project_id is not None:
            stmt = stmt.where(ItemSecretRow.project_id == project_id)
        return [_secret(r) for r in self._s.execute(stmt)]

    def rekey(self, item_id: ItemId, *, old_key_id: str, key_id: str, sealed: bytes) -> bool:
        """Replace a secret's ciphertext if it is still sealed with ``old_key_id``."""
        params = {"b_id": item_id, "b_old": old_key_id, "b_new": key_id, "b_sealed": sealed}
        return self._rowcount(_REKEY, params) == 1

    def add_reveal(
        self,
        item_id: ItemId,
        *,
        project_id: ProjectId,
        actor_id: UserId,
        fields: Sequence[str],
        reason: str,
    ) -> int:
        row = RevealRow(
            project_id=project_id,
            item_id=item_id,
            actor_id=actor_id,
            fields=list(fields),
            reason=reason,
            created_at=self._now(),
        )
        self._s.add(row)
        self._s.flush()
        return int(row.id)

    def list_reveals(
        self, project_id: ProjectId, *, item_id: ItemId | None, before_id: int | None, limit: int
    ) -> list[Reveal]:
        """Newest first, keyset by id."""
        stmt = (
            select(RevealRow, UserRow.username)
            .join(UserRow, UserRow.id == RevealRow.actor_id)
            .where(RevealRow.project_id == project_id)
            .order_by(RevealRow.id.desc())
            .limit(limit)
        )
        if item_id is not None:
            stmt = stmt.where(RevealRow.item_id == item_id)
        if before_id is not None:
            stmt = stmt.where(RevealRow.id < before_id)
        return [
            Reveal(
                id=int(r.id),
                project_id=ProjectId(r.project_id),
                item_id=ItemId(r.item_id),
                actor_id=UserId(r.actor_id),
                actor_username=username,
                fields=tuple(r.fields),
                reason=r.reason,
                created_at=r.created_at,
            )
            for r, username in self._s.execute(stmt)
        ]
