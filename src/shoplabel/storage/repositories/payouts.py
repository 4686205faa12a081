"""Payout batches and their lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update

from shoplabel.domain.ids import UserId
from shoplabel.domain.payouts import BatchStatus, LineStatus, PayoutBatch, PayoutLine
from shoplabel.errors import PayoutBatchNotFound
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import PayoutBatchRow, PayoutLineRow, UserRow

__all__ = ["SqlPayoutRepository"]

_B = cast(Table, PayoutBatchRow.__table__)
_L = cast(Table, PayoutLineRow.__table__)
_U = cast(Table, UserRow.__table__)


def _to_batch(r: Any) -> PayoutBatch:
    return PayoutBatch(
        id=r.id,
        currency=r.currency,
        minimum=r.minimum,
        status=BatchStatus(r.status),
        n_lines=r.n_lines,
        total=r.total,
        created_at=r.created_at,
        settled_at=r.settled_at,
    )


def _lines_query() -> Any:
    return (
        select(_L, _B.c.currency, _U.c.username)
        .join(_B, _B.c.id == _L.c.batch_id)
        .join(_U, _U.c.id == _L.c.worker_id)
    )


def _to_line(r: Any) -> PayoutLine:
    return PayoutLine(
        id=r.id,
        batch_id=r.batch_id,
        worker_id=UserId(r.worker_id),
        username=r.username,
        amount=r.amount,
        currency=r.currency,
        status=LineStatus(r.status),
        provider_ref=r.provider_ref,
        settled_at=r.settled_at,
    )


class SqlPayoutRepository(Repository):
    def add_batch(
        self,
        currency: str,
        *,
        minimum: int,
        lines: Sequence[tuple[UserId, int]],
        created_by: UserId | None,
    ) -> PayoutBatch:
        values = {
            "currency": currency,
            "minimum": minimum,
            "status": BatchStatus.OPEN.value,
            "n_lines": len(lines),
            "total": sum(a for _, a in lines),
            "created_by": created_by,
            "created_at": self._now(),
            "settled_at": None,
        }
        row = self._s.execute(insert(_B).returning(*_B.c), values).one()
        if lines:
            self._s.execute(
                insert(_L),
                [
                    {
                        "batch_id": row.id,
                        "worker_id": w,
                        "amount": a,
                        "status": LineStatus.PENDING.value,
                        "provider_ref": "",
                        "settled_at": None,
                    }
                    for w, a in lines
                ],
            )
        return _to_batch(row)

    def get(self, batch_id: int) -> PayoutBatch:
        row = self._s.execute(select(_B).where(_B.c.id == batch_id)).first()
        if row is None:
            raise PayoutBatchNotFound(
                f"payout batch {batch_id} does not exist", details={"batch_id": batch_id}
            )
        return _to_batch(row)

    def list_batches(self, *, limit: int) -> list[PayoutBatch]:
        rows = self._s.execute(select(_B).order_by(_B.c.id.desc()).limit(limit))
        return [_to_batch(r) for r in rows]

    def lines(self, batch_id: int) -> list[PayoutLine]:
        rows = self._s.execute(_lines_query().where(_L.c.batch_id == batch_id).order_by(_L.c.id))
        return [_to_line(r) for r in rows]

    def settle(self, line_id: int, *, status: LineStatus, provider_ref: str) -> bool:
        """Settle a pending line; ``False`` if it was already settled (concurrently)."""
        stmt = (
            update(_L)
            .where(_L.c.id == line_id, _L.c.status == LineStatus.PENDING.value)
            .values(status=status.value, provider_ref=provider_ref, settled_at=self._now())
        )
        return self._rowcount(stmt) == 1

    def close_if_settled(self, batch_id: int) -> bool:
        pending = self._s.execute(
            select(func.count())
            .select_from(_L)
            .where(_L.c.batch_id == batch_id, _L.c.status == LineStatus.PENDING.value)
        ).scalar_one()
        if pending:
            return False
        stmt = (
            update(_B)
            .where(_B.c.id == batch_id, _B.c.status == BatchStatus.OPEN.value)
            .values(status=BatchStatus.SETTLED.value, settled_at=self._now())
        )
        return self._rowcount(stmt) == 1

    def worker_lines(self, worker_id: UserId, *, limit: int) -> list[PayoutLine]:
        rows = self._s.execute(
            _lines_query().where(_L.c.worker_id == worker_id).order_by(_L.c.id.desc()).limit(limit)
        )
        return [_to_line(r) for r in rows]
