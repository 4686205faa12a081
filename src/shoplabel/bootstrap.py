"""Composition root: builds storage and the unit-of-work factory from :class:`Settings`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from shoplabel.config import Settings
from shoplabel.dataprep.pii.sealing import Keyring
from shoplabel.domain.ports import UnitOfWork
from shoplabel.ml.router import fit_router
from shoplabel.ml.toolkit import Toolkit
from shoplabel.services.ai_toolkit import AiToolkit
from shoplabel.services.privacy import PrivacyKeys
from shoplabel.services.routing_training import Trainer
from shoplabel.services.token_cache import TokenCache
from shoplabel.storage.engine import make_engine
from shoplabel.storage.migrate import migrate
from shoplabel.storage.uow import SqlUnitOfWork

__all__ = ["Platform", "UowOpener", "build", "load_secret", "privacy_keys"]


@dataclass(frozen=True)
class Platform:
    """Everything a front end (web, CLI, job worker) needs, built once per process."""

    settings: Settings
    uow: Callable[[], UnitOfWork]
    secret: str
    dispose: Callable[[], None]
    #: Fits the learned routing model in aggregation runs (scikit-learn, from ``ml``).
    trainer: Trainer | None = None
    #: Data keys sealing the originals of masked fields, and the pseudonym key.
    privacy: PrivacyKeys = field(default_factory=PrivacyKeys.none)
    #: Embedders and the pre-labelling head (``ml``); models load lazily on first use.
    ai: AiToolkit | None = None
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


def privacy_keys(settings: Settings, secret: str) -> PrivacyKeys:
    """The keyring from ``SHOPLABEL_DATA_KEYS`` and the PII key (configured, or derived from
    the secret key so that pseudonyms are stable without extra configuration).

    Raises:
        InvalidDataKeys: malformed keys (the message never contains key material).
    """
    spec = settings.data_keys.get_secret_value() if settings.data_keys else None
    keyring = Keyring.parse(spec, active=settings.data_key_id)
    if settings.pii_key is not None and settings.pii_key.get_secret_value():
        pii_key = settings.pii_key.get_secret_value().encode()
    else:
        pii_key = hmac.new(secret.encode(), b"shoplabel pii key", hashlib.sha256).digest()
    return PrivacyKeys(keyring, pii_key)


def build(settings: Settings, *, run_migrations: bool = True) -> Platform:
    """Create the data directory, connect, migrate and return the wired :class:`Platform`."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url(), pool_size=settings.db_pool_size)
    if run_migrations:
        migrate(engine)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    secret = load_secret(settings)
    return Platform(
        settings=settings,
        uow=uow,
        secret=secret,
        dispose=engine.dispose,
        trainer=fit_router,
        privacy=privacy_keys(settings, secret),
        ai=Toolkit(models_dir=Path(settings.data_dir) / "models"),
        token_cache=TokenCache(ttl=settings.auth_cache_seconds)
        if settings.auth_cache_seconds > 0
        else None,
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
