"""Creating, listing and configuring projects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shoplabel.dataprep.pii.policy import Audience, PrivacyPolicy
from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.labels import parse_schema
from shoplabel.domain.permissions import (
    can_create_project,
    can_manage_project,
    can_view_project,
    require,
)
from shoplabel.domain.ports import NewProject, UnitOfWork
from shoplabel.domain.projects import Project, ProjectSettings, parse_settings
from shoplabel.domain.scheduling import get_policy
from shoplabel.domain.templates import get_template
from shoplabel.domain.users import Actor, Role
from shoplabel.errors import InvalidInput, InvalidSettings, ProjectNotFound
from shoplabel.inference.registry import AGGREGATORS, DEFAULT_METHOD
from shoplabel.services import worker_quality
from shoplabel.services.data_rules import data_rules
from shoplabel.services.privacy import with_views

__all__ = [
    "ProjectSpec",
    "add_member",
    "create_project",
    "get_project",
    "list_items",
    "list_projects",
    "update_settings",
    "visible_project",
]


def _validate_names(settings: ProjectSettings) -> ProjectSettings:
    get_policy(settings.assignment_policy)
    worker_quality.ruleset(settings)
    worker_quality.exam_policy(settings)
    PrivacyPolicy.parse(settings.privacy)
    data_rules(settings)
    if settings.aggregation_method == "default":
        return settings
    if settings.aggregation_method not in AGGREGATORS:
        raise InvalidSettings(
            f"unknown aggregation method {settings.aggregation_method!r}; known: "
            f"{['default', *sorted(AGGREGATORS)]} (default is {DEFAULT_METHOD})",
            details={"field": "aggregation_method"},
        )
    return settings


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """What a requester asks for; ``None`` fields take the template's defaults."""

    name: str
    template: str
    schema: Mapping[str, Any] | None = None
    instructions: str | None = None
    display_fields: Sequence[str] | None = None
    settings: Mapping[str, Any] | None = None
    description: str = ""


def create_project(uow: UnitOfWork, spec: ProjectSpec, *, actor: Actor) -> Project:
    """Create a project from a template, overriding its schema, instructions or fields.

    Raises:
        PermissionDenied: the actor is not an admin or requester.
        UnknownTemplate, InvalidLabelSchema, InvalidSettings: bad configuration.
    """
    require(can_create_project(actor), "create projects (requesters and admins only)")
    name = spec.name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("project name must be 1-200 characters", details={"field": "name"})
    tpl = get_template(spec.template)
    raw_schema = spec.schema if spec.schema is not None else tpl.schema
    if not raw_schema:
        raise InvalidInput("the custom template needs a label schema", details={"field": "schema"})
    fields = tpl.display_fields if spec.display_fields is None else spec.display_fields
    new = NewProject(
        name=name,
        owner_id=actor.user_id,
        template=tpl.key,
        schema=parse_schema(raw_schema),
        instructions=tpl.instructions if spec.instructions is None else spec.instructions,
        display_fields=tuple(fields),
        settings=_validate_names(parse_settings(spec.settings)),
        description=spec.description,
    )
    with uow:
        project = uow.projects.add(new)
        uow.commit()
    return project


def visible_project(uow: UnitOfWork, actor: Actor, project_id: ProjectId) -> Project:
    """Load a project inside an open unit of work, hiding ones the actor may not see.

    A project the actor may not see answers ``ProjectNotFound``, not 403, so ids of other
    requesters' projects are not revealed.
    """
    project = uow.projects.get(project_id)
    member = actor.role in (Role.WORKER, Role.REVIEWER) and uow.projects.is_member(
        project_id, actor.user_id
    )
    if not can_view_project(actor, project, is_member=member):
        raise ProjectNotFound(
            f"project {project_id} does not exist", details={"project_id": project_id}
        )
    return project


def get_project(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> Project:
    with uow.reading():
        return visible_project(uow, actor, project_id)


def list_projects(
    uow: UnitOfWork, *, actor: Actor, offset: int = 0, limit: int = 50
) -> list[Project]:
    """Admins see all projects, requesters their own, workers the ones they may label."""
    with uow.reading():
        if actor.role is Role.ADMIN:
            return uow.projects.list_for(
                owner_id=None, open_or_member_of=None, offset=offset, limit=limit
            )
        if actor.role is Role.REQUESTER:
            return uow.projects.list_for(
                owner_id=actor.user_id, open_or_member_of=None, offset=offset, limit=limit
            )
        return uow.projects.list_for(
            owner_id=None, open_or_member_of=actor.user_id, offset=offset, limit=limit
        )


def update_settings(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, changes: Mapping[str, Any]
) -> Project:
    with uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), "change this project's settings")
        settings = _validate_names(parse_settings(changes, base=project.settings))
        uow.projects.update_settings(project_id, settings)
        project = uow.projects.get(project_id)
        uow.commit()
    return project


def add_member(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, user_id: UserId) -> None:
    with uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), "add members to this project")
        uow.users.get(user_id)
        uow.projects.add_member(project_id, user_id)
        uow.commit()


def list_items(
    uow: UnitOfWork,
    *,
    actor: Actor,
    project_id: ProjectId,
    after_id: int = 0,
    limit: int = 100,
    status: ItemStatus | None = None,
) -> list[Item]:
    """A page of a project's items (gold included), by id after ``after_id``: managers only."""
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"list the items of project {project_id}")
        page = uow.items.page(project_id, after_id=after_id, limit=limit, status=status)
        return with_views(uow, page, Audience.MANAGER)
