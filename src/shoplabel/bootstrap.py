"""Composition root: builds storage and the unit-of-work factory from :class:`Settings`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shoplabel.config import Settings
from shoplabel.domain.ports import UnitOfWork
from shoplabel.ml.router import fit_router
from shoplabel.services.routing_training import Trainer
from shoplabel.storage.engine import make_engine
from shoplabel.storage.migrate import migrate
from shoplabel.storage.uow import SqlUnitOfWork

__all__ = ["Platform", "UowOpener", "build", "load_secret"]


@dataclass(frozen=True)
class Platform:
    """Everything a front end (web, CLI, job worker) needs, built once per process."""

    settings: Settings
    uow: Callable[[], UnitOfWork]
    secret: str
    dispose: Callable[[], None]
    #: Fits the learned routing model in aggregation runs (scikit-learn, from ``ml``).
    trainer: Trainer | None = None


def load_secret(settings: Settings) -> str:
    """The configured secret key, or one generated once and kept in ``data_dir``."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def build(settings: Settings, *, run_migrations: bool = True) -> Platform:
    """Create the data directory, connect, migrate and return the wired :class:`Platform`."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url(), pool_size=settings.db_pool_size)
    if run_migrations:
        migrate(engine)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    return Platform(
        settings=settings,
        uow=uow,
        secret=load_secret(settings),
        dispose=engine.dispose,
        trainer=fit_router,
    )


@cache
def _uow_factory(url: str) -> Callable[[], UnitOfWork]:
    """One engine per database URL per process (for :class:`UowOpener`)."""
    engine = make_engine(url)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    return uow


@dataclass(frozen=True)
class UowOpener:
    """A picklable way to reach the same database from another process (``audit verify
    --workers``): calling it returns a unit-of-work factory on a process-local engine."""

    url: str

    def __call__(self) -> Callable[[], UnitOfWork]:
        return _uow_factory(self.url)
