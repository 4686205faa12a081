"""multi-round review: review decisions, review stage per item, review evidence per worker

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shoplabel.storage.types

revision = "0005"
down_revision = "0004"
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
        "review_decisions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("reviewer_id", _ID, nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("review_decisions", "project_id", "projects", cascade=True),
        _fk("review_decisions", "item_id", "items", cascade=True),
        _fk("review_decisions", "reviewer_id", "users", cascade=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
    )
    op.create_index(
        "ix_review_decisions_project_item", "review_decisions", ["project_id", "item_id", "id"]
    )
    op.create_table(
        "worker_review_stats",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("worker_id", _ID, nullable=False),
        sa.Column("n_reviewed", sa.Integer(), nullable=False),
        sa.Column("n_review_agree", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_worker_review_stats_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_worker_review_stats_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "worker_id", name=op.f("pk_worker_review_stats")),
    )
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("review_stage", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index(
        "ix_items_review",
        "items",
        ["project_id", "id"],
        sqlite_where=sa.text("status = 'review'"),
        postgresql_where=sa.text("status = 'review'"),
    )


def downgrade() -> None:
    op.drop_index("ix_items_review", table_name="items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("review_stage")
    op.drop_table("worker_review_stats")
    op.drop_index("ix_review_decisions_project_item", table_name="review_decisions")
    op.drop_table("review_decisions")
