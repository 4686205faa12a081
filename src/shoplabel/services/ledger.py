"""Posting to the ledger: one entry per cause, each recorded in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ledger import Account, AccountKind, NewEntry
from shoplabel.domain.ports import UnitOfWork
from shoplabel.services import audit

__all__ = ["BalanceCheck", "check_balances", "post", "project_account", "worker_account"]


def project_account(project_id: int, currency: str) -> Account:
    return Account(AccountKind.PROJECT, project_id, currency)


def worker_account(
    worker_id: int, currency: str, kind: AccountKind = AccountKind.WORKER
) -> Account:
    return Account(kind, worker_id, currency)


def post(uow: UnitOfWork, entry: NewEntry) -> bool:
    """Post ``entry`` unless its cause was already posted; ``True`` if it was written."""
    entry_id = uow.ledger.post(entry, now=uow.now())
    if entry_id is None:
        return False
    audit.record(
        uow,
        AuditKind.PAY_ENTRY,
        {
            "entry_id": entry_id,
            "cause": entry.cause,
            "entry_kind": entry.kind.value,
            "currency": entry.currency,
            "amount": entry.amount,
            "withheld": entry.withheld,
            "project_id": entry.project_id,
            "worker_id": entry.worker_id,
            "postings": [
                [p.account.kind.value, p.account.owner_id, p.amount] for p in entry.postings
            ],
        },
    )
    return True


@dataclass(frozen=True, slots=True)
class BalanceCheck:
    n_entries: int
    unbalanced: tuple[int, ...]


def check_balances(uows: Callable[[], UnitOfWork], *, batch: int = 50_000) -> BalanceCheck:
    """Every entry's postings sum to zero per currency (the double-entry invariant)."""
    after, n, bad = 0, 0, []
    with uows().reading() as uow:
        while True:
            rows = uow.ledger.stream(after_id=after, limit=batch)
            if not rows:
                break
            n += len({r[0] for r in rows})
            bad += [entry_id for entry_id, _, total in rows if total != 0]
            after = rows[-1][0]
    return BalanceCheck(n_entries=n, unbalanced=tuple(sorted(set(bad))))
