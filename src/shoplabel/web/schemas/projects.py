"""Projects, their settings and members, and the task templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shoplabel.domain.ids import UserId
from shoplabel.domain.projects import Project, ProjectCounters
from shoplabel.domain.templates import Template
from shoplabel.services.projects import ProjectSpec

__all__ = [
    "CountersRead",
    "MemberCreate",
    "ProjectCreate",
    "ProjectPage",
    "ProjectRead",
    "ProjectSettingsUpdate",
    "TemplateRead",
]


class ProjectCreate(BaseModel):
    """A new project; omitted fields take the template's defaults."""

    name: str = Field(min_length=1, max_length=200)
    template: str = Field(description="A key of GET /templates.")
    label_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    instructions: str | None = None
    display_fields: list[str] | None = None
    settings: dict[str, Any] | None = None
    description: str = Field(default="", max_length=5000)

    model_config = ConfigDict(populate_by_name=True)

    def to_spec(self) -> ProjectSpec:
        return ProjectSpec(
            name=self.name,
            template=self.template,
            schema=self.label_schema,
            instructions=self.instructions,
            display_fields=self.display_fields,
            settings=self.settings,
            description=self.description,
        )


class ProjectSettingsUpdate(BaseModel):
    """Settings to change; keys left out keep their value (see docs/projects.md)."""

    model_config = ConfigDict(extra="forbid")

    min_overlap: int | None = None
    max_overlap: int | None = None
    overlap_mode: str | None = None
    target_confidence: float | None = None
    lease_ttl_seconds: int | None = None
    assignment_policy: str | None = None
    aggregation_method: str | None = None
    access: str | None = None
    gold_rate: float | None = None
    gold_min_every: int | None = None
    quality_rules: dict[str, Any] | None = None
    exam: dict[str, Any] | None = None
    review_stages: list[str] | None = None
    privacy: dict[str, Any] | None = None
    data_rules: dict[str, Any] | None = None
    ai: dict[str, Any] | None = None
    relabel_sample_rate: float | None = None
    relabel_every_days: int | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class MemberCreate(BaseModel):
    user_id: int

    def id(self) -> UserId:
        return UserId(self.user_id)


class CountersRead(BaseModel):
    n_items: int
    n_open: int
    n_done: int
    n_review: int
    n_annotations: int
    n_skips: int

    @classmethod
    def from_domain(cls, c: ProjectCounters) -> CountersRead:
        return cls(
            n_items=c.n_items,
            n_open=c.n_open,
            n_done=c.n_done,
            n_review=c.n_review,
            n_annotations=c.n_annotations,
            n_skips=c.n_skips,
        )


class ProjectRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    name: str
    description: str
    owner_id: int
    template: str
    label_schema: dict[str, Any] = Field(alias="schema")
    instructions: str
    display_fields: list[str]
    settings: dict[str, Any]
    counters: CountersRead
    created_at: datetime

    @classmethod
    def from_domain(cls, p: Project) -> ProjectRead:
        return cls(
            id=p.id,
            name=p.name,
            description=p.description,
            owner_id=p.owner_id,
            template=p.template,
            label_schema=p.schema.to_dict(),
            instructions=p.instructions,
            display_fields=list(p.display_fields),
            settings=p.settings.to_dict(),
            counters=CountersRead.from_domain(p.counters),
            created_at=p.created_at,
        )


class ProjectPage(BaseModel):
    items: list[ProjectRead]
    offset: int
    limit: int
    next_offset: int | None

    @classmethod
    def from_domain(cls, projects: list[Project], *, offset: int, limit: int) -> ProjectPage:
        return cls(
            items=[ProjectRead.from_domain(p) for p in projects],
            offset=offset,
            limit=limit,
            next_offset=offset + limit if len(projects) == limit else None,
        )


class TemplateRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    key: str
    title: str
    label_schema: dict[str, Any] = Field(alias="schema")
    instructions: str
    display_fields: list[str]
    required_fields: list[str]

    @classmethod
    def from_domain(cls, t: Template) -> TemplateRead:
        return cls(
            key=t.key,
            title=t.title,
            label_schema=dict(t.schema),
            instructions=t.instructions,
            display_fields=list(t.display_fields),
            required_fields=list(t.required_fields),
        )
