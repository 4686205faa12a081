"""Leases: a worker's time-limited hold on one overlap slot of an item.

Every state change is a conditional ``UPDATE ... WHERE state = 'active'``: a lease is settled
(submitted, skipped or expired) exactly once, however many requests race for it.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import cast

from sqlalchemy import Table, Update, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from shoplabel.domain.annotations import Lease, LeaseState
from shoplabel.domain.ids import ItemId, LeaseId, ProjectId, UserId
from shoplabel.errors import Conflict, LeaseNotFound
from shoplabel.storage.mappers import to_lease
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import LeaseRow

__all__ = ["SqlLeaseRepository"]

_T = cast(Table, LeaseRow.__table__)
_ACTIVE = LeaseState.ACTIVE.value
_INSERT = insert(_T).returning(*_T.c)
_GET = select(_T).where(_T.c.id == bindparam("b_id"))
_FIND_ACTIVE = (
    select(_T)
    .where(
        _T.c.project_id == bindparam("b_project"),
        _T.c.worker_id == bindparam("b_worker"),
        _T.c.state == _ACTIVE,
        _T.c.expires_at > bindparam("b_now"),
    )
    .order_by(_T.c.id)
    .limit(1)
)
_SETTLE = (
    update(_T)
    .where(
        _T.c.id == bindparam("b_id"),
        _T.c.worker_id == bindparam("b_worker"),
        _T.c.state == _ACTIVE,
        _T.c.expires_at > bindparam("b_now"),
    )
    .values(state=bindparam("b_state"), settled_at=bindparam("b_now"))
    .returning(*_T.c)
)


class SqlLeaseRepository(Repository):
    def add(
        self,
        *,
        item_id: ItemId,
        project_id: ProjectId,
        worker_id: UserId,
        now: datetime,
        expires_at: datetime,
    ) -> Lease:
        # No savepoint: a unique violation means a concurrent request of the same worker,
        # and the whole unit of work is abandoned with a Conflict anyway.
        try:
            row = self._s.execute(
                _INSERT,
                {
                    "item_id": item_id,
                    "project_id": project_id,
                    "worker_id": worker_id,
                    "state": _ACTIVE,
                    "created_at": now,
                    "expires_at": expires_at,
                },
            ).one()
        except IntegrityError:
            raise Conflict(f"worker {worker_id} already holds or settled item {item_id}") from None
        return to_lease(row)

    def get(self, lease_id: LeaseId) -> Lease:
        row = self._s.execute(_GET, {"b_id": lease_id}).first()
        if row is None:
            raise LeaseNotFound(f"lease {lease_id} does not exist", details={"lease_id": lease_id})
        return to_lease(row)

    def find_active(
        self, project_id: ProjectId, worker_id: UserId, *, now: datetime
    ) -> Lease | None:
        params = {"b_project": project_id, "b_worker": worker_id, "b_now": now}
        row = self._s.execute(_FIND_ACTIVE, params).first()
        return None if row is None else to_lease(row)

    def settle(
        self, lease_id: LeaseId, *, worker_id: UserId, state: LeaseState, now: datetime
    ) -> Lease | None:
        """Move an active, unexpired lease of ``worker_id`` to ``state`` and return it as
        settled; ``None`` if it was not active, not theirs or already expired."""
        params = {"b_id": lease_id, "b_worker": worker_id, "b_now": now, "b_state": state.value}
        row = self._s.execute(_SETTLE, params).first()
        return None if row is None else to_lease(row)

    def expire_due(self, project_id: ProjectId, *, now: datetime, limit: int) -> list[ItemId]:
        """Expire up to ``limit`` overdue active leases; return their items (one per lease).

        Walks ``ix_leases_sweep``; when nothing is due this is one empty index range scan.
        """
        params = {"b_project": project_id, "b_now": now}
        return [ItemId(i) for i in self._s.scalars(_expire_due(limit), params)]


@cache
def _expire_due(limit: int) -> Update:
    due = (
        select(_T.c.id)
        .where(
            _T.c.project_id == bindparam("b_project"),
            _T.c.state == _ACTIVE,
            _T.c.expires_at <= bindparam("b_now"),
        )
        .limit(limit)
        .scalar_subquery()
    )
    return (
        update(_T)
        .where(_T.c.id.in_(due), _T.c.state == _ACTIVE)
        .values(state=LeaseState.EXPIRED.value, settled_at=bindparam("b_now"))
        .returning(_T.c.item_id)
    )
