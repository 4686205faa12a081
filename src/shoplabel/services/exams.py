"""Qualification exams: a worker passes a project's exam before they get tasks.

A project turns its exam on with the setting ``exam`` (``{"questions": 10, "pass_mark": 0.8,
"max_attempts": 3, "cooldown_hours": 24, "training": true}``). Questions are drawn from the
project's gold items; each answer is checked against the gold label and, in training mode, a
wrong answer reveals the right one with the instructions. The exam's state is kept on the
worker's state row; the pure rules (attempts, cooldown, grading) are
:mod:`shoplabel.quality.exams`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.labels import validate_value
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.domain.workers import WorkerState
from shoplabel.errors import InvalidInput, InvalidSettings
from shoplabel.quality import (
    ExamPolicy,
    ExamState,
    ExamStatus,
    choose_questions,
    next_question,
    record_answer,
    reveal_answer,
    start_attempt,
    status,
)
from shoplabel.services.access import require_labeller
from shoplabel.services.assignment import visible_fields
from shoplabel.services.worker_quality import exam_policy, exam_state

__all__ = [
    "ExamQuestion",
    "ExamView",
    "answer",
    "get_exam",
    "start_exam",
]


@dataclass(frozen=True, slots=True)
class ExamQuestion:
    """One exam question as the worker sees it: the item's visible fields, never the gold."""

    item_id: ItemId
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ExamView:
    status: ExamStatus
    attempt: int
    answered: int
    n_questions: int
    score: float | None
    retake_at: datetime | None
    question: ExamQuestion | None
    #: After a wrong answer in training mode: the right label (and the instructions apply).
    correct_answer: Any = None
    last_correct: bool | None = None


def _question(uow: UnitOfWork, project: Project, exam: ExamState) -> ExamQuestion | None:
    qid = next_question(exam)
    if qid is None:
        return None
    item = uow.items.get(ItemId(int(qid)))
    return ExamQuestion(item_id=item.id, data=visible_fields(project, item))


def _view(
    uow: UnitOfWork,
    project: Project,
    exam: ExamState,
    policy: ExamPolicy,
    now: datetime,
    **extra: Any,
) -> ExamView:
    return ExamView(
        status=status(exam, now, policy=policy),
        attempt=exam.attempt,
        answered=len(exam.answers),
        n_questions=policy.n_questions,
        score=exam.score,
        retake_at=exam.retake_at,
        question=_question(uow, project, exam),
        **extra,
    )


def _load(
    uow: UnitOfWork, actor: Actor, project_id: ProjectId
) -> tuple[Project, ExamPolicy, WorkerState]:
    project = uow.projects.get(project_id)
    require_labeller(uow, actor, project)
    policy = exam_policy(project.settings)
    if policy is None:
        raise InvalidInput(
            f"project {project_id} has no qualification exam", details={"field": "exam"}
        )
    return project, policy, uow.workers.get(project_id, actor.user_id)


def get_exam(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> ExamView:
    with uow.reading():
        project, policy, worker = _load(uow, actor, project_id)
        return _view(uow, project, exam_state(worker), policy, uow.now())


def start_exam(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, rng: np.random.Generator
) -> ExamView:
    """Start an attempt (or return the running one) with questions drawn from gold items."""
    with uow:
        project, policy, worker = _load(uow, actor, project_id)
        now = uow.now()
        pool = sorted(str(i) for i in uow.items.gold_labels(project_id))
        if len(pool) < policy.n_questions:
            raise InvalidSettings(
                f"the exam needs {policy.n_questions} gold items; project {project_id} has "
                f"{len(pool)}",
                details={"field": "exam"},
            )
        exam = exam_state(worker)
        questions = choose_questions(pool, policy=policy, rng=rng)
        exam = start_attempt(exam, now, policy=policy, questions=questions)
        uow.workers.save(replace(worker, exam=exam.to_dict()))
        view = _view(uow, project, exam, policy, now)
        uow.commit()
    return view


def answer(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, item_id: ItemId, value: Any
) -> ExamView:
    """Grade one answer of the running attempt; the view says what comes next."""
    with uow:
        project, policy, worker = _load(uow, actor, project_id)
        now = uow.now()
        item = uow.items.get(item_id)
        if item.project_id != project_id or item.gold is None:
            raise InvalidInput(
                f"item {item_id} is not an exam question of project {project_id}",
                details={"field": "item_id"},
            )
        validate_value(project.schema, value, payload=item.payload)
        correct = value == item.gold
        exam = record_answer(exam_state(worker), str(item_id), correct, now, policy=policy)
        uow.workers.save(replace(worker, exam=exam.to_dict()))
        shown = item.gold if not correct and reveal_answer(exam, policy=policy) else None
        view = _view(uow, project, exam, policy, now, correct_answer=shown, last_correct=correct)
        uow.commit()
    return view
