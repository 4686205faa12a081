"""Shared fixtures: real SQLite and real PostgreSQL databases, a controllable clock.

SQLite: a migrated template file is built once per session and copied per test.
PostgreSQL (``SHOPLABEL_TEST_POSTGRES_URL``, default the local ``test`` database): one schema
per test session, migrated once, truncated before each test and dropped at the end. When the
server is unreachable the PostgreSQL cases are skipped, not failed, unless
``SHOPLABEL_REQUIRE_POSTGRES=1`` (CI sets it).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text

from shoplabel.storage.engine import make_engine
from shoplabel.storage.migrate import migrate
from shoplabel.storage.tables import Base
from shoplabel.storage.uow import SqlUnitOfWork

# Property tests are repeatable (CI runs the suite once per session; a random failure there
# would block the work) and have no time limit (the machine is shared and noisy).
hypothesis_settings.register_profile("shoplabel", derandomize=True, deadline=None)
hypothesis_settings.load_profile("shoplabel")

PG_BASE = os.environ.get(
    "SHOPLABEL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


class Clock:
    """A settable UTC clock for lease-expiry tests."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Database:
    """A migrated, empty database and how to reach it."""

    kind: str
    url: str
    engine: Engine

    def uow(self, clock: Callable[[], datetime] | None = None) -> SqlUnitOfWork:
        return (
            SqlUnitOfWork(self.engine) if clock is None else SqlUnitOfWork(self.engine, clock=clock)
        )


def _pg_reachable() -> bool:
    try:
        eng = create_engine(PG_BASE)
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    if not _pg_reachable():
        if os.environ.get("SHOPLABEL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unreachable at {PG_BASE}")
        pytest.skip(f"PostgreSQL unreachable at {PG_BASE}")
    schema = f"sl_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _sqlite_db(template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "shoplabel.db"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    yield Database("sqlite", url, engine)
    engine.dispose()


def _pg_db(url: str) -> Iterator[Database]:
    engine = make_engine(url, pool_size=40)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield Database("postgres", url, engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh migrated database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield from _sqlite_db(sqlite_template, tmp_path)
    else:
        yield from _pg_db(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    yield from _sqlite_db(sqlite_template, tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()
