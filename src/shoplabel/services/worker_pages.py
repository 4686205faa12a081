"""Read-only views for the worker pages: the annotate page's project with the worker's own
standing, and the exam page's project with the exam's state.

Built on :mod:`shoplabel.services.projects`, :mod:`~shoplabel.services.worker_quality` and
:mod:`~shoplabel.services.exams` (which check the role) so a page handler calls one function.
"""

from __future__ import annotations

from dataclasses import dataclass

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role
from shoplabel.services.exams import ExamView, get_exam
from shoplabel.services.projects import get_project
from shoplabel.services.worker_quality import Standing, my_standing

__all__ = ["AnnotatePage", "ExamPage", "annotate_page", "exam_page"]

#: Quality decisions listed in the "my standing" panel.
STANDING_EVENTS = 20


@dataclass(frozen=True, slots=True)
class AnnotatePage:
    """The project to label and, for labellers, their standing in it (``None`` for managers,
    who may open the page but have no standing)."""

    project: Project
    standing: Standing | None


@dataclass(frozen=True, slots=True)
class ExamPage:
    project: Project
    exam: ExamView


def annotate_page(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> AnnotatePage:
    """Raises ``ProjectNotFound`` when ``actor`` may not see the project."""
    project = get_project(uow, actor=actor, project_id=project_id)
    standing = None
    if actor.role in (Role.WORKER, Role.REVIEWER):
        standing = my_standing(uow, actor=actor, project_id=project_id, limit=STANDING_EVENTS)
    return AnnotatePage(project=project, standing=standing)


def exam_page(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> ExamPage:
    """Raises ``ProjectNotFound``, ``PermissionDenied`` (not a labeller) or ``InvalidInput``
    (the project has no exam)."""
    project = get_project(uow, actor=actor, project_id=project_id)
    return ExamPage(project=project, exam=get_exam(uow, actor=actor, project_id=project_id))
