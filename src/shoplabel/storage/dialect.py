"""The SQL that differs between SQLite and PostgreSQL, in one place.

Statements are cached per (table, dialect, columns): an upsert's ``excluded`` proxies cost
more to build than the statement costs to run, and they are built on every submit.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

__all__ = ["insert_ignoring_conflicts", "upsert", "upsert_adding"]


def _insert(table: Table, dialect_name: str) -> Any:
    return postgresql.insert(table) if dialect_name == "postgresql" else sqlite.insert(table)


def insert_ignoring_conflicts(table: Table, dialect_name: str, *, keys: Sequence[str]) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` for the session's dialect."""
    return _ignoring(table, dialect_name, tuple(keys))


def upsert(
    table: Table, dialect_name: str, *, keys: Sequence[str], update: Sequence[str]
) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET col = excluded.col`` for ``update``."""
    return _upsert(table, dialect_name, tuple(keys), tuple(update))


@cache
def _ignoring(table: Table, dialect_name: str, keys: tuple[str, ...]) -> Insert:
    stmt = _insert(table, dialect_name).on_conflict_do_nothing(index_elements=list(keys))
    return stmt  # type: ignore[no-any-return]


@cache
def _upsert(
    table: Table, dialect_name: str, keys: tuple[str, ...], update: tuple[str, ...]
) -> Insert:
    stmt = _insert(table, dialect_name)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
    )


def upsert_adding(
    table: Table, dialect_name: str, *, keys: Sequence[str], add: Sequence[str]
) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET col = col + excluded.col`` for ``add``:
    a counter bumped in one statement, whether or not its row exists yet."""
    return _upsert_adding(table, dialect_name, tuple(keys), tuple(add))


@cache
def _upsert_adding(
    table: Table, dialect_name: str, keys: tuple[str, ...], add: tuple[str, ...]
) -> Insert:
    stmt = _insert(table, dialect_name)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(keys), set_={c: table.c[c] + stmt.excluded[c] for c in add}
    )
