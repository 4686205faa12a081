"""Engine factory: SQLite pragmas on connect, explicit BEGIN / BEGIN IMMEDIATE on SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from shoplabel.storage.writer_lock import WriterLock

__all__ = ["WRITE_OPTION", "begin_sqlite", "make_engine", "write_engine", "write_lock"]

#: Execution option marking a connection whose transaction will write. On SQLite such a
#: transaction starts with ``BEGIN IMMEDIATE`` so it takes the write lock up front instead of
#: failing with "database is locked" when a read lock is upgraded under contention.
WRITE_OPTION = "shoplabel_write"


_WRITE_LOCK_ATTR = "_shoplabel_writer_lock"
_WRITE_ENGINE_ATTR = "_shoplabel_write_engine"


def write_engine(engine: Engine) -> Engine:
    """``engine`` with :data:`WRITE_OPTION` set, made once per engine and kept on it
    (deriving an option engine on every unit of work cost as much as a query)."""
    derived: Engine | None = getattr(engine, _WRITE_ENGINE_ATTR, None)
    if derived is None:
        derived = engine.execution_options(**{WRITE_OPTION: True})
        setattr(engine, _WRITE_ENGINE_ATTR, derived)
    return derived


def write_lock(engine: Engine) -> WriterLock | None:
    """The lock serialising SQLite write transactions (``None`` elsewhere); see
    :mod:`shoplabel.storage.writer_lock`."""
    lock: WriterLock | None = getattr(engine, _WRITE_LOCK_ATTR, None)
    return lock


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def begin_sqlite(conn: Connection, *, write: bool) -> None:
    """Start the transaction of a connection the caller just began, on SQLite (a no-op
    elsewhere): ``BEGIN IMMEDIATE`` for one that will write, ``BEGIN`` for a read.

    pysqlite's own transaction handling is switched off on connect (it would begin only at
    the first write, too late for the write lock), so somebody must send ``BEGIN``. It used to
    be a ``begin`` event listener on the engine; any connection-level listener makes
    SQLAlchemy dispatch its execute events on every statement (27 % of the Python calls of a
    next + submit cycle), so the unit of work and the migrations call this instead.
    """
    if conn.dialect.name == "sqlite":
        # Straight to the driver: exec_driver_sql runs SQLAlchemy's whole statement path.
        driver = conn.connection.driver_connection
        assert driver is not None  # a live connection the caller just began
        driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    """Create an engine for ``url`` (SQLite file or PostgreSQL); connects lazily.

    Args:
        url: SQLAlchemy URL.
        pool_size: Pool size for server databases; SQLite opens a connection per checkout.
    """
    if url.startswith("sqlite"):
        # A pool, not a connection per unit of work: closing the last connection to a WAL
        # database checkpoints and deletes the WAL, which cost ~2 ms on every request. A pooled
        # connection is used by one thread at a time (check_same_thread only stops pysqlite
        # from refusing a connection created by another pool thread).
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"check_same_thread": False},
        )
        _sqlite_hooks(engine)
        database = engine.url.database
        on_disk = bool(database) and database != ":memory:" and "mode=memory" not in url
        # Kept on the engine, not in a dict keyed by id(): ids of disposed engines are reused.
        lock = WriterLock(Path(f"{database}-writer.lock") if on_disk else None)
        setattr(engine, _WRITE_LOCK_ATTR, lock)
        return engine
    # No pool_pre_ping: it sends a round trip before every unit of work (two per next +
    # submit cycle; 3 % of the samples of an in-process PostgreSQL cycle profile). Instead
    # connections are recycled after 30 min (before server or proxy idle timeouts), and a
    # connection that fails with a disconnect error is dropped with every other pooled
    # connection of the engine (SQLAlchemy's disconnect handling): after a database restart
    # one request per process fails (HTTP 503, safe to retry) instead of every request
    # paying for the check.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
