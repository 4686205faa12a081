"""Process entry points for the concurrency tests (importable under ``spawn``)."""

from __future__ import annotations

from shoplabel.domain.ledger import EntryKind, NewEntry, transfer
from shoplabel.services import accrual, ledger
from shoplabel.storage.engine import make_engine
from shoplabel.storage.uow import SqlUnitOfWork


def accrue_in_process(url: str) -> int:
    """Run the accrual against ``url``; return how many entries this process posted."""
    engine = make_engine(url)
    try:
        return accrual.accrue(lambda: SqlUnitOfWork(engine), batch=3).n_entries
    finally:
        engine.dispose()


def same_cause_entry(cause: str, worker_id: int) -> NewEntry:
    return NewEntry(
        cause=cause,
        kind=EntryKind.CORRECTION,
        currency="USD",
        postings=transfer(
            ledger.project_account(1, "USD"), ledger.worker_account(worker_id, "USD"), 7
        ),
        amount=7,
        worker_id=None,
        memo="race",
    )


def post_in_process(url: str, causes: list[str], worker_id: int) -> int:
    """Post every cause (one transaction each); return how many this process wrote."""
    engine = make_engine(url)
    wrote = 0
    try:
        for cause in causes:
            uow = SqlUnitOfWork(engine)
            with uow:
                wrote += ledger.post(uow, same_cause_entry(cause, worker_id))
                uow.commit()
    finally:
        engine.dispose()
    return wrote
