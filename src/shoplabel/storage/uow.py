"""The SQLAlchemy unit of work: one session, one transaction, the repositories on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from shoplabel.errors import StorageBusy
from shoplabel.storage.engine import begin_sqlite, write_engine, write_lock
from shoplabel.storage.repositories.ai import SqlAiRepository
from shoplabel.storage.repositories.annotations import (
    SqlAnnotationRepository,
    SqlConsensusRepository,
)
from shoplabel.storage.repositories.audit import PG_APPEND_SQL, SqlAuditRepository
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.repositories.dashboards import SqlDashboardRepository
from shoplabel.storage.repositories.dataquality import SqlDataQualityRepository
from shoplabel.storage.repositories.health import SqlHealthRepository
from shoplabel.storage.repositories.items import SqlItemRepository
from shoplabel.storage.repositories.jobs import SqlJobRepository
from shoplabel.storage.repositories.leases import SqlLeaseRepository
from shoplabel.storage.repositories.ledger import SqlLedgerRepository
from shoplabel.storage.repositories.pay_rules import SqlLeaderboardRepository, SqlPayRuleRepository
from shoplabel.storage.repositories.payouts import SqlPayoutRepository
from shoplabel.storage.repositories.privacy import SqlPrivacyRepository
from shoplabel.storage.repositories.projects import SqlProjectRepository
from shoplabel.storage.repositories.quality import SqlQualityRepository
from shoplabel.storage.repositories.reviews import SqlReviewRepository
from shoplabel.storage.repositories.training import SqlTrainingRepository
from shoplabel.storage.repositories.users import SqlTokenRepository, SqlUserRepository
from shoplabel.storage.repositories.worker_models import SqlWorkerModelRepository
from shoplabel.storage.repositories.workers import SqlWorkerStateRepository

__all__ = ["SqlUnitOfWork", "utc_now"]

_LOCK_TIMEOUT = 10.0
_BUSY_MARKERS = ("database is locked", "deadlock detected", "could not serialize")


def utc_now() -> datetime:
    return datetime.now(UTC)


_REPOSITORIES: dict[str, type[Repository]] = {
    "users": SqlUserRepository,
    "tokens": SqlTokenRepository,
    "projects": SqlProjectRepository,
    "items": SqlItemRepository,
    "leases": SqlLeaseRepository,
    "annotations": SqlAnnotationRepository,
    "consensus": SqlConsensusRepository,
    "jobs": SqlJobRepository,
    "worker_models": SqlWorkerModelRepository,
    "workers": SqlWorkerStateRepository,
    "reviews": SqlReviewRepository,
    "quality": SqlQualityRepository,
    "dashboards": SqlDashboardRepository,
    "privacy": SqlPrivacyRepository,
    "audit": SqlAuditRepository,
    "ledger": SqlLedgerRepository,
    "pay_rules": SqlPayRuleRepository,
    "payouts": SqlPayoutRepository,
    "leaderboards": SqlLeaderboardRepository,
    "health": SqlHealthRepository,
    "data_quality": SqlDataQualityRepository,
    "ai": SqlAiRepository,
    "training": SqlTrainingRepository,
}


class SqlUnitOfWork:
    """``with uow:`` is a write transaction (``BEGIN IMMEDIATE`` on SQLite); ``with
    uow.reading():`` a read transaction. Leaving without :meth:`commit` rolls back. A lock
    timeout or deadlock surfaces as :class:`StorageBusy` (HTTP 503, safe to retry)."""

    users: SqlUserRepository
    tokens: SqlTokenRepository
    projects: SqlProjectRepository
    items: SqlItemRepository
    leases: SqlLeaseRepository
    annotations: SqlAnnotationRepository
    consensus: SqlConsensusRepository
    jobs: SqlJobRepository
    worker_models: SqlWorkerModelRepository
    workers: SqlWorkerStateRepository
    reviews: SqlReviewRepository
    quality: SqlQualityRepository
    dashboards: SqlDashboardRepository
    privacy: SqlPrivacyRepository
    audit: SqlAuditRepository
    ledger: SqlLedgerRepository
    pay_rules: SqlPayRuleRepository
    payouts: SqlPayoutRepository
    leaderboards: SqlLeaderboardRepository
    health: SqlHealthRepository
    data_quality: SqlDataQualityRepository
    ai: SqlAiRepository
    training: SqlTrainingRepository

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._read_engine = engine
        self._write_engine = write_engine(engine)
        self._lock = write_lock(engine)
        self._locked = False
        self._clock = clock
        self._session: Session | None = None

    @property
    def dialect(self) -> str:
        return self._read_engine.dialect.name

    def now(self) -> datetime:
        return self._clock()

    def _open(self, bind: Engine, *, write: bool) -> None:
        if self._session is not None:
            raise RuntimeError("unit of work is already open; use one per transaction")
        self._session = Session(bind=bind, expire_on_commit=False, autoflush=False)
        if bind.dialect.name == "sqlite":  # begin now, with the right kind of BEGIN
            begin_sqlite(self._session.connection(), write=write)

    def __getattr__(self, name: str) -> Any:
        # Repositories are built on first use: a request touches 5 of the 13, and building
        # all of them on every unit of work showed in the request profile.
        repo = _REPOSITORIES.get(name)
        if repo is None:
            raise AttributeError(name)
        if self._session is None:
            raise RuntimeError(f"uow.{name} used outside a unit of work")
        value = repo(self._session, self._clock)
        self.__dict__[name] = value
        return value

    def _close(self, exc: BaseException | None) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        for name in _REPOSITORIES:
            self.__dict__.pop(name, None)
        try:
            session.rollback()
        finally:
            session.close()
            if self._locked and self._lock is not None:
                self._locked = False
                self._lock.release()
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            # The server went away (restart, failover); the pool has dropped its connections
            # and the next request reconnects.
            raise StorageBusy("lost the database connection; retry the request") from exc
        if isinstance(exc, OperationalError) and any(
            m in str(exc.orig).lower() for m in _BUSY_MARKERS
        ):
            raise StorageBusy("the database is busy; retry the request") from exc

    def __enter__(self) -> SqlUnitOfWork:
        if self._lock is not None:
            if not self._lock.acquire(timeout=_LOCK_TIMEOUT):
                raise StorageBusy("the database is busy; retry the request")
            self._locked = True
        try:
            self._open(self._write_engine, write=True)
        except BaseException:
            self._locked = False
            if self._lock is not None:
                self._lock.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close(exc)

    @staticmethod
    def _commit_with_records(session: Session, records: list[dict[str, Any]]) -> None:
        """PostgreSQL: send the audit records appended ``with_commit`` and the ``COMMIT`` in
        one round trip (psycopg pipeline mode): a submit's audit record then costs no round
        trip of its own (issue 9's at most +10 % on the next + submit cycle)."""
        session.flush()  # ORM inserts want their RETURNING rows: not inside the pipeline
        driver = session.connection().connection.driver_connection
        assert driver is not None
        with driver.pipeline():
            with driver.cursor() as cur:
                cur.executemany(PG_APPEND_SQL, records)
            session.commit()

    def reading(self) -> AbstractContextManager[SqlUnitOfWork]:
        return self._reading()

    @contextmanager
    def _reading(self) -> Iterator[SqlUnitOfWork]:
        self._open(self._read_engine, write=False)
        exc: BaseException | None = None
        try:
            yield self
        except BaseException as e:
            exc = e
            raise
        finally:
            self._close(exc)

    def commit(self) -> None:
        if self._session is None:
            raise RuntimeError("commit outside a unit of work")
        try:
            audit = self.__dict__.get("audit")
            pending = audit.take_with_commit() if audit is not None else []
            if pending:
                self._commit_with_records(self._session, pending)
            else:
                self._session.commit()
        except OperationalError as e:
            if any(m in str(e.orig).lower() for m in _BUSY_MARKERS):
                raise StorageBusy("the database is busy; retry the request") from e
            raise
