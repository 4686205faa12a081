"""Composition root: builds storage and the unit-of-work factory from :class:`Settings`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shoplabel.config import Settings
from shoplabel.domain.ports import UnitOfWork
from shoplabel.ml.router import fit_router
from shoplabel.services.routing_training import Trainer
from shoplabel.services.token_cache import TokenCache
from shoplabel.storage.engine import make_engine
from shoplabel.storage.migrate import migrate
from shoplabel.storage.uow import SqlUnitOfWork

__all__ = ["Platform", "build", "load_secret"]


@dataclass(frozen=True)
class Platform:
    """Everything a front end (web, CLI, job worker) needs, built once per process."""

    settings: Settings
    uow: Callable[[], UnitOfWork]
    secret: str
    dispose: Callable[[], None]
    #: Fits the learned routing model in aggregation runs (scikit-learn, from ``ml``).
    trainer: Trainer | None = None
    #: Recently authenticated tokens (``auth_cache_seconds``); ``None`` means no cache.
    token_cache: TokenCache | None = None


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
        token_cache=TokenCache(ttl=settings.auth_cache_seconds)
        if settings.auth_cache_seconds > 0
        else None,
    )
