"""The ledger: entries posted once per cause, balances summed from postings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, select

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.ledger import AccountKind, EntryKind, LedgerEntry, NewEntry
from shoplabel.domain.pay_ports import DaySpend
from shoplabel.storage.dialect import insert_ignoring_conflicts
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import LedgerEntryRow, LedgerPostingRow

__all__ = ["SqlLedgerRepository"]

_E = cast(Table, LedgerEntryRow.__table__)
_P = cast(Table, LedgerPostingRow.__table__)
_POSTINGS = insert(_P)
#: Entries that move a project's money (what a requester spent).
_SPEND = (EntryKind.REWARD, EntryKind.REVERSAL, EntryKind.PENALTY, EntryKind.BONUS)


def _to_entry(r: Any) -> LedgerEntry:
    return LedgerEntry(
        id=r.id,
        cause=r.cause,
        kind=EntryKind(r.kind),
        currency=r.currency,
        amount=r.amount,
        withheld=r.withheld,
        project_id=None if r.project_id is None else ProjectId(r.project_id),
        worker_id=None if r.worker_id is None else UserId(r.worker_id),
        work_day=r.work_day,
        rule_version=r.rule_version,
        score=r.score,
        memo=r.memo,
        created_at=r.created_at,
    )


def _entry_values(entry: NewEntry, now: datetime) -> dict[str, Any]:
    return {
        "cause": entry.cause,
        "kind": entry.kind.value,
        "currency": entry.currency,
        "amount": entry.amount,
        "withheld": entry.withheld,
        "project_id": entry.project_id,
        "worker_id": entry.worker_id,
        "work_day": entry.work_day,
        "rule_version": entry.rule_version,
        "score": entry.score,
        "score_kind": entry.score_kind,
        "memo": entry.memo,
        "created_at": now,
    }


class SqlLedgerRepository(Repository):
    def post(self, entry: NewEntry, *, now: datetime) -> int | None:
        """Insert the entry and its postings; ``None`` (and nothing written) if an entry with
        the same cause exists."""
        posted = self.post_many([entry], now=now)
        return posted[0][0] if posted else None

    def post_many(
        self, entries: Sequence[NewEntry], *, now: datetime
    ) -> list[tuple[int, NewEntry]]:
        """Insert entries whose cause is new (one multi-row ``INSERT … ON CONFLICT (cause) DO
        NOTHING RETURNING``) and their postings; return the inserted ones with their ids. On
        PostgreSQL a concurrent insert of the same cause waits for the other transaction and
        then does nothing."""
        if not entries:
            return []
        stmt = insert_ignoring_conflicts(_E, self._s.get_bind().dialect.name, keys=["cause"])
        rows = self._s.execute(
            stmt.returning(_E.c.id, _E.c.cause), [_entry_values(e, now) for e in entries]
        )
        ids = {str(r.cause): int(r.id) for r in rows}
        posted = [(ids[e.cause], e) for e in entries if e.cause in ids]
        postings = [
            {
                "entry_id": entry_id,
                "account_kind": p.account.kind.value,
                "owner_id": p.account.owner_id,
                "currency": p.account.currency,
                "amount": p.amount,
            }
            for entry_id, e in posted
            for p in e.postings
        ]
        if postings:
            self._s.execute(_POSTINGS, postings)
        return posted

    def find(self, cause: str) -> LedgerEntry | None:
        row = self._s.execute(select(_E).where(_E.c.cause == cause)).first()
        return None if row is None else _to_entry(row)

    def existing(self, causes: Sequence[str]) -> set[str]:
        if not causes:
            return set()
        rows = self._s.execute(select(_E.c.cause).where(_E.c.cause.in_(set(causes))))
        return {str(r.cause) for r in rows}

    def earned_on_day(self, project_id: ProjectId, worker_id: UserId, day: date) -> int:
        total = self._s.execute(
            select(func.coalesce(func.sum(_E.c.amount), 0)).where(
                _E.c.project_id == project_id,
                _E.c.worker_id == worker_id,
                _E.c.work_day == day,
                _E.c.kind == EntryKind.REWARD.value,
            )
        ).scalar_one()
        return int(total)

    def balances(
        self, owner_id: int, kinds: Sequence[AccountKind]
    ) -> list[tuple[AccountKind, str, int]]:
        rows = self._s.execute(
            select(_P.c.account_kind, _P.c.currency, func.sum(_P.c.amount))
            .where(_P.c.owner_id == owner_id, _P.c.account_kind.in_([k.value for k in kinds]))
            .group_by(_P.c.account_kind, _P.c.currency)
        )
        return [(AccountKind(k), str(c), int(s)) for k, c, s in rows]

    def entries(
        self,
        *,
        worker_id: UserId | None,
        project_id: ProjectId | None,
        kinds: Sequence[EntryKind] | None,
        before_id: int | None,
        limit: int,
    ) -> list[LedgerEntry]:
        stmt = select(_E)
        if worker_id is not None:
            stmt = stmt.where(_E.c.worker_id == worker_id)
        if project_id is not None:
            stmt = stmt.where(_E.c.project_id == project_id)
        if kinds is not None:
            stmt = stmt.where(_E.c.kind.in_([k.value for k in kinds]))
        if before_id is not None:
            stmt = stmt.where(_E.c.id < before_id)
        rows = self._s.execute(stmt.order_by(_E.c.id.desc()).limit(limit))
        return [_to_entry(r) for r in rows]

    def spend_by_day(self, project_id: ProjectId) -> list[DaySpend]:
        accepted = case((_E.c.kind == EntryKind.REWARD.value, 1), else_=0) - case(
            (_E.c.kind == EntryKind.REVERSAL.value, 1), else_=0
        )
        rows = self._s.execute(
            select(_E.c.work_day, _E.c.currency, func.sum(_E.c.amount), func.sum(accepted))
            .where(_E.c.project_id == project_id, _E.c.kind.in_([k.value for k in _SPEND]))
            .group_by(_E.c.work_day, _E.c.currency)
            .order_by(_E.c.work_day)
        )
        return [(d, str(c), int(s), int(n)) for d, c, s, n in rows if d is not None]

    def period_scores(
        self, project_id: ProjectId, *, start: date, end: date, score_kind: str
    ) -> dict[UserId, tuple[int, float]]:
        rows = self._s.execute(
            select(_E.c.worker_id, func.count(), func.sum(_E.c.score))
            .where(
                _E.c.project_id == project_id,
                _E.c.work_day >= start,
                _E.c.work_day < end,
                _E.c.score_kind == score_kind,
            )
            .group_by(_E.c.worker_id)
        )
        return {UserId(w): (int(n), float(s or 0.0)) for w, n, s in rows if w is not None}

    def period_totals(
        self, project_id: ProjectId, *, start: date, end: date
    ) -> dict[UserId, tuple[int, int]]:
        """Per worker: (accepted labels, their rewards net of reversals) in ``[start, end)``."""
        accepted = case((_E.c.kind == EntryKind.REWARD.value, 1), else_=0) - case(
            (_E.c.kind == EntryKind.REVERSAL.value, 1), else_=0
        )
        rows = self._s.execute(
            select(_E.c.worker_id, func.sum(accepted), func.sum(_E.c.amount))
            .where(
                _E.c.project_id == project_id,
                _E.c.work_day >= start,
                _E.c.work_day < end,
                _E.c.kind.in_([EntryKind.REWARD.value, EntryKind.REVERSAL.value]),
            )
            .group_by(_E.c.worker_id)
        )
        return {UserId(w): (int(n), int(s)) for w, n, s in rows if w is not None}

    def available(self, currency: str, *, minimum: int) -> list[tuple[UserId, int]]:
        total = func.sum(_P.c.amount)
        rows = self._s.execute(
            select(_P.c.owner_id, total)
            .where(_P.c.account_kind == AccountKind.WORKER.value, _P.c.currency == currency)
            .group_by(_P.c.owner_id)
            .having(total >= max(minimum, 1))
            .order_by(_P.c.owner_id)
        )
        return [(UserId(w), int(s)) for w, s in rows]

    def stream(self, *, after_id: int, limit: int) -> list[tuple[int, str, int]]:
        """(entry id, currency, sum of its postings) in id order: the balance check."""
        rows = self._s.execute(
            select(_P.c.entry_id, _P.c.currency, func.sum(_P.c.amount))
            .where(_P.c.entry_id > after_id)
            .group_by(_P.c.entry_id, _P.c.currency)
            .order_by(_P.c.entry_id)
            .limit(limit)
        )
        return [(int(i), str(c), int(s)) for i, c, s in rows]
