"""The audit trail: unsealed appends on the request path, sealing and reading in batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

from shoplabel.domain.audit import GENESIS
from shoplabel.storage.dialect import insert_ignoring_conflicts
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import AuditEventRow, AuditHeadRow, PayCursorRow

__all__ = ["PG_APPEND_SQL", "SqlAuditRepository"]

_E = cast(Table, AuditEventRow.__table__)
_H = cast(Table, AuditHeadRow.__table__)
_C = cast(Table, PayCursorRow.__table__)
_APPEND = insert(_E)
_SEAL = (
    update(_E)
    .where(_E.c.id == bindparam("b_id"), _E.c.seq.is_(None))
    .values(seq=bindparam("b_seq"), hash=bindparam("b_hash"))
)
_ADVANCE = (
    update(_H)
    .where(_H.c.id == 1, _H.c.seq == bindparam("b_old"))
    .values(seq=bindparam("b_new"), hash=bindparam("b_hash"), updated_at=bindparam("b_now"))
)
_ADVANCE_CURSOR = (
    update(_C)
    .where(_C.c.name == bindparam("b_name"), _C.c.seq == bindparam("b_old"))
    .values(seq=bindparam("b_new"), updated_at=bindparam("b_now"))
)


#: ``_APPEND`` as psycopg runs it, for records sent in the commit's round trip.
PG_APPEND_SQL = str(
    insert(_E)
    .values(body=bindparam("body"), created_at=bindparam("created_at"))
    .inline()  # no RETURNING of the id
    .compile(dialect=psycopg_dialect())  # type: ignore[no-untyped-call]
)


class SqlAuditRepository(Repository):
    def append(self, body: str, *, now: datetime, with_commit: bool = False) -> None:
        """Add an unsealed record. ``with_commit``: nothing in this transaction reads it back,
        so on PostgreSQL it may travel with the ``COMMIT`` in one round trip (see
        :meth:`take_with_commit`); elsewhere it is written now."""
        values = {"body": body, "created_at": now}
        if with_commit and self._s.get_bind().dialect.name == "postgresql":
            self.__dict__.setdefault("_with_commit", []).append(values)
            return
        self._s.execute(_APPEND, values)

    def take_with_commit(self) -> list[dict[str, Any]]:
        """The records waiting for the commit (parameters of :data:`PG_APPEND_SQL`), once."""
        pending: list[dict[str, Any]] = self.__dict__.pop("_with_commit", [])
        return pending

    def head(self) -> tuple[int, str]:
        row = self._s.execute(select(_H.c.seq, _H.c.hash).where(_H.c.id == 1)).first()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))

    def unsealed(self, *, limit: int) -> list[tuple[int, str]]:
        rows = self._s.execute(
            select(_E.c.id, _E.c.body).where(_E.c.seq.is_(None)).order_by(_E.c.id).limit(limit)
        )
        return [(int(r.id), str(r.body)) for r in rows]

    def advance_head(self, old_seq: int, *, new_seq: int, new_hash: str) -> bool:
        """Move the head from ``old_seq``; ``False`` if another sealer moved it first. The
        conditional UPDATE is the lock: a concurrent sealer waits here, then finds the seq
        changed."""
        params = {"b_old": old_seq, "b_new": new_seq, "b_hash": new_hash, "b_now": self._now()}
        if self._rowcount(_ADVANCE, params):
            return True
        if old_seq != 0:
            return False
        # No head row yet (a truncated database): the first sealer creates it.
        stmt = insert_ignoring_conflicts(_H, self._s.get_bind().dialect.name, keys=["id"])
        values = {"id": 1, "seq": new_seq, "hash": new_hash, "updated_at": self._now()}
        return self._s.execute(stmt.returning(_H.c.id), values).first() is not None

    def seal(self, rows: Sequence[tuple[int, int, str]]) -> None:
        if rows:
            self._s.execute(_SEAL, [{"b_id": i, "b_seq": seq, "b_hash": h} for i, seq, h in rows])

    def sealed_after(self, seq: int, *, limit: int) -> list[tuple[int, str]]:
        rows = self._s.execute(
            select(_E.c.seq, _E.c.body).where(_E.c.seq > seq).order_by(_E.c.seq).limit(limit)
        )
        return [(int(r.seq), str(r.body)) for r in rows]

    def chain(self, *, after_seq: int, limit: int) -> list[tuple[int, str, str]]:
        """Sealed records after ``after_seq`` in chain order, as plain driver tuples:
        verification reads millions of them and SQLAlchemy's row objects cost more than the
        hashing (measured: 2.4x the raw cursor)."""
        dbapi = self._s.connection().connection.driver_connection
        assert dbapi is not None
        mark = "%s" if self._s.get_bind().dialect.name == "postgresql" else "?"
        cur = dbapi.cursor()
        try:
            cur.execute(
                f"SELECT seq, body, hash FROM audit_events WHERE seq > {mark} "
                f"ORDER BY seq LIMIT {int(limit)}",
                (after_seq,),
            )
            return cast(list[tuple[int, str, str]], cur.fetchall())
        finally:
            cur.close()

    def count_unsealed(self) -> int:
        return int(
            self._s.execute(
                select(func.count()).select_from(_E).where(_E.c.seq.is_(None))
            ).scalar_one()
        )

    def cursor(self, name: str) -> int:
        row = self._s.execute(select(_C.c.seq).where(_C.c.name == name)).first()
        return 0 if row is None else int(row.seq)

    def advance_cursor(self, name: str, old_seq: int, *, new_seq: int) -> bool:
        """Move consumer ``name`` from ``old_seq``; ``False`` if another run moved it."""
        params = {"b_name": name, "b_old": old_seq, "b_new": new_seq, "b_now": self._now()}
        if self._rowcount(_ADVANCE_CURSOR, params):
            return True
        if old_seq != 0:
            return False
        stmt = insert_ignoring_conflicts(_C, self._s.get_bind().dialect.name, keys=["name"])
        values = {"name": name, "seq": new_seq, "updated_at": self._now()}
        return self._s.execute(stmt.returning(_C.c.name), values).first() is not None
