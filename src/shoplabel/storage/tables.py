"""ORM table definitions (``*Row``). Never exported from ``storage``.

Scale notes (1M items per project, 100M labels): no hot query reads or filters ``payload``;
counters live on ``projects`` and ``items`` and change in the transaction that changes what
they count; every hot path below names the index it uses.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shoplabel.storage.types import UTCDateTime

__all__ = [
    "AnnotationRow",
    "ApiTokenRow",
    "AuditEventRow",
    "AuditHeadRow",
    "AutoLabelRow",
    "Base",
    "ConsensusRow",
    "DataReportRow",
    "DuplicateGroupRow",
    "DuplicateMemberRow",
    "EmbeddingRow",
    "FeedbackCounterRow",
    "FeedbackRow",
    "ItemFlagRow",
    "ItemRow",
    "ItemSecretRow",
    "JobRow",
    "LabelActivityRow",
    "LeaderboardOptInRow",
    "LeaseRow",
    "LedgerEntryRow",
    "LedgerPostingRow",
    "ModelVersionRow",
    "PayCursorRow",
    "PayRuleRow",
    "PayoutBatchRow",
    "PayoutLineRow",
    "PredictionRow",
    "ProjectMemberRow",
    "ProjectRow",
    "QualityEventRow",
    "QualitySnapshotRow",
    "RevealRow",
    "ReviewDecisionRow",
    "ReviewFlagRow",
    "TrainedModelRow",
    "UserRow",
    "WorkerModelRow",
    "WorkerReviewStatsRow",
    "WorkerStateRow",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids on PostgreSQL (100M labels), INTEGER PRIMARY KEY (rowid) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # sha256 hex of the secret: a lookup by hash is one unique-index probe per request.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    is_session: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ProjectRow(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    template: Mapped[str] = mapped_column(String(64))
    label_schema: Mapped[dict[str, Any]]
    instructions: Mapped[str] = mapped_column(Text, default="")
    display_fields: Mapped[list[str]] = mapped_column(JSON)
    settings: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    n_items: Mapped[int] = mapped_column(BigInteger, default=0)
    n_open: Mapped[int] = mapped_column(BigInteger, default=0)
    n_done: Mapped[int] = mapped_column(BigInteger, default=0)
    n_review: Mapped[int] = mapped_column(BigInteger, default=0)
    n_annotations: Mapped[int] = mapped_column(BigInteger, default=0)
    n_skips: Mapped[int] = mapped_column(BigInteger, default=0)


class ProjectMemberRow(Base):
    __tablename__ = "project_members"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime]


class ItemRow(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    # none_as_null: "no gold" is SQL NULL (not JSON 'null'), so ix_items_gold stays small.
    gold: Mapped[Any | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    # Valid labels received.
    n_labels: Mapped[int] = mapped_column(Integer, default=0)
    # Labels plus active leases: the overlap quota is enforced on this counter.
    n_reserved: Mapped[int] = mapped_column(Integer, default=0)
    # Review stage (index into the project's review_stages) while the item is in review.
    review_stage: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime]
    # The payload as read, when import clean-up changed it (NULL otherwise): clean-up is
    # reversible. Never served to workers.
    original: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)

    __table_args__ = (
        # Idempotent import by external id.
        UniqueConstraint("project_id", "external_id"),
        # next-task: open items of a project in queue order.
        Index("ix_items_queue", "project_id", "status", text("priority DESC"), "id"),
        # Export and paging by id within a project; random-start candidate scans.
        Index("ix_items_project_id_id", "project_id", "id"),
        # Exact-duplicate detection.
        Index("ix_items_project_id_content_hash", "project_id", "content_hash"),
        # Gold (honeypot) items of a project, for the gold step of next-task.
        Index(
            "ix_items_gold",
            "project_id",
            "id",
            sqlite_where=text("gold IS NOT NULL"),
            postgresql_where=text("gold IS NOT NULL"),
        ),
        # The review queue: items in review of a project, keyset by id.
        Index(
            "ix_items_review",
            "project_id",
            "id",
            sqlite_where=text("status = 'review'"),
            postgresql_where=text("status = 'review'"),
        ),
    )


class LeaseRow(Base):
    __tablename__ = "leases"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]

    __table_args__ = (
        # The expiry sweep reads only due active leases of one project.
        Index("ix_leases_sweep", "project_id", "state", "expires_at"),
        # "Does this worker hold a lease here?" on every next-task.
        Index("ix_leases_held", "project_id", "worker_id", "state"),
        # A worker holds, submits or skips an item at most once; an expired lease frees it.
        Index(
            "uq_leases_item_worker_live",
            "item_id",
            "worker_id",
            unique=True,
            sqlite_where=text("state != 'expired'"),
            postgresql_where=text("state != 'expired'"),
        ),
    )


class AnnotationRow(Base):
    __tablename__ = "annotations"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lease_id: Mapped[int | None] = mapped_column(ForeignKey("leases.id"), nullable=True)
    value: Mapped[Any] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16), default="human")
    status: Mapped[str] = mapped_column(String(16), default="valid")
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]

    __table_args__ = (
        # One label per worker per item: the last line of defence against duplicates.
        UniqueConstraint("item_id", "worker_id"),
        # Streaming a project's labels (aggregation, export) in id order.
        Index("ix_annotations_project_id_id", "project_id", "id"),
        # A worker's own history.
        Index("ix_annotations_worker", "project_id", "worker_id", "id"),
    )


class ConsensusRow(Base):
    __tablename__ = "consensus"
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[Any] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    probas: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    method: Mapped[str] = mapped_column(String(64))
    n_labels: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class WorkerStateRow(Base):
    """One worker's standing and running statistics in one project (quality control)."""

    __tablename__ = "worker_states"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default="active")
    suspended_until: Mapped[datetime | None]
    n_tasks: Mapped[int] = mapped_column(Integer, default=0)
    n_golds_served: Mapped[int] = mapped_column(Integer, default=0)
    n_labels: Mapped[int] = mapped_column(Integer, default=0)
    n_timed: Mapped[int] = mapped_column(Integer, default=0)
    n_fast: Mapped[int] = mapped_column(Integer, default=0)
    skip_streak: Mapped[int] = mapped_column(Integer, default=0)
    longest_skip_streak: Mapped[int] = mapped_column(Integer, default=0)
    gold_credit: Mapped[float] = mapped_column(Float, default=0.0)
    n_gold: Mapped[int] = mapped_column(Integer, default=0)
    answer_counts: Mapped[dict[str, Any]]
    fired: Mapped[dict[str, Any]]
    # Qualification exam state (shoplabel.quality.exams.ExamState.to_dict()), or NULL.
    exam: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    updated_at: Mapped[datetime]
    # Online screening (migration 0010): labels scored against a reference (gold or the
    # leave-one-out posterior of a settled item), their summed agreement probability, the
    # chance-test log-likelihood ratio, the weight of the worker's labels, per-class counts.
    n_scored: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    agree_credit: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    chance_llr: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    label_weight: Mapped[float] = mapped_column(Float, default=1.0, server_default=text("1"))
    class_counts: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )


class QualityEventRow(Base):
    """A quality rule that fired: what it decided and why (shown to requester and worker)."""

    __tablename__ = "quality_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(100))
    actions: Mapped[list[Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_quality_events_project_worker", "project_id", "worker_id", "id"),)


class ReviewDecisionRow(Base):
    """One reviewer's decision on one item at one review stage (the review audit trail)."""

    __tablename__ = "review_decisions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))
    # The label the decision endorses (accept, correct); NULL for reject.
    value: Mapped[Any | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (
        # An item's decisions in order (the latest one carries the proposal to the next stage).
        Index("ix_review_decisions_project_item", "project_id", "item_id", "id"),
    )


class WorkerReviewStatsRow(Base):
    """How often a worker's labels agreed with the label review settled on.

    A table of its own, not columns of ``worker_states``: that row is rewritten whole by
    every label (an upsert of all its columns), which would reset counters kept elsewhere.
    """

    __tablename__ = "worker_review_stats"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    n_reviewed: Mapped[int] = mapped_column(Integer, default=0)
    n_review_agree: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class WorkerModelRow(Base):
    """The latest fitted worker model of a project, used to update posteriors on submit."""

    __tablename__ = "worker_models"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    method: Mapped[str] = mapped_column(String(64))
    # Bumped on every refit: submits compare it to their cached copy (a PK read, no JSON).
    version: Mapped[int] = mapped_column(Integer)
    model: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class JobRow(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payload: Mapped[dict[str, Any]]
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    progress_done: Mapped[int] = mapped_column(BigInteger, default=0)
    progress_total: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_jobs_status_id", "status", "id"),)


class ItemSecretRow(Base):
    """The sealed originals of an item's masked fields, and the other audiences' views.

    A table of its own: next-task and paging never read it, only reveals, review pages and
    manager views do, and ``shoplabel keys rotate`` walks it by ``key_id``.
    """

    __tablename__ = "item_secrets"
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # Id of the data key the originals are sealed with (SHOPLABEL_DATA_KEYS).
    key_id: Mapped[str] = mapped_column(String(32))
    # AES-256-GCM: 12-byte nonce || ciphertext || 16-byte tag of the originals' JSON.
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # {"reviewer": {path: masked value}, "manager": {...}} where they differ from the payload.
    views: Mapped[dict[str, Any]]
    # PII kind -> findings, for reports.
    found: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]

    __table_args__ = (
        # Key rotation: the rows of one key, keyset by item id.
        Index("ix_item_secrets_key_id", "key_id", "item_id"),
        Index("ix_item_secrets_project_id", "project_id", "item_id"),
    )


class RevealRow(Base):
    """The audit trail of reveals: who saw which original fields of which item, when, why."""

    __tablename__ = "reveals"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    fields: Mapped[list[Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_reveals_project_id_id", "project_id", "id"),)


# --- incentives, payments and the audit trail (issue 9, migration 0006) ----------------------
class PayRuleRow(Base):
    """One version of a project's pay rule; it applies from ``created_at`` on."""

    __tablename__ = "pay_rules"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[dict[str, Any]]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("project_id", "version"),)


class EmbeddingRow(Base):
    """An embedding cached by the hash of the text it embeds (shared by every project: the
    same listing in many pairs is embedded once). ``vector`` is float16 bytes."""

    __tablename__ = "embeddings"
    embedder: Mapped[str] = mapped_column(String(64), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class ModelVersionRow(Base):
    """One pre-labelling run's model: kind, fitted head (plain numbers), metrics, threshold."""

    __tablename__ = "model_versions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    embedder: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]]
    metrics: Mapped[dict[str, Any]]
    # The calibrated auto-labelling threshold; NULL when no valid calibration exists.
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("project_id", "version"),)


class LedgerEntryRow(Base):
    """A ledger transaction. ``cause`` is unique: what caused an entry is paid at most once."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    cause: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    withheld: Mapped[int] = mapped_column(BigInteger, default=0)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    work_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    rule_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    __table_args__ = (
        # A worker's history (newest first) and the daily cap / bonus sums per project.
        Index("ix_ledger_entries_worker", "worker_id", "id"),
        Index("ix_ledger_entries_project_worker_day", "project_id", "worker_id", "work_day"),
        # Spend over time and leaderboards per project.
        Index("ix_ledger_entries_project_day", "project_id", "work_day"),
    )


class LedgerPostingRow(Base):
    """One side of a ledger transaction; a balance is ``SUM(amount)`` of an account's rows."""

    __tablename__ = "ledger_postings"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="CASCADE"))
    account_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        # Covering index: a balance is an index-only range sum, never a table scan.
        Index("ix_ledger_postings_account", "owner_id", "account_kind", "currency", "amount"),
        Index("ix_ledger_postings_entry", "entry_id"),
    )


class PayCursorRow(Base):
    """How far a consumer of the audit trail (the pay accrual) has read, by record ``seq``."""

    __tablename__ = "pay_cursors"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class AuditEventRow(Base):
    """An audit record. Written unsealed (``seq``/``hash`` NULL) by the action it records; the
    sealer gives records their place in the chain in batches, off the request path."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)
    body: Mapped[str] = mapped_column(Text)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime]

    __table_args__ = (
        Index(
            "ix_audit_events_unsealed",
            "id",
            sqlite_where=text("seq IS NULL"),
            postgresql_where=text("seq IS NULL"),
        ),
    )


class AuditHeadRow(Base):
    """The chain head (one row): the last sealed record's seq and hash."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class PayoutBatchRow(Base):
    __tablename__ = "payout_batches"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    minimum: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="open")
    n_lines: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]


class PayoutLineRow(Base):
    __tablename__ = "payout_lines"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    provider_ref: Mapped[str] = mapped_column(String(200), default="")
    settled_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("batch_id", "worker_id"),)


class LeaderboardOptInRow(Base):
    """A worker who agreed to appear on a project's leaderboard."""

    __tablename__ = "leaderboard_optins"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    display_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class LabelActivityRow(Base):
    """Labels submitted per project and UTC hour, counted by the submit transaction (one
    upsert): the dashboard's labels-over-time plot reads O(hours), never the labels."""

    __tablename__ = "label_activity"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    n_labels: Mapped[int] = mapped_column(BigInteger, default=0)


class QualitySnapshotRow(Base):
    """The latest quality report of a project, computed by an aggregation run or a
    ``quality_report`` job; the dashboard reads this one row instead of scanning labels."""

    __tablename__ = "quality_snapshots"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    report: Mapped[dict[str, Any]]
    seconds: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime]


class ItemFlagRow(Base):
    """A finding kept on an item: a missing value under the ``flag`` policy, an outlier."""

    __tablename__ = "item_flags"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    # "import" (field rules) or "clean" (the cleaning job; replaced on every run).
    source: Mapped[str] = mapped_column(String(16))
    field: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_item_flags_project", "project_id", "source", "code", "id"),)


class DuplicateGroupRow(Base):
    """Items that are the same (exact) or nearly the same (near, embedding): kept, not dropped."""

    __tablename__ = "duplicate_groups"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    n_items: Mapped[int] = mapped_column(Integer)
    similarity: Mapped[float] = mapped_column(Float)
    # Members carry different gold or consensus labels.
    conflicting: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[str] = mapped_column(String(16), default="undecided")
    keep_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_duplicate_groups_project", "project_id", "kind", "id"),)


class DuplicateMemberRow(Base):
    __tablename__ = "duplicate_members"
    group_id: Mapped[int] = mapped_column(
        ForeignKey("duplicate_groups.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DataReportRow(Base):
    """A project's data-quality report, computed by a job; pages read the latest one."""

    __tablename__ = "data_reports"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    report: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_data_reports_project", "project_id", "id"),)


class PredictionRow(Base):
    """The latest model version's prediction for an item."""

    __tablename__ = "predictions"
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    model_version: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(String(255))
    confidence: Mapped[float] = mapped_column(Float)
    probas: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_predictions_project_item", "project_id", "item_id"),)


class AutoLabelRow(Base):
    """An item the model labelled on its own (or left to humans as a spot check)."""

    __tablename__ = "auto_labels"
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    model_version: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(String(255))
    confidence: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_auto_labels_project_state", "project_id", "state", "item_id"),)


class ReviewFlagRow(Base):
    """An item automatic review sent to the review queue, and why (cleanlab's finding)."""

    __tablename__ = "review_flags"
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(255))
    suggested: Mapped[str] = mapped_column(String(255))
    quality: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_review_flags_project_item", "project_id", "item_id"),)


class TrainedModelRow(Base):
    """A model trained on the project's labels (the registry): data snapshot, params,
    weights, evaluation, and the pre-labeller version it became when promoted."""

    __tablename__ = "trained_models"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    model_type: Mapped[str] = mapped_column(String(16))
    label_source: Mapped[str] = mapped_column(String(16))
    embedder: Mapped[str] = mapped_column(String(64))
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]]
    weights: Mapped[dict[str, Any]]
    metrics: Mapped[dict[str, Any]]
    promoted_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("project_id", "version"),)


class FeedbackRow(Base):
    """A production signal about one item's model output (newest first per project)."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("trained_models.id", ondelete="SET NULL"), nullable=True
    )
    signal: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text)
    model_value: Mapped[str | None] = mapped_column(String(255), nullable=True)
    disagrees: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_feedback_project_id", "project_id", "id"),)


class FeedbackCounterRow(Base):
    """Feedback received per project and signal (and how much of it disagreed with the human
    consensus), bumped by the feedback write: the dashboard reads these few rows."""

    __tablename__ = "feedback_counters"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    signal: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    n_disagree: Mapped[int] = mapped_column(BigInteger, default=0)
