"""dashboard statistics: labels per project and hour, stored quality report snapshots

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shoplabel.storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = shoplabel.storage.types.UTCDateTime(timezone=True)

# Labels already stored are counted once here; from now on the submit transaction counts them.
_BACKFILL = {
    "sqlite": (
        "INSERT INTO label_activity (project_id, hour, n_labels) "
        "SELECT project_id, strftime('%Y-%m-%d %H:00:00.000000', created_at), count(*) "
        "FROM annotations GROUP BY 1, 2"
    ),
    "postgresql": (
        "INSERT INTO label_activity (project_id, hour, n_labels) "
        "SELECT project_id, date_trunc('hour', created_at AT TIME ZONE 'UTC') "
        "AT TIME ZONE 'UTC', count(*) FROM annotations GROUP BY 1, 2"
    ),
}


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"],
        ["projects.id"],
        name=op.f(f"fk_{table}_project_id_projects"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "label_activity",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("hour", _TS, nullable=False),
        sa.Column("n_labels", sa.BigInteger(), nullable=False),
        _project_fk("label_activity"),
        sa.PrimaryKeyConstraint("project_id", "hour", name=op.f("pk_label_activity")),
    )
    op.create_table(
        "quality_snapshots",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("computed_at", _TS, nullable=False),
        _project_fk("quality_snapshots"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_quality_snapshots")),
    )
    backfill = _BACKFILL.get(op.get_bind().dialect.name)
    if backfill is not None:
        op.execute(backfill)


def downgrade() -> None:
    op.drop_table("quality_snapshots")
    op.drop_table("label_activity")
