"""privacy: sealed originals of masked fields per item, and the reveal audit trail

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shoplabel.storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = shoplabel.storage.types.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, *, cascade: bool) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE" if cascade else None,
    )


def upgrade() -> None:
    op.create_table(
        "item_secrets",
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("views", sa.JSON(), nullable=False),
        sa.Column("found", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("item_secrets", "item_id", "items", cascade=True),
        _fk("item_secrets", "project_id", "projects", cascade=True),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_secrets")),
    )
    op.create_index("ix_item_secrets_key_id", "item_secrets", ["key_id", "item_id"])
    op.create_index("ix_item_secrets_project_id", "item_secrets", ["project_id", "item_id"])
    op.create_table(
        "reveals",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("actor_id", _ID, nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("reveals", "project_id", "projects", cascade=True),
        _fk("reveals", "item_id", "items", cascade=True),
        _fk("reveals", "actor_id", "users", cascade=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reveals")),
    )
    op.create_index("ix_reveals_project_id_id", "reveals", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_reveals_project_id_id", table_name="reveals")
    op.drop_table("reveals")
    op.drop_index("ix_item_secrets_project_id", table_name="item_secrets")
    op.drop_index("ix_item_secrets_key_id", table_name="item_secrets")
    op.drop_table("item_secrets")
