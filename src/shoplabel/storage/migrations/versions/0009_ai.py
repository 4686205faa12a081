"""AI in the loop: embedding cache, model versions, predictions, auto-labels, review flags

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shoplabel.storage.types

revision = "0009"
down_revision = "0008"
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


def _item_keyed(table: str, *extra: sa.Column[object]) -> None:
    """A table keyed by item id, with the project id and the model version."""
    op.create_table(
        table,
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        *extra,
        _fk(table, "item_id", "items", cascade=True),
        _fk(table, "project_id", "projects", cascade=True),
        sa.PrimaryKeyConstraint("item_id", name=op.f(f"pk_{table}")),
    )


def upgrade() -> None:
    op.create_table(
        "embeddings",
        sa.Column("embedder", sa.String(length=64), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("embedder", "text_hash", name=op.f("pk_embeddings")),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("embedder", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("worker_id", _ID, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        _fk("model_versions", "project_id", "projects", cascade=True),
        _fk("model_versions", "worker_id", "users", cascade=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint(
            "project_id", "version", name=op.f("uq_model_versions_project_id_version")
        ),
    )
    _item_keyed(
        "predictions",
        sa.Column("probas", sa.JSON(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_predictions_project_item", "predictions", ["project_id", "item_id"])
    _item_keyed(
        "auto_labels",
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index(
        "ix_auto_labels_project_state", "auto_labels", ["project_id", "state", "item_id"]
    )
    op.create_table(
        "review_flags",
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("suggested", sa.String(length=255), nullable=False),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("review_flags", "item_id", "items", cascade=True),
        _fk("review_flags", "project_id", "projects", cascade=True),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_review_flags")),
    )
    op.create_index("ix_review_flags_project_item", "review_flags", ["project_id", "item_id"])


def downgrade() -> None:
    op.drop_index("ix_review_flags_project_item", table_name="review_flags")
    op.drop_table("review_flags")
    op.drop_index("ix_auto_labels_project_state", table_name="auto_labels")
    op.drop_table("auto_labels")
    op.drop_index("ix_predictions_project_item", table_name="predictions")
    op.drop_table("predictions")
    op.drop_table("model_versions")
    op.drop_table("embeddings")
