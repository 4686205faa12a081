"""Qualification exams: status, the current question, an answer's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shoplabel.quality import ExamStatus
from shoplabel.services.exams import ExamView

__all__ = ["ExamAnswerSubmit", "ExamQuestionRead", "ExamRead"]


class ExamQuestionRead(BaseModel):
    item_id: int
    data: dict[str, Any]


class ExamRead(BaseModel):
    """Where the worker stands; ``correct_answer`` is set only after a wrong answer in
    training mode."""

    status: ExamStatus
    attempt: int
    answered: int
    n_questions: int
    score: float | None
    retake_at: datetime | None
    question: ExamQuestionRead | None
    last_correct: bool | None
    correct_answer: Any = None

    @classmethod
    def from_domain(cls, v: ExamView) -> ExamRead:
        q = (
            None
            if v.question is None
            else ExamQuestionRead(item_id=v.question.item_id, data=dict(v.question.data))
        )
        return cls(
            status=v.status,
            attempt=v.attempt,
            answered=v.answered,
            n_questions=v.n_questions,
            score=v.score,
            retake_at=v.retake_at,
            question=q,
            last_correct=v.last_correct,
            correct_answer=v.correct_answer,
        )


class ExamAnswerSubmit(BaseModel):
    item_id: int
    value: Any
