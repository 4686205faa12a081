"""Qualification exams gate next-task, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from shoplabel.domain.users import Role
from shoplabel.errors import InvalidSettings
from shoplabel.quality import ExamStatus
from shoplabel.quality.errors import ExamRequired, ExamRetakeTooSoon
from shoplabel.services import assignment, exams
from tests.conftest import Clock, Database
from tests.factories import add_items, make_actor, make_project, matching_payload

EXAM = {"questions": 3, "pass_mark": 0.6, "max_attempts": 2, "cooldown_hours": 1, "training": True}


def test_exam_gates_tasks_reveals_answers_and_enforces_cooldown(db: Database, clock: Clock) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    good = make_actor(db.uow(), "w0", Role.WORKER)
    bad = make_actor(db.uow(), "w1", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"exam": EXAM})
    add_items(
        db.uow(),
        project.id,
        [matching_payload(i) for i in range(4)],
        gold=["same", "different", "same", "different"],
    )
    rng = np.random.default_rng(0)
    with pytest.raises(ExamRequired):
        assignment.next_task(db.uow(clock), actor=good, project_id=project.id, rng=rng)

    view = exams.start_exam(db.uow(clock), actor=good, project_id=project.id, rng=rng)
    assert view.status is ExamStatus.IN_PROGRESS and view.question is not None
    assert "gold" not in view.question.data
    with db.uow().reading() as uow:
        gold = dict(uow.items.gold_labels(project.id))
    first = view.question.item_id
    wrong = "same" if gold[first] == "different" else "different"
    view = exams.answer(
        db.uow(clock), actor=good, project_id=project.id, item_id=first, value=wrong
    )
    assert view.last_correct is False and view.correct_answer == gold[first]
    while view.question is not None:
        q = view.question.item_id
        view = exams.answer(
            db.uow(clock), actor=good, project_id=project.id, item_id=q, value=gold[q]
        )
    assert view.status is ExamStatus.PASSED and view.score == pytest.approx(2 / 3)
    assert (
        assignment.next_task(db.uow(clock), actor=good, project_id=project.id, rng=rng) is not None
    )

    view = exams.start_exam(db.uow(clock), actor=bad, project_id=project.id, rng=rng)
    while view.question is not None:
        q = view.question.item_id
        view = exams.answer(
            db.uow(clock),
            actor=bad,
            project_id=project.id,
            item_id=q,
            value="same" if gold[q] == "different" else "different",
        )
    assert view.status is ExamStatus.COOLDOWN
    with pytest.raises(ExamRetakeTooSoon):
        exams.start_exam(db.uow(clock), actor=bad, project_id=project.id, rng=rng)
    clock.advance(3601)
    assert exams.start_exam(db.uow(clock), actor=bad, project_id=project.id, rng=rng).attempt == 2


def test_bad_exam_settings_are_refused(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    with pytest.raises(InvalidSettings):
        make_project(db.uow(), owner, settings={"exam": {"questions": 0}})
    with pytest.raises(InvalidSettings):
        make_project(db.uow(), owner, settings={"exam": {"nonsense": 1}})
