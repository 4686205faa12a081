"""The SQLite writer lock queues writers across threads and across processes."""

from __future__ import annotations

import multiprocessing as mp
import threading
from multiprocessing.synchronize import Event
from pathlib import Path

from shoplabel.storage.engine import make_engine, write_lock
from shoplabel.storage.writer_lock import WriterLock


def _hold(path: str, held: Event, done: Event) -> None:
    lock = WriterLock(Path(path))
    assert lock.acquire(timeout=5)
    held.set()
    done.wait(10)
    lock.release()


def test_another_process_holding_the_lock_makes_us_wait(tmp_path: Path) -> None:
    path = tmp_path / "db-writer.lock"
    ctx = mp.get_context("spawn")
    held, done = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold, args=(str(path), held, done))
    child.start()
    try:
        assert held.wait(60)
        lock = WriterLock(path)
        assert not lock.acquire(timeout=0.05)
        done.set()
        assert lock.acquire(timeout=10)  # handed over once the other process lets go
        lock.release()
    finally:
        done.set()
        child.join(30)
    assert child.exitcode == 0


def test_threads_queue_and_a_timeout_gives_up(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path / "db-writer.lock")
    assert lock.acquire(timeout=1)
    got: list[bool] = []
    t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0.05)))
    t.start()
    t.join()
    assert got == [False]
    lock.release()
    assert lock.acquire(timeout=1)
    lock.release()


def test_sqlite_engines_lock_a_file_next_to_the_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    lock = write_lock(engine)
    assert lock is not None
    assert lock.acquire(timeout=1)
    lock.release()
    assert (tmp_path / "x.db-writer.lock").exists()
    engine.dispose()
