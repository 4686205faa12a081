"""The double-entry ledger's model: accounts, postings, transactions and derived balances.

Every transaction is a set of postings that sums to zero per currency; an account's balance is
the sum of its postings and is never stored alone. A transaction names its ``cause`` (unique):
the same cause can never be posted twice, which is what makes concurrent accruals safe. A
correction is a new transaction (a reversal), never an edit.

Sign convention: a positive posting increases what the platform owes the account's owner.
Projects fund work, so a project account goes negative by what it spent; a worker's
``worker`` account holds earnings not yet in a payout, ``payout`` what sits in an unconfirmed
payout batch, and ``paid`` what the payment provider confirmed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.money import check_amount
from shoplabel.errors import LedgerUnbalanced

__all__ = [
    "Account",
    "AccountKind",
    "EntryKind",
    "LedgerEntry",
    "NewEntry",
    "Posting",
    "WorkerBalance",
    "balances_by_currency",
    "transfer",
]


class AccountKind(StrEnum):
    PROJECT = "project"  # owner: project id; negative = spent
    WORKER = "worker"  # owner: user id; earned, not yet in a payout
    PAYOUT = "payout"  # owner: user id; in a payout batch awaiting confirmation
    PAID = "paid"  # owner: user id; confirmed paid by the provider


class EntryKind(StrEnum):
    REWARD = "reward"  # an accepted label (amount may be 0 when withheld by the daily cap)
    WITHHELD = "withheld"  # a label not paid (rejected, wrong control answer): no postings
    REVERSAL = "reversal"  # a rejected label's reward taken back
    PENALTY = "penalty"  # a charge for a rejected label
    BONUS = "bonus"  # a quality bonus for a period
    PAYOUT = "payout"  # earnings moved into a payout batch
    PAYOUT_PAID = "payout_paid"  # the provider confirmed the payment
    PAYOUT_FAILED = "payout_failed"  # the provider refused: back to the worker's balance
    CORRECTION = "correction"  # a manual correction by an admin (always a new entry)


@dataclass(frozen=True, slots=True)
class Account:
    kind: AccountKind
    owner_id: int
    currency: str


@dataclass(frozen=True, slots=True)
class Posting:
    account: Account
    amount: int


def transfer(source: Account, target: Account, amount: int) -> tuple[Posting, ...]:
    """Two postings moving ``amount`` from ``source`` to ``target`` (none when zero)."""
    if amount == 0:
        return ()
    return (Posting(source, -amount), Posting(target, amount))


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A transaction to post. ``amount`` is the headline figure shown to people (what the
    worker gains or loses, positive or negative); ``withheld`` what the rule did not pay."""

    cause: str
    kind: EntryKind
    currency: str
    postings: tuple[Posting, ...]
    amount: int
    project_id: ProjectId | None = None
    worker_id: UserId | None = None
    work_day: date | None = None
    withheld: int = 0
    rule_version: int | None = None
    score: float | None = None
    score_kind: str | None = None
    memo: str = ""

    def __post_init__(self) -> None:
        sums: defaultdict[str, int] = defaultdict(int)
        for p in self.postings:
            check_amount(p.amount, what=f"posting of {self.cause}")
            sums[p.account.currency] += p.amount
        check_amount(self.amount, what=f"amount of {self.cause}")
        check_amount(self.withheld, what=f"withheld of {self.cause}")
        bad = {c: s for c, s in sums.items() if s != 0}
        if bad:
            raise LedgerUnbalanced(
                f"entry {self.cause} does not balance: {bad}", details={"cause": self.cause}
            )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A posted transaction as stored (postings not loaded)."""

    id: int
    cause: str
    kind: EntryKind
    currency: str
    amount: int
    withheld: int
    project_id: ProjectId | None
    worker_id: UserId | None
    work_day: date | None
    rule_version: int | None
    score: float | None
    memo: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WorkerBalance:
    """A worker's money in one currency, derived from postings: ``available`` earned and not
    yet in a payout, ``in_payout`` in an unconfirmed batch, ``paid`` confirmed."""

    currency: str
    available: int
    in_payout: int
    paid: int

    @property
    def pending(self) -> int:
        return self.available + self.in_payout

    @property
    def earned(self) -> int:
        return self.available + self.in_payout + self.paid


def balances_by_currency(
    rows: Sequence[tuple[AccountKind, str, int]],
) -> tuple[WorkerBalance, ...]:
    """Fold (account kind, currency, sum) rows of one worker into balances per currency."""
    out: dict[str, dict[AccountKind, int]] = defaultdict(dict)
    for kind, currency, total in rows:
        out[currency][kind] = total
    return tuple(
        WorkerBalance(
            currency=c,
            available=k.get(AccountKind.WORKER, 0),
            in_payout=k.get(AccountKind.PAYOUT, 0),
            paid=k.get(AccountKind.PAID, 0),
        )
        for c, k in sorted(out.items())
    )
