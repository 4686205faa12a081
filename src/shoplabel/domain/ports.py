"""Ports: the repository and unit-of-work protocols that services depend on.

``storage`` implements them with SQLAlchemy; services never see a session. Repositories never
commit: the service owns the transaction through the :class:`UnitOfWork`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from shoplabel.domain.ai import (
    AutoLabel,
    AutoLabelState,
    ModelKind,
    ModelVersion,
    Prediction,
    ReviewFlag,
)
from shoplabel.domain.annotations import Annotation, Lease, LeaseState, NewAnnotation
from shoplabel.domain.ids import ItemId, JobId, LeaseId, ProjectId, TokenId, UserId
from shoplabel.domain.items import Item, ItemStatus, NewItem
from shoplabel.domain.jobs import Job, JobKind
from shoplabel.domain.labels import LabelSchema
from shoplabel.domain.projects import Project, ProjectSettings
from shoplabel.domain.reviews import ReviewDecision, ReviewRecord
from shoplabel.domain.scheduling import CandidateOrder
from shoplabel.domain.training import (
    Feedback,
    FeedbackSignal,
    LabelSource,
    ModelType,
    TrainedModel,
)
from shoplabel.domain.users import ApiToken, Role, User, UserStatus
from shoplabel.domain.workers import QualityEvent, WorkerState

__all__ = [
    "AiRepository",
    "AnnotationRepository",
    "ConsensusRepository",
    "ConsensusWrite",
    "DashboardRepository",
    "ItemRepository",
    "JobRepository",
    "LabelRow",
    "LeaseRepository",
    "NewProject",
    "ProjectRepository",
    "QualityRepository",
    "ReviewRepository",
    "TokenRepository",
    "UnitOfWork",
    "UserRepository",
    "WorkerModelRepository",
    "WorkerStateRepository",
]


@dataclass(frozen=True, slots=True)
class NewProject:
    name: str
    owner_id: UserId
    template: str
    schema: LabelSchema
    instructions: str
    display_fields: tuple[str, ...]
    settings: ProjectSettings
    description: str = ""


@dataclass(frozen=True, slots=True)
class LabelRow:
    """One valid annotation as truth inference needs it."""

    item_id: ItemId
    worker_id: UserId
    value: Any


@dataclass(frozen=True, slots=True)
class ConsensusWrite:
    item_id: ItemId
    value: Any
    confidence: float
    probas: Mapping[str, float] | None
    method: str
    n_labels: int


class UserRepository(Protocol):
    def add(self, *, username: str, role: Role, password_hash: str, display_name: str) -> User: ...
    def get(self, user_id: UserId) -> User: ...
    def find_by_username(self, username: str) -> User | None: ...
    def password_hash(self, user_id: UserId) -> str: ...
    def set_password_hash(self, user_id: UserId, password_hash: str) -> None: ...
    def list_all(self, *, offset: int, limit: int) -> list[User]: ...
    def set_role(self, user_id: UserId, role: Role) -> None: ...
    def set_status(self, user_id: UserId, status: UserStatus) -> None: ...
    def get_many(self, user_ids: Sequence[UserId]) -> dict[UserId, User]: ...


class TokenRepository(Protocol):
    def add(
        self,
        *,
        user_id: UserId,
        name: str,
        token_hash: str,
        prefix: str,
        expires_at: datetime | None,
        is_session: bool,
    ) -> ApiToken: ...
    def find_user(self, token_hash: str, *, now: datetime) -> User | None: ...
    def list_for_user(self, user_id: UserId) -> list[ApiToken]: ...
    def revoke(self, token_id: TokenId, *, user_id: UserId | None) -> bool: ...
    def revoke_hash(self, token_hash: str) -> None: ...


class ProjectRepository(Protocol):
    def add(self, new: NewProject) -> Project: ...
    def get(self, project_id: ProjectId) -> Project: ...
    def list_for(
        self, *, owner_id: UserId | None, open_or_member_of: UserId | None, offset: int, limit: int
    ) -> list[Project]: ...
    def update_settings(self, project_id: ProjectId, settings: ProjectSettings) -> None: ...
    def add_counters(self, project_id: ProjectId, **deltas: int) -> None: ...
    def is_member(self, project_id: ProjectId, user_id: UserId) -> bool: ...
    def add_member(self, project_id: ProjectId, user_id: UserId) -> None: ...


class ItemRepository(Protocol):
    def existing_external_ids(
        self, project_id: ProjectId, external_ids: Sequence[str]
    ) -> set[str]: ...
    def add_many(self, project_id: ProjectId, items: Sequence[NewItem]) -> int: ...
    def get(self, item_id: ItemId) -> Item: ...
    def get_many(self, item_ids: Sequence[ItemId]) -> list[Item]: ...
    def candidates(  # noqa: PLR0913 - one keyword per SQL filter of the candidate query
        self,
        project_id: ProjectId,
        *,
        worker_id: UserId,
        max_overlap: int,
        order: CandidateOrder,
        start_id: int,
        limit: int,
        only: Sequence[ItemId] | None = None,
        exclude_gold: bool = False,
    ) -> list[ItemId]: ...
    def gold_candidates(
        self, project_id: ProjectId, *, worker_id: UserId, limit: int
    ) -> list[ItemId]: ...
    def claim(self, item_id: ItemId, *, max_overlap: int) -> bool: ...
    def release(self, item_ids: Sequence[ItemId]) -> None: ...
    def add_label(self, item_id: ItemId, *, new_slot: bool) -> tuple[int, ItemStatus]: ...
    def unlabel(self, item_ids: Sequence[ItemId]) -> dict[ItemId, ItemStatus]: ...
    def set_priority(self, item_id: ItemId, priority: float) -> None: ...
    def set_status(self, item_id: ItemId, status: ItemStatus) -> None: ...
    def gold_labels(self, project_id: ProjectId) -> dict[ItemId, Any]: ...
    def max_id(self, project_id: ProjectId) -> int: ...
    def min_id(self, project_id: ProjectId) -> int: ...
    def page(
        self, project_id: ProjectId, *, after_id: int, limit: int, status: ItemStatus | None
    ) -> list[Item]: ...


class LeaseRepository(Protocol):
    def add(
        self,
        *,
        item_id: ItemId,
        project_id: ProjectId,
        worker_id: UserId,
        now: datetime,
        expires_at: datetime,
    ) -> Lease: ...
    def get(self, lease_id: LeaseId) -> Lease: ...
    def find_active(
        self, project_id: ProjectId, worker_id: UserId, *, now: datetime
    ) -> Lease | None: ...
    def settle(
        self, lease_id: LeaseId, *, worker_id: UserId, state: LeaseState, now: datetime
    ) -> bool: ...
    def expire_due(self, project_id: ProjectId, *, now: datetime, limit: int) -> list[ItemId]: ...


class AnnotationRepository(Protocol):
    def add(self, new: NewAnnotation, *, now: datetime) -> Annotation: ...
    def list_for_item(self, item_id: ItemId) -> list[Annotation]: ...
    def list_for_items(self, item_ids: Sequence[ItemId]) -> dict[ItemId, list[Annotation]]: ...
    def list_for_worker(
        self, project_id: ProjectId, worker_id: UserId, *, after_id: int, limit: int
    ) -> list[Annotation]: ...
    def page(self, project_id: ProjectId, *, after_id: int, limit: int) -> list[Annotation]: ...
    def reject_worker(self, project_id: ProjectId, worker_id: UserId) -> list[ItemId]: ...
    def label_rows(self, project_id: ProjectId) -> Iterator[LabelRow]: ...


class ConsensusRepository(Protocol):
    def upsert_many(
        self, project_id: ProjectId, rows: Sequence[ConsensusWrite], *, now: datetime
    ) -> None: ...
    def get_many(self, item_ids: Sequence[ItemId]) -> dict[ItemId, ConsensusWrite]: ...
    def reviewed_item_ids(self, project_id: ProjectId) -> set[ItemId]: ...


class JobRepository(Protocol):
    def add(
        self,
        *,
        kind: JobKind,
        payload: Mapping[str, Any],
        project_id: ProjectId | None,
        created_by: UserId | None,
        now: datetime,
    ) -> Job: ...
    def get(self, job_id: JobId) -> Job: ...
    def claim_next(self, *, now: datetime) -> Job | None: ...
    def set_progress(self, job_id: JobId, *, done: int, total: int | None) -> None: ...
    def finish(self, job_id: JobId, *, result: Mapping[str, Any], now: datetime) -> None: ...
    def fail(
        self, job_id: JobId, *, error: str, now: datetime, result: Mapping[str, Any] | None
    ) -> None: ...


class WorkerModelRepository(Protocol):
    def version(self, project_id: ProjectId) -> int | None: ...
    def get(self, project_id: ProjectId) -> tuple[int, str, Mapping[str, Any]] | None: ...
    def put(self, project_id: ProjectId, *, method: str, model: Mapping[str, Any]) -> int: ...


class WorkerStateRepository(Protocol):
    def get(self, project_id: ProjectId, worker_id: UserId) -> WorkerState: ...
    def save(self, state: WorkerState) -> None: ...
    def list_for_project(
        self, project_id: ProjectId, *, after_worker: int, limit: int
    ) -> list[WorkerState]: ...
    def add_event(
        self,
        project_id: ProjectId,
        worker_id: UserId,
        *,
        rule: str,
        actions: Sequence[Mapping[str, Any]],
        reason: str,
    ) -> None: ...
    def events(
        self, project_id: ProjectId, *, worker_id: UserId | None, limit: int
    ) -> list[QualityEvent]: ...


class DashboardRepository(Protocol):
    def consensus_label_counts(self, project_id: ProjectId) -> list[tuple[str, int]]: ...
    def consensus_confidence_bins(self, project_id: ProjectId, *, n_bins: int) -> list[int]: ...
    def worker_label_counts(
        self, worker_id: UserId, project_ids: Sequence[ProjectId]
    ) -> dict[ProjectId, int]: ...


class ReviewRepository(Protocol):
    def queue(
        self, project_id: ProjectId, *, after_id: int, limit: int, stage: int | None
    ) -> list[tuple[Item, int]]: ...
    def stage_of(self, item_id: ItemId) -> int: ...
    def advance(
        self, item_id: ItemId, *, from_stage: int, to_stage: int, status: ItemStatus
    ) -> bool: ...
    def add(
        self,
        project_id: ProjectId,
        item_id: ItemId,
        *,
        reviewer_id: UserId,
        stage: int,
        decision: ReviewDecision,
        value: Any,
        reason: str,
    ) -> ReviewRecord: ...
    def list_for_items(self, item_ids: Sequence[ItemId]) -> dict[ItemId, list[ReviewRecord]]: ...
    def reject_labels(self, item_id: ItemId) -> int: ...
    def add_evidence(self, project_id: ProjectId, agreed: Mapping[UserId, bool]) -> None: ...
    def stats(
        self, project_id: ProjectId, worker_ids: Sequence[UserId] | None
    ) -> dict[UserId, tuple[int, int]]: ...


class QualityRepository(Protocol):
    def labels(
        self, project_id: ProjectId, *, windows: Sequence[tuple[int, int]] | None
    ) -> Iterator[tuple[ItemId, UserId, Any, int | None]]: ...
    def consensus_agreement(
        self, project_id: ProjectId, worker_ids: Sequence[UserId] | None
    ) -> dict[UserId, tuple[int, int]]: ...
    def labels_per_item(self, project_id: ProjectId) -> list[tuple[int, int]]: ...
    def done_confidence(self, project_id: ProjectId) -> list[tuple[int, int, float]]: ...
    def review_resolved(self, project_id: ProjectId) -> int: ...


class AiRepository(Protocol):
    def embeddings(self, embedder: str, text_hashes: Sequence[str]) -> dict[str, bytes]: ...
    def add_embeddings(self, embedder: str, rows: Mapping[str, bytes], *, dim: int) -> None: ...
    def add_version(
        self,
        project_id: ProjectId,
        *,
        kind: ModelKind,
        embedder: str,
        params: Mapping[str, Any],
        metrics: Mapping[str, Any],
        threshold: float | None,
        worker_id: UserId | None,
    ) -> ModelVersion: ...
    def latest_version(self, project_id: ProjectId) -> ModelVersion | None: ...
    def list_versions(self, project_id: ProjectId, *, limit: int) -> list[ModelVersion]: ...
    def set_threshold(self, version_id: int, threshold: float | None) -> None: ...
    def upsert_predictions(self, project_id: ProjectId, rows: Sequence[Prediction]) -> None: ...
    def predictions(self, item_ids: Sequence[ItemId]) -> dict[ItemId, Prediction]: ...
    def prediction_page(
        self, project_id: ProjectId, *, after_id: int, limit: int
    ) -> list[Prediction]: ...
    def set_model_label(self, item_id: ItemId, worker_id: UserId, value: str) -> bool: ...
    def add_auto_labels(self, project_id: ProjectId, rows: Sequence[AutoLabel]) -> None: ...
    def auto_labels(
        self, project_id: ProjectId, *, state: AutoLabelState | None
    ) -> list[AutoLabel]: ...
    def set_auto_state(self, item_ids: Sequence[ItemId], state: AutoLabelState) -> None: ...
    def clear_consensus(self, item_ids: Sequence[ItemId]) -> None: ...
    def add_review_flags(self, project_id: ProjectId, flags: Sequence[ReviewFlag]) -> None: ...
    def review_flags(
        self, project_id: ProjectId, *, after_id: int, limit: int
    ) -> list[ReviewFlag]: ...


class TrainingRepository(Protocol):
    def add_model(  # noqa: PLR0913 - one keyword per registry column
        self,
        project_id: ProjectId,
        *,
        model_type: ModelType,
        label_source: LabelSource,
        embedder: str,
        snapshot_hash: str,
        params: Mapping[str, Any],
        weights: Mapping[str, Any],
        metrics: Mapping[str, Any],
        created_by: UserId | None,
    ) -> TrainedModel: ...
    def get_model(self, model_id: int) -> TrainedModel: ...
    def list_models(self, project_id: ProjectId, *, limit: int) -> list[TrainedModel]: ...
    def set_promoted(self, model_id: int, version: int) -> None: ...
    def add_feedback(  # noqa: PLR0913 - one keyword per feedback column
        self,
        project_id: ProjectId,
        *,
        item_id: ItemId,
        model_id: int | None,
        signal: FeedbackSignal,
        comment: str,
        model_value: str | None,
        disagrees: bool,
        created_by: UserId | None,
    ) -> Feedback: ...
    def list_feedback(
        self, project_id: ProjectId, *, before_id: int | None, limit: int
    ) -> list[Feedback]: ...
    def feedback_counts(self, project_id: ProjectId) -> dict[str, int]: ...
    def item_ids_by_external(
        self, project_id: ProjectId, external_ids: Sequence[str]
    ) -> dict[str, ItemId]: ...


class UnitOfWork(Protocol):
    """One transaction. ``with uow:`` opens a write transaction; ``with uow.reading():`` a
    read-only one (on SQLite it does not take the write lock). Leaving either block without
    :meth:`commit` rolls back."""

    @property
    def users(self) -> UserRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def projects(self) -> ProjectRepository: ...
    @property
    def items(self) -> ItemRepository: ...
    @property
    def leases(self) -> LeaseRepository: ...
    @property
    def annotations(self) -> AnnotationRepository: ...
    @property
    def consensus(self) -> ConsensusRepository: ...
    @property
    def jobs(self) -> JobRepository: ...
    @property
    def worker_models(self) -> WorkerModelRepository: ...
    @property
    def workers(self) -> WorkerStateRepository: ...
    @property
    def reviews(self) -> ReviewRepository: ...
    @property
    def quality(self) -> QualityRepository: ...
    @property
    def dashboards(self) -> DashboardRepository: ...
    @property
    def ai(self) -> AiRepository: ...
    @property
    def training(self) -> TrainingRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def reading(self) -> AbstractContextManager[UnitOfWork]: ...
    def commit(self) -> None: ...
    def now(self) -> datetime: ...
