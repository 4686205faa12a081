"""Concurrent accruals and concurrent postings of the same cause never pay twice: threads and
processes, on real SQLite (file, WAL) and real PostgreSQL."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

from shoplabel.domain.ledger import EntryKind
from shoplabel.errors import StorageBusy
from shoplabel.services import accrual, audit, ledger
from tests.conftest import Database
from tests.payments.pay_crowd import PayCrowd, available, build, label_pairs
from tests.payments.pay_workers import accrue_in_process, post_in_process, same_cause_entry

N_ITEMS = 12


def _labelled(db: Database) -> PayCrowd:
    crowd = build(db.uow, n_items=N_ITEMS)
    label_pairs(db.uow, crowd, N_ITEMS)
    audit.seal(db.uow)
    return crowd


def _rewards(db: Database) -> int:
    with db.uow().reading() as uow:
        return len(
            uow.ledger.entries(
                worker_id=None,
                project_id=None,
                kinds=[EntryKind.REWARD],
                before_id=None,
                limit=1000,
            )
        )


def _accrue_retrying(db: Database) -> int:
    for _ in range(20):
        try:
            return accrual.accrue(db.uow, batch=3).n_entries
        except StorageBusy:
            continue
    raise AssertionError("storage stayed busy")


def test_concurrent_accruals_in_threads_pay_each_label_once(db: Database) -> None:
    crowd = _labelled(db)
    with ThreadPoolExecutor(max_workers=6) as pool:
        posted = list(pool.map(lambda _: _accrue_retrying(db), range(6)))
    # Runs that lost the race stopped early; leftovers are picked up by a last run.
    posted.append(accrual.accrue(db.uow).n_entries)
    assert sum(posted) == 2 * N_ITEMS == _rewards(db)
    for w in crowd.workers[:2]:
        assert available(db.uow, w)["available"] == 5 * N_ITEMS
    assert ledger.check_balances(db.uow).unbalanced == ()


def test_concurrent_accruals_in_processes_pay_each_label_once(db: Database) -> None:
    crowd = _labelled(db)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        posted = pool.map(accrue_in_process, [db.url] * 3)
    posted.append(accrual.accrue(db.uow).n_entries)
    assert sum(posted) == 2 * N_ITEMS == _rewards(db)
    for w in crowd.workers[:2]:
        assert available(db.uow, w)["available"] == 5 * N_ITEMS


def test_the_same_cause_posted_concurrently_is_written_once(db: Database) -> None:
    crowd = _labelled(db)
    worker_id = crowd.workers[2].user_id
    causes = [f"race:{i}" for i in range(10)]

    def post_all(_: int) -> int:
        wrote = 0
        for cause in causes:
            uow = db.uow()
            with uow:
                wrote += ledger.post(uow, same_cause_entry(cause, worker_id))
                uow.commit()
        return wrote

    with ThreadPoolExecutor(max_workers=4) as pool:
        threads = sum(pool.map(post_all, range(4)))
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as procs_pool:
        procs = sum(procs_pool.starmap(post_in_process, [(db.url, causes, worker_id)] * 2))
    assert threads + procs == len(causes)
    assert available(db.uow, crowd.workers[2])["available"] == 7 * len(causes)
