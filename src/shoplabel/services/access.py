"""Who may label a project: the check every labelling workflow shares."""

from __future__ import annotations

from shoplabel.domain.permissions import can_annotate, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import AccessMode, Project
from shoplabel.domain.users import Actor

__all__ = ["require_labeller"]


def require_labeller(uow: UnitOfWork, actor: Actor, project: Project) -> None:
    """Refuse unless ``actor`` may label ``project`` (membership is read only when the
    project is members-only: one query less on every request of an open project)."""
    member = project.settings.access is AccessMode.MEMBERS and uow.projects.is_member(
        project.id, actor.user_id
    )
    require(can_annotate(actor, project, is_member=member), f"label project {project.id}")
