"""ORM table definitions (``*Row``). Never exported from ``storage``.

Scale notes (1M items per project, 100M labels): no hot query reads or filters ``payload``;
counters live on ``projects`` and ``items`` and change in the transaction that changes what
they count; every hot path below names the index it uses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
    "AutoLabelRow",
    "Base",
    "ConsensusRow",
    "EmbeddingRow",
    "FeedbackRow",
    "ItemRow",
    "JobRow",
    "LeaseRow",
    "ModelVersionRow",
    "PredictionRow",
    "ProjectMemberRow",
    "ProjectRow",
    "QualityEventRow",
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
