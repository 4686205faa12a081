"""Schema migrations with Alembic, run programmatically (``shoplabel init`` and ``serve``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from shoplabel.storage.engine import begin_sqlite

__all__ = ["alembic_config", "migrate"]

_HERE = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the newest schema (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        begin_sqlite(conn, write=True)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
