"""A worker's own money: balances (pending, in payout, paid), entries with the reason of every
withheld or reversed label, payouts, and their accuracy per project."""

from __future__ import annotations

from dataclasses import dataclass

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ledger import (
    AccountKind,
    EntryKind,
    LedgerEntry,
    WorkerBalance,
    balances_by_currency,
)
from shoplabel.domain.payouts import PayoutLine
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor

__all__ = ["REJECTION_KINDS", "Earnings", "ProjectStanding", "my_earnings"]

MAX_PAGE = 200
#: Entries that explain pay a worker did not get or lost, with their reason in ``memo``.
REJECTION_KINDS = (EntryKind.WITHHELD, EntryKind.REVERSAL, EntryKind.PENALTY)


@dataclass(frozen=True, slots=True)
class ProjectStanding:
    project_id: ProjectId
    project_name: str
    gold_accuracy: float | None
    n_gold: int


@dataclass(frozen=True, slots=True)
class Earnings:
    balances: tuple[WorkerBalance, ...]
    entries: tuple[LedgerEntry, ...]
    rejections: tuple[LedgerEntry, ...]
    payouts: tuple[PayoutLine, ...]
    projects: tuple[ProjectStanding, ...]
    next_before_id: int | None


def my_earnings(
    uow: UnitOfWork, *, actor: Actor, before_id: int | None = None, limit: int = 50
) -> Earnings:
    """The actor's own earnings (every user may read their own, and only their own)."""
    limit = max(1, min(limit, MAX_PAGE))
    kinds = (AccountKind.WORKER, AccountKind.PAYOUT, AccountKind.PAID)
    with uow.reading():
        balances = balances_by_currency(uow.ledger.balances(actor.user_id, kinds))
        entries = uow.ledger.entries(
            worker_id=actor.user_id, project_id=None, kinds=None, before_id=before_id, limit=limit
        )
        rejections = uow.ledger.entries(
            worker_id=actor.user_id,
            project_id=None,
            kinds=REJECTION_KINDS,
            before_id=None,
            limit=limit,
        )
        payouts = uow.payouts.worker_lines(actor.user_id, limit=20)
        project_ids = sorted({e.project_id for e in (*entries, *rejections) if e.project_id})
        projects = []
        for pid in project_ids:
            state = uow.workers.get(pid, actor.user_id)
            projects.append(
                ProjectStanding(
                    project_id=pid,
                    project_name=uow.projects.get(pid).name,
                    gold_accuracy=None
                    if state.n_gold == 0
                    else round(state.gold_credit / state.n_gold, 4),
                    n_gold=state.n_gold,
                )
            )
    return Earnings(
        balances=balances,
        entries=tuple(entries),
        rejections=tuple(rejections),
        payouts=tuple(payouts),
        projects=tuple(projects),
        next_before_id=entries[-1].id if len(entries) == limit else None,
    )
