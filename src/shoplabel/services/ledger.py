"""Posting to the ledger: one entry per cause, each recorded in the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ledger import Account, AccountKind, NewEntry
from shoplabel.domain.ports import UnitOfWork
from shoplabel.services import audit

__all__ = [
    "BalanceCheck",
    "check_balances",
    "post",
    "project_account",
    "record_entries",
    "worker_account",
    "write",
]


def project_account(project_id: int, currency: str) -> Account:
    return Account(AccountKind.PROJECT, project_id, currency)


def worker_account(
    worker_id: int, currency: str, kind: AccountKind = AccountKind.WORKER
) -> Account:
    return Account(kind, worker_id, currency)


def write(uow: UnitOfWork, entry: NewEntry) -> int | None:
    """Post ``entry`` unless its cause was already posted; return its id if it was written.
    The caller records it in the audit trail with :func:`record_entries`."""
    return uow.ledger.post(entry, now=uow.now())


def _entry_fields(entry_id: int, e: NewEntry) -> dict[str, object]:
    return {
        "entry_id": entry_id,
        "cause": e.cause,
        "entry_kind": e.kind.value,
        "currency": e.currency,
        "amount": e.amount,
        "withheld": e.withheld,
        "project_id": e.project_id,
        "worker_id": e.worker_id,
        "postings": [[p.account.kind.value, p.account.owner_id, p.amount] for p in e.postings],
    }


def record_entries(uow: UnitOfWork, posted: Sequence[tuple[int, NewEntry]]) -> None:
    """One audit record for the entries posted in this transaction (the accrual writes one
    per batch, not one per label: half the audit rows to write and seal)."""
    if posted:
        entries = [_entry_fields(i, e) for i, e in posted]
        audit.record(uow, AuditKind.PAY_ENTRY, {"entries": entries})


def post(uow: UnitOfWork, entry: NewEntry) -> bool:
    """Post ``entry`` and record it in the audit trail; ``False`` if its cause was posted."""
    entry_id = write(uow, entry)
    if entry_id is None:
        return False
    record_entries(uow, [(entry_id, entry)])
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
