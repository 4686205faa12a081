"""Payout batches: create (earnings at or above a minimum move into the batch), export for the
payment provider, and settle by importing the provider's confirmation. Admins only.

Confirming is idempotent: lines already settled the same way are left alone and counted as
unchanged; a confirmation that changes nothing is refused with ``payout_already_confirmed``;
one that contradicts a settled line (paid vs failed, another amount) or names an unknown line
is refused as a whole, before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ledger import AccountKind, EntryKind, NewEntry, transfer
from shoplabel.domain.money import check_amount, check_currency
from shoplabel.domain.payouts import Confirmation, LineStatus, PayoutBatch, PayoutLine
from shoplabel.domain.permissions import can_manage_users, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import (
    InvalidInput,
    InvalidPayoutConfirmation,
    PayoutAlreadyConfirmed,
    PayoutConfirmationConflict,
)
from shoplabel.services import audit
from shoplabel.services.ledger import record_entries, worker_account, write

__all__ = ["ConfirmReport", "batch_lines", "confirm", "create_batch", "list_batches"]

#: Serialises batch creation (a conditional update of this cursor is the lock).
_LOCK = "payouts"


def _require_admin(actor: Actor | None, what: str) -> None:
    if actor is not None:
        require(can_manage_users(actor), f"{what} (admins only)")


def create_batch(
    uow: UnitOfWork, *, actor: Actor | None, currency: str, minimum: int
) -> PayoutBatch | None:
    """Move every worker's available balance of at least ``minimum`` into a new batch; return
    it, or ``None`` when nobody has enough.

    Raises:
        PermissionDenied: not an admin. UnknownCurrency, AmountOverflow, PayRuleNegative: bad
            arguments.
    """
    _require_admin(actor, "create payout batches")
    check_currency(currency)
    check_amount(minimum, what="minimum")
    if minimum < 1:
        raise InvalidInput("minimum must be at least 1", details={"field": "minimum"})
    with uow:
        lock = uow.audit.cursor(_LOCK)
        if not uow.audit.advance_cursor(_LOCK, lock, new_seq=lock + 1):
            return None  # another batch is being created right now; nothing was moved
        lines = uow.ledger.available(currency, minimum=minimum)
        if not lines:
            return None
        batch = uow.payouts.add_batch(
            currency,
            minimum=minimum,
            lines=lines,
            created_by=None if actor is None else actor.user_id,
        )
        posted = []
        for worker_id, amount in lines:
            entry = NewEntry(
                cause=f"payout:{batch.id}:{worker_id}",
                kind=EntryKind.PAYOUT,
                currency=currency,
                postings=transfer(
                    worker_account(worker_id, currency),
                    worker_account(worker_id, currency, AccountKind.PAYOUT),
                    amount,
                ),
                amount=-amount,
                worker_id=worker_id,
                memo=f"payout batch {batch.id}",
            )
            entry_id = write(uow, entry)
            if entry_id is None:
                raise PayoutConfirmationConflict(f"{entry.cause} exists already")
            posted.append((entry_id, entry))
        record_entries(uow, posted)
        fields = {"batch_id": batch.id, "currency": currency, "total": batch.total}
        audit.record(uow, AuditKind.PAYOUT_CREATED, {**fields, "n_lines": batch.n_lines})
        uow.commit()
    return batch


def list_batches(uow: UnitOfWork, *, actor: Actor | None, limit: int = 50) -> list[PayoutBatch]:
    _require_admin(actor, "list payout batches")
    with uow.reading():
        return uow.payouts.list_batches(limit=max(1, min(limit, 500)))


def batch_lines(
    uow: UnitOfWork, *, actor: Actor | None, batch_id: int
) -> tuple[PayoutBatch, list[PayoutLine]]:
    """A batch and its lines (what the export writes).

    Raises:
        PayoutBatchNotFound: no such batch.
    """
    _require_admin(actor, "read payout batches")
    with uow.reading():
        return uow.payouts.get(batch_id), uow.payouts.lines(batch_id)


@dataclass(frozen=True, slots=True)
class ConfirmReport:
    batch_id: int
    n_paid: int
    n_failed: int
    n_unchanged: int
    settled: bool


def _match(
    rows: Sequence[Confirmation], lines: dict[str, PayoutLine], batch_id: int
) -> list[tuple[Confirmation, PayoutLine]]:
    """Pair each row with its line; refuse unknown references, wrong amounts and conflicts."""
    out = []
    for c in rows:
        line = lines.get(c.reference)
        if line is None:
            raise InvalidPayoutConfirmation(
                f"row {c.row}: reference {c.reference!r} is not a line of batch {batch_id}",
                details={"row": c.row, "field": "reference"},
            )
        if c.amount != line.amount:
            raise InvalidPayoutConfirmation(
                f"row {c.row}: amount {c.amount} does not match line {c.reference} ({line.amount})",
                details={"row": c.row, "field": "amount"},
            )
        if line.status is not LineStatus.PENDING and line.status is not c.status:
            raise PayoutConfirmationConflict(
                f"row {c.row}: line {c.reference} was already settled as {line.status.value}, "
                f"the confirmation says {c.status.value}; nothing was changed",
                details={"row": c.row, "reference": c.reference},
            )
        out.append((c, line))
    return out


def _settle(uow: UnitOfWork, c: Confirmation, line: PayoutLine) -> tuple[int, NewEntry]:
    if not uow.payouts.settle(line.id, status=c.status, provider_ref=c.provider_ref):
        raise PayoutConfirmationConflict(
            f"line {c.reference} was settled concurrently; nothing was changed",
            details={"reference": c.reference},
        )
    paid = c.status is LineStatus.PAID
    target = AccountKind.PAID if paid else AccountKind.WORKER
    entry = NewEntry(
        cause=f"payout_line:{line.id}:settled",
        kind=EntryKind.PAYOUT_PAID if paid else EntryKind.PAYOUT_FAILED,
        currency=line.currency,
        postings=transfer(
            worker_account(line.worker_id, line.currency, AccountKind.PAYOUT),
            worker_account(line.worker_id, line.currency, target),
            line.amount,
        ),
        amount=line.amount if paid else 0,
        worker_id=line.worker_id,
        memo=f"payout {c.reference}: {c.status.value} {c.provider_ref}".strip(),
    )
    entry_id = write(uow, entry)
    if entry_id is None:
        raise PayoutConfirmationConflict(
            f"line {c.reference} was settled concurrently; nothing was changed",
            details={"reference": c.reference},
        )
    return entry_id, entry


def confirm(
    uow: UnitOfWork, *, actor: Actor | None, batch_id: int, rows: Sequence[Confirmation]
) -> ConfirmReport:
    """Apply the provider's confirmation of batch ``batch_id`` in one transaction.

    Raises:
        PayoutBatchNotFound: unknown batch.
        InvalidPayoutConfirmation: empty file, unknown reference, wrong amount, a line twice.
        PayoutConfirmationConflict: a row contradicts a line already settled.
        PayoutAlreadyConfirmed: every row was already applied (nothing changed).
    """
    _require_admin(actor, "confirm payouts")
    refs = [c.reference for c in rows]
    if not rows or len(set(refs)) != len(refs):
        raise InvalidPayoutConfirmation(
            "the confirmation is empty or names a line twice", details={"field": "reference"}
        )
    with uow:
        uow.payouts.get(batch_id)
        lines = {line.reference: line for line in uow.payouts.lines(batch_id)}
        pairs = _match(rows, lines, batch_id)
        todo = [(c, line) for c, line in pairs if line.status is LineStatus.PENDING]
        if not todo:
            raise PayoutAlreadyConfirmed(
                f"batch {batch_id}: every line of this confirmation was already settled; "
                "nothing was changed",
                details={"batch_id": batch_id},
            )
        record_entries(uow, [_settle(uow, c, line) for c, line in todo])
        settled = uow.payouts.close_if_settled(batch_id)
        n_paid = sum(c.status is LineStatus.PAID for c, _ in todo)
        audit.record(
            uow,
            AuditKind.PAYOUT_CONFIRMED,
            {"batch_id": batch_id, "paid": n_paid, "failed": len(todo) - n_paid, "refs": refs},
        )
        uow.commit()
    return ConfirmReport(
        batch_id=batch_id,
        n_paid=n_paid,
        n_failed=len(todo) - n_paid,
        n_unchanged=len(pairs) - len(todo),
        settled=settled,
    )
