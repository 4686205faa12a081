"""incentives and payments: pay rules, double-entry ledger, payouts, leaderboards, audit trail

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import shoplabel.storage.types

revision = "0006"
down_revision = "0005"
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


def _ledger() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", _ID, nullable=False),
        sa.Column("cause", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("withheld", sa.BigInteger(), nullable=False),
        sa.Column("project_id", _ID, nullable=True),
        sa.Column("worker_id", _ID, nullable=True),
        sa.Column("work_day", sa.Date(), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("score_kind", sa.String(length=16), nullable=True),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _fk("ledger_entries", "project_id", "projects", cascade=True),
        _fk("ledger_entries", "worker_id", "users", cascade=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("cause", name=op.f("uq_ledger_entries_cause")),
    )
    op.create_index("ix_ledger_entries_worker", "ledger_entries", ["worker_id", "id"])
    op.create_index(
        "ix_ledger_entries_project_worker_day",
        "ledger_entries",
        ["project_id", "worker_id", "work_day"],
    )
    op.create_index("ix_ledger_entries_project_day", "ledger_entries", ["project_id", "work_day"])
    op.create_table(
        "ledger_postings",
        sa.Column("id", _ID, nullable=False),
        sa.Column("entry_id", _ID, nullable=False),
        sa.Column("account_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_postings_entry_id_ledger_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    op.create_index(
        "ix_ledger_postings_account",
        "ledger_postings",
        ["owner_id", "account_kind", "currency", "amount"],
    )
    op.create_index("ix_ledger_postings_entry", "ledger_postings", ["entry_id"])


def _audit() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_events_seq")),
    )
    op.create_index(
        "ix_audit_events_unsealed",
        "audit_events",
        ["id"],
        sqlite_where=sa.text("seq IS NULL"),
        postgresql_where=sa.text("seq IS NULL"),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64, "updated_at": datetime.now(UTC)}])
    op.create_table(
        "pay_cursors",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pay_cursors")),
    )


def _payouts() -> None:
    op.create_table(
        "payout_batches",
        sa.Column("id", _ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("minimum", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n_lines", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("settled_at", _TS, nullable=True),
        _fk("payout_batches", "created_by", "users", cascade=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_batches")),
    )
    op.create_table(
        "payout_lines",
        sa.Column("id", _ID, nullable=False),
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("worker_id", _ID, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=200), nullable=False),
        sa.Column("settled_at", _TS, nullable=True),
        _fk("payout_lines", "batch_id", "payout_batches", cascade=True),
        _fk("payout_lines", "worker_id", "users", cascade=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_lines")),
        sa.UniqueConstraint(
            "batch_id", "worker_id", name=op.f("uq_payout_lines_batch_id_worker_id")
        ),
    )


def upgrade() -> None:
    op.create_table(
        "pay_rules",
        sa.Column("id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        _fk("pay_rules", "project_id", "projects", cascade=True),
        _fk("pay_rules", "created_by", "users", cascade=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_rules")),
        sa.UniqueConstraint("project_id", "version", name=op.f("uq_pay_rules_project_id_version")),
    )
    _ledger()
    _audit()
    _payouts()
    op.create_table(
        "leaderboard_optins",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("worker_id", _ID, nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_leaderboard_optins_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_leaderboard_optins_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "worker_id", name=op.f("pk_leaderboard_optins")),
    )


def downgrade() -> None:
    op.drop_table("leaderboard_optins")
    op.drop_table("payout_lines")
    op.drop_table("payout_batches")
    op.drop_table("pay_cursors")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_events_unsealed", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_ledger_postings_entry", table_name="ledger_postings")
    op.drop_index("ix_ledger_postings_account", table_name="ledger_postings")
    op.drop_table("ledger_postings")
    op.drop_index("ix_ledger_entries_project_day", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_project_worker_day", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_worker", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("pay_rules")
