"""data quality: original payloads, item flags, duplicate groups, stored data-quality reports

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shoplabel.storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = shoplabel.storage.types.UTCDateTime(timezone=True)


def _fk(
    table: str, column: str, target: str, *, ondelete: str | None = "CASCADE"
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("original", sa.JSON(none_as_null=True), nullable=True))
    op.create_table(
        "item_flags",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("item_flags", "project_id", "projects"),
        _fk("item_flags", "item_id", "items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_flags")),
    )
    op.create_index("ix_item_flags_item_id", "item_flags", ["item_id"])
    op.create_index("ix_item_flags_project", "item_flags", ["project_id", "source", "code", "id"])
    op.create_table(
        "duplicate_groups",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("conflicting", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("keep_item_id", _ID, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("decided_at", _TS, nullable=True),
        _fk("duplicate_groups", "project_id", "projects"),
        _fk("duplicate_groups", "keep_item_id", "items", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_groups")),
    )
    op.create_index("ix_duplicate_groups_project", "duplicate_groups", ["project_id", "kind", "id"])
    op.create_table(
        "duplicate_members",
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        _fk("duplicate_members", "group_id", "duplicate_groups"),
        _fk("duplicate_members", "item_id", "items"),
        sa.PrimaryKeyConstraint("group_id", "item_id", name=op.f("pk_duplicate_members")),
    )
    op.create_index("ix_duplicate_members_item_id", "duplicate_members", ["item_id"])
    op.create_table(
        "data_reports",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("data_reports", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_reports")),
    )
    op.create_index("ix_data_reports_project", "data_reports", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_data_reports_project", table_name="data_reports")
    op.drop_table("data_reports")
    op.drop_index("ix_duplicate_members_item_id", table_name="duplicate_members")
    op.drop_table("duplicate_members")
    op.drop_index("ix_duplicate_groups_project", table_name="duplicate_groups")
    op.drop_table("duplicate_groups")
    op.drop_index("ix_item_flags_project", table_name="item_flags")
    op.drop_index("ix_item_flags_item_id", table_name="item_flags")
    op.drop_table("item_flags")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("original")
