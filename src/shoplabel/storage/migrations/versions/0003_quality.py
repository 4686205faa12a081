"""quality control: worker states, quality events, gold index

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shoplabel.storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = shoplabel.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "worker_states",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("worker_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("suspended_until", _TS, nullable=True),
        *(
            sa.Column(c, sa.Integer(), nullable=False)
            for c in (
                "n_tasks",
                "n_golds_served",
                "n_labels",
                "n_timed",
                "n_fast",
                "skip_streak",
                "longest_skip_streak",
                "n_gold",
            )
        ),
        sa.Column("gold_credit", sa.Float(), nullable=False),
        sa.Column("answer_counts", sa.JSON(), nullable=False),
        sa.Column("fired", sa.JSON(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_worker_states_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_worker_states_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "worker_id", name=op.f("pk_worker_states")),
    )
    op.create_table(
        "quality_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("worker_id", _ID, nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_quality_events_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_quality_events_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_events")),
    )
    op.create_index(
        "ix_quality_events_project_worker", "quality_events", ["project_id", "worker_id", "id"]
    )
    # Earlier rows stored "no gold" as JSON 'null'; make it SQL NULL for the partial index.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE items SET gold = NULL WHERE gold::text = 'null'")
    else:
        op.execute("UPDATE items SET gold = NULL WHERE gold = 'null'")
    op.create_index(
        "ix_items_gold",
        "items",
        ["project_id", "id"],
        sqlite_where=sa.text("gold IS NOT NULL"),
        postgresql_where=sa.text("gold IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_items_gold", table_name="items")
    op.drop_index("ix_quality_events_project_worker", table_name="quality_events")
    op.drop_table("quality_events")
    op.drop_table("worker_states")
