"""Permission predicates: who may do what. Services call :func:`require` before acting."""

from __future__ import annotations

from shoplabel.domain.projects import AccessMode, Project
from shoplabel.domain.users import Actor, Role
from shoplabel.errors import PermissionDenied

__all__ = [
    "can_annotate",
    "can_create_project",
    "can_manage_project",
    "can_manage_users",
    "can_view_project",
    "require",
]

_LABELLERS = frozenset({Role.WORKER, Role.REVIEWER})


def can_manage_users(actor: Actor) -> bool:
    return actor.role is Role.ADMIN


def can_create_project(actor: Actor) -> bool:
    return actor.role in (Role.ADMIN, Role.REQUESTER)


def can_manage_project(actor: Actor, project: Project) -> bool:
    """Admins manage every project; requesters only their own."""
    return actor.role is Role.ADMIN or (
        actor.role is Role.REQUESTER and project.owner_id == actor.user_id
    )


def can_annotate(actor: Actor, project: Project, *, is_member: bool) -> bool:
    """Workers and reviewers label open projects, or member-only projects they belong to."""
    if actor.role not in _LABELLERS:
        return False
    return project.settings.access is AccessMode.OPEN or is_member


def can_view_project(actor: Actor, project: Project, *, is_member: bool) -> bool:
    return can_manage_project(actor, project) or can_annotate(actor, project, is_member=is_member)


def require(allowed: bool, what: str) -> None:
    """Raise :class:`PermissionDenied` saying ``what`` was refused unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(f"not allowed: {what}")
