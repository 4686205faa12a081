"""online worker screening: chance-test evidence, per-class skill and label weight per worker

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("n_scored", sa.Integer(), "0"),
    ("agree_credit", sa.Float(), "0"),
    ("chance_llr", sa.Float(), "0"),
    ("label_weight", sa.Float(), "1"),
    ("class_counts", sa.JSON(), "'{}'"),
)


def upgrade() -> None:
    with op.batch_alter_table("worker_states") as batch:
        for name, type_, default in _COLUMNS:
            batch.add_column(
                sa.Column(name, type_, nullable=False, server_default=sa.text(default))
            )


def downgrade() -> None:
    with op.batch_alter_table("worker_states") as batch:
        for name, _, _ in reversed(_COLUMNS):
            batch.drop_column(name)
