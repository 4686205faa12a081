"""Row -> domain object conversions, in one place."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from shoplabel.domain.annotations import (
    Annotation,
    AnnotationSource,
    AnnotationStatus,
    Lease,
    LeaseState,
)
from shoplabel.domain.ids import AnnotationId, ItemId, JobId, LeaseId, ProjectId, TokenId, UserId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.jobs import Job, JobKind, JobStatus
from shoplabel.domain.labels import LabelSchema, parse_schema
from shoplabel.domain.projects import Project, ProjectCounters, ProjectSettings, parse_settings
from shoplabel.domain.users import ApiToken, Role, User, UserStatus

__all__ = [
    "to_annotation",
    "to_item",
    "to_job",
    "to_lease",
    "to_project",
    "to_token",
    "to_user",
]


def to_user(r: Any) -> User:
    return User(
        id=UserId(r.id),
        username=r.username,
        role=Role(r.role),
        status=UserStatus(r.status),
        created_at=r.created_at,
        display_name=r.display_name,
    )


def to_token(r: Any) -> ApiToken:
    return ApiToken(
        id=TokenId(r.id),
        user_id=UserId(r.user_id),
        name=r.name,
        prefix=r.prefix,
        created_at=r.created_at,
        expires_at=r.expires_at,
        last_used_at=r.last_used_at,
    )


@lru_cache(maxsize=256)
def _parsed_json(
    schema: str, settings: str, display_fields: str
) -> tuple[LabelSchema, ProjectSettings, tuple[str, ...]]:
    return (
        parse_schema(json.loads(schema)),
        parse_settings(json.loads(settings)),
        tuple(json.loads(display_fields)),
    )


def _project_config(r: Any) -> tuple[LabelSchema, ProjectSettings, tuple[str, ...]]:
    """Schema, settings and display fields of a project row.

    The hot read (``projects.get``, twice per next + submit cycle) selects these JSON columns
    as text; validating them cost more than the query, so the parsed, immutable result is
    memoised by the exact text. Rows from the ORM carry decoded JSON and are parsed as is.
    """
    if isinstance(r.label_schema, str):
        return _parsed_json(r.label_schema, r.settings, r.display_fields)
    return parse_schema(r.label_schema), parse_settings(r.settings), tuple(r.display_fields)


def to_project(r: Any) -> Project:
    counters = ProjectCounters(
        n_items=r.n_items,
        n_open=r.n_open,
        n_done=r.n_done,
        n_review=r.n_review,
        n_annotations=r.n_annotations,
        n_skips=r.n_skips,
    )
    schema, settings, display_fields = _project_config(r)
    return Project(
        id=ProjectId(r.id),
        name=r.name,
        owner_id=UserId(r.owner_id),
        template=r.template,
        schema=schema,
        instructions=r.instructions,
        display_fields=display_fields,
        settings=settings,
        created_at=r.created_at,
        counters=counters,
        description=r.description,
    )


def to_item(r: Any) -> Item:
    return Item(
        id=ItemId(r.id),
        project_id=ProjectId(r.project_id),
        external_id=r.external_id,
        payload=r.payload,
        content_hash=r.content_hash,
        status=ItemStatus(r.status),
        priority=r.priority,
        gold=r.gold,
        n_labels=r.n_labels,
        created_at=r.created_at,
    )


def to_lease(r: Any) -> Lease:
    return Lease(
        id=LeaseId(r.id),
        item_id=ItemId(r.item_id),
        project_id=ProjectId(r.project_id),
        worker_id=UserId(r.worker_id),
        state=LeaseState(r.state),
        created_at=r.created_at,
        expires_at=r.expires_at,
    )


def to_annotation(r: Any) -> Annotation:
    return Annotation(
        id=AnnotationId(r.id),
        item_id=ItemId(r.item_id),
        project_id=ProjectId(r.project_id),
        worker_id=UserId(r.worker_id),
        value=r.value,
        source=AnnotationSource(r.source),
        status=AnnotationStatus(r.status),
        duration_ms=r.duration_ms,
        created_at=r.created_at,
        lease_id=None if r.lease_id is None else LeaseId(r.lease_id),
    )


def to_job(r: Any) -> Job:
    return Job(
        id=JobId(r.id),
        kind=JobKind(r.kind),
        status=JobStatus(r.status),
        payload=r.payload,
        project_id=None if r.project_id is None else ProjectId(r.project_id),
        created_by=None if r.created_by is None else UserId(r.created_by),
        progress_done=r.progress_done,
        progress_total=r.progress_total,
        result=r.result,
        error=r.error,
        created_at=r.created_at,
        finished_at=r.finished_at,
    )
