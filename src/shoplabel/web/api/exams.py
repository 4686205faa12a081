"""Qualification exams: see your status, start an attempt, answer its questions."""

from __future__ import annotations

from fastapi import APIRouter

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.services import exams
from shoplabel.web.deps import CurrentActor, RngDep, UowDep
from shoplabel.web.schemas.exams import ExamAnswerSubmit, ExamRead

__all__ = ["router"]

router = APIRouter(tags=["exams"])


@router.get("/projects/{project_id}/exam")
def get_exam(project_id: ProjectId, actor: CurrentActor, uow: UowDep) -> ExamRead:
    """Your exam status in the project and the current question, if an attempt is running."""
    return ExamRead.from_domain(exams.get_exam(uow, actor=actor, project_id=project_id))


@router.post("/projects/{project_id}/exam")
def start_exam(project_id: ProjectId, actor: CurrentActor, uow: UowDep, rng: RngDep) -> ExamRead:
    """Start an attempt (or get the running one); questions come from gold items."""
    view = exams.start_exam(uow, actor=actor, project_id=project_id, rng=rng)
    return ExamRead.from_domain(view)


@router.post("/projects/{project_id}/exam/answers")
def answer_exam(
    project_id: ProjectId, body: ExamAnswerSubmit, actor: CurrentActor, uow: UowDep
) -> ExamRead:
    """Answer the current question; the response grades it and shows the next one."""
    view = exams.answer(
        uow, actor=actor, project_id=project_id, item_id=ItemId(body.item_id), value=body.value
    )
    return ExamRead.from_domain(view)
