"""The privacy page of a project: one item as its managers see it, the reveal action, and the
reveal audit. Built on :mod:`shoplabel.services.reveals`, which checks the role."""

from __future__ import annotations

from dataclasses import dataclass

from shoplabel.dataprep.pii.policy import Audience
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import Item
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.privacy import Reveal
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.errors import ItemNotFound
from shoplabel.services import reveals
from shoplabel.services.privacy import PrivacyKeys, with_views
from shoplabel.services.projects import visible_project

__all__ = ["PrivacyPage", "privacy_page", "reveal_on_page"]

AUDIT_ROWS = 100


@dataclass(frozen=True, slots=True)
class PrivacyPage:
    """A project's reveal audit, and optionally one item (managers' view) and its originals."""

    project: Project
    item: Item | None
    audit: tuple[Reveal, ...]
    originals: dict[str, object] | None = None


def privacy_page(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, item_id: ItemId | None = None
) -> PrivacyPage:
    """The page for the project's managers.

    Raises:
        ProjectNotFound, PermissionDenied: not a manager of the project.
        ItemNotFound: ``item_id`` is not an item of this project.
    """
    with uow.reading():
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"open the privacy page of {project_id}")
        item = None
        if item_id is not None:
            found = uow.items.get(item_id)
            if found.project_id != project.id:
                raise ItemNotFound(
                    f"item {item_id} is not in project {project_id}", details={"item_id": item_id}
                )
            item = with_views(uow, [found], Audience.MANAGER)[0]
    audit = reveals.list_reveals(
        uow, actor=actor, project_id=project_id, item_id=item_id, limit=AUDIT_ROWS
    )
    return PrivacyPage(project, item, tuple(audit))


def reveal_on_page(
    uow: UnitOfWork,
    *,
    actor: Actor,
    project_id: ProjectId,
    item_id: ItemId,
    keys: PrivacyKeys,
    reason: str,
) -> PrivacyPage:
    """Reveal an item's originals (audited) and return the page showing them.

    Raises:
        The errors of :func:`privacy_page` and :func:`shoplabel.services.reveals.reveal`.
    """
    page = privacy_page(uow, actor=actor, project_id=project_id, item_id=item_id)
    revealed = reveals.reveal(uow, actor=actor, item_id=item_id, keys=keys, reason=reason)
    after = privacy_page(uow, actor=actor, project_id=project_id, item_id=item_id)
    return PrivacyPage(page.project, after.item, after.audit, dict(revealed.originals))
