"""A PostgreSQL server that drops our connections costs one request, not all of them.

The engine has no ``pool_pre_ping`` (a round trip per unit of work); a pooled connection the
server has closed fails on first use instead. That request must get ``StorageBusy`` (HTTP
503, safe to retry) and the next one must reconnect and work.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from shoplabel.domain.ids import ProjectId
from shoplabel.errors import ProjectNotFound, StorageBusy
from tests.conftest import PG_BASE, Database, _pg_db

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_schema_url: str) -> Iterator[Database]:
    """PostgreSQL only: SQLite has no server to lose."""
    yield from _pg_db(pg_schema_url)


def _read(db: Database) -> None:
    with db.uow().reading() as uow, pytest.raises(ProjectNotFound):
        uow.projects.get(ProjectId(1))


def _backend_pid(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("select pg_backend_pid()")).scalar_one())


def test_a_dropped_connection_fails_one_unit_of_work_then_reconnects(pg: Database) -> None:
    _read(pg)
    pid = _backend_pid(pg)  # the pooled connection the next unit of work will get
    admin = create_engine(PG_BASE)
    with admin.begin() as conn:
        assert conn.execute(text("select pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    admin.dispose()

    with pytest.raises(StorageBusy, match="lost the database connection"):
        _read(pg)
    _read(pg)  # a fresh connection
    assert _backend_pid(pg) != pid
