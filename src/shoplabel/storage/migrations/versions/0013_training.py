"""Training: the model registry (trained_models) and feedback from production

Revision ID: 0013
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shoplabel.storage.types

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = shoplabel.storage.types.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, *, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "trained_models",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("model_type", sa.String(length=16), nullable=False),
        sa.Column("label_source", sa.String(length=16), nullable=False),
        sa.Column("embedder", sa.String(length=64), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("promoted_version", sa.Integer(), nullable=True),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        _fk("trained_models", "project_id", "projects", ondelete="CASCADE"),
        _fk("trained_models", "created_by", "users", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trained_models")),
        sa.UniqueConstraint(
            "project_id", "version", name=op.f("uq_trained_models_project_id_version")
        ),
    )
    op.create_table(
        "feedback",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("model_id", _ID, nullable=True),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("model_value", sa.String(length=255), nullable=True),
        sa.Column("disagrees", sa.Boolean(), nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        _fk("feedback", "project_id", "projects", ondelete="CASCADE"),
        _fk("feedback", "item_id", "items", ondelete="CASCADE"),
        _fk("feedback", "model_id", "trained_models", ondelete="SET NULL"),
        _fk("feedback", "created_by", "users", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index("ix_feedback_project_id", "feedback", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_project_id", table_name="feedback")
    op.drop_table("feedback")
    op.drop_table("trained_models")
