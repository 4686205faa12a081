"""Feedback counters: production signals per project and signal, kept by the feedback write

Revision ID: 0016
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feedback_counters",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("n_disagree", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_feedback_counters_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "signal", name=op.f("pk_feedback_counters")),
    )
    # Feedback received before this revision: counted once here.
    op.execute(
        "INSERT INTO feedback_counters (project_id, signal, n, n_disagree) "
        "SELECT project_id, signal, COUNT(*), SUM(CASE WHEN disagrees THEN 1 ELSE 0 END) "
        "FROM feedback GROUP BY project_id, signal"
    )


def downgrade() -> None:
    op.drop_table("feedback_counters")
