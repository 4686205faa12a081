"""Qualification exams: a pass mark over gold questions, retakes after a cooldown, training.

An exam is a state machine over an immutable :class:`ExamState`; every transition is a pure
function ``(state, ..., now, *, policy) -> new state`` that raises a coded error instead of
returning a half-updated state. The service loads the state, calls one transition, stores the
result. The policy is passed to every call (not stored in the state) so a requester who edits
it changes the rules for attempts still to come::

    not_started --start--> in_progress --n answers, score >= pass--> passed
                               |
                               +--n answers, score < pass--> failed --cooldown--> (retake)
                                                                    \\--max attempts--> exhausted
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np

from shoplabel.quality.errors import (
    ExamAlreadyPassed,
    ExamAttemptsExhausted,
    ExamNotInProgress,
    ExamQuestionAnswered,
    ExamQuestionUnknown,
    ExamRequired,
    ExamRetakeTooSoon,
    InvalidExamPolicy,
    InvalidQualityInput,
)

__all__ = [
    "ExamAnswer",
    "ExamOutcome",
    "ExamPolicy",
    "ExamState",
    "ExamStatus",
    "choose_questions",
    "next_question",
    "record_answer",
    "require_qualified",
    "reveal_answer",
    "start_attempt",
    "status",
]

_EPS = 1e-9  # pass_mark * n_questions is compared with a tolerance: 0.7 * 10 is 7.000000001


@dataclass(frozen=True, slots=True)
class ExamPolicy:
    """A project's qualification exam.

    Attributes:
        n_questions: Gold questions per attempt (default 10: enough that a pass mark of 80 %
            separates a careful worker from a guesser on binary tasks, P(pass | guessing) =
            5.5 %, and short enough to take in a few minutes).
        pass_mark: Share of correct answers needed to pass, in (0, 1] (default 0.8).
        max_attempts: Attempts allowed in total (default 3).
        cooldown_hours: Wait between a failed attempt and the next one (default 24: the
            worker reads the guideline instead of brute-forcing the questions).
        training: After a wrong answer, show the right answer and the guideline (default on:
            the exam is also the training).
    """

    n_questions: int = 10
    pass_mark: float = 0.8
    max_attempts: int = 3
    cooldown_hours: float = 24.0
    training: bool = True

    def __post_init__(self) -> None:
        problems = {
            "n_questions": self.n_questions >= 1,
            "pass_mark": 0.0 < self.pass_mark <= 1.0,
            "max_attempts": self.max_attempts >= 1,
            "cooldown_hours": 0.0 <= self.cooldown_hours < math.inf,
        }
        for field, ok in problems.items():
            if not ok:
                raise InvalidExamPolicy(
                    f"exam policy field {field!r} is out of range: {getattr(self, field)!r}",
                    details={"field": field},
                )

    @property
    def n_to_pass(self) -> int:
        """Correct answers needed to pass one attempt."""
        return max(1, math.ceil(self.pass_mark * self.n_questions - _EPS))


class ExamOutcome(StrEnum):
    """Stored outcome of the latest attempt."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    FAILED = "failed"


class ExamStatus(StrEnum):
    """What the worker may do now (:func:`status`); ``failed`` splits by time and attempts."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    COOLDOWN = "cooldown"
    RETAKE_ALLOWED = "retake_allowed"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True, slots=True)
class ExamAnswer:
    """One answer of the current attempt."""

    question_id: str
    correct: bool
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class ExamState:
    """A worker's exam in one project.

    Attributes:
        attempt: Attempts started so far (0 before the first).
        outcome: Outcome of the latest attempt.
        questions: Question (gold item) ids of the latest attempt, in the order to ask them.
        answers: Answers of the latest attempt, in the order given.
        started_at: When the latest attempt started.
        finished_at: When the latest attempt ended.
        score: Share correct of the latest finished attempt.
        retake_at: After a failed attempt, the earliest time of the next one.
    """

    attempt: int = 0
    outcome: ExamOutcome = ExamOutcome.NOT_STARTED
    questions: tuple[str, ...] = ()
    answers: tuple[ExamAnswer, ...] = ()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    score: float | None = None
    retake_at: datetime | None = None

    @property
    def n_correct(self) -> int:
        """Correct answers in the latest attempt."""
        return sum(a.correct for a in self.answers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (datetimes as ISO 8601); inverse of :meth:`from_dict`."""
        return {
            "attempt": self.attempt,
            "outcome": self.outcome.value,
            "questions": list(self.questions),
            "answers": [
                {
                    "question_id": a.question_id,
                    "correct": a.correct,
                    "at": a.answered_at.isoformat(),
                }
                for a in self.answers
            ],
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "score": self.score,
            "retake_at": _iso(self.retake_at),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ExamState:
        """Parse :meth:`to_dict` output.

        Raises:
            InvalidQualityInput: A missing key or a malformed value.
        """
        try:
            return cls(
                attempt=int(raw["attempt"]),
                outcome=ExamOutcome(raw["outcome"]),
                questions=tuple(str(q) for q in raw["questions"]),
                answers=tuple(
                    ExamAnswer(str(a["question_id"]), bool(a["correct"]), _dt(a["at"]))
                    for a in raw["answers"]
                ),
                started_at=_opt_dt(raw["started_at"]),
                finished_at=_opt_dt(raw["finished_at"]),
                score=None if raw["score"] is None else float(raw["score"]),
                retake_at=_opt_dt(raw["retake_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidQualityInput(f"malformed exam state: {exc!r}") from None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str) -> datetime:
    return _aware(datetime.fromisoformat(value))


def _opt_dt(value: str | None) -> datetime | None:
    return None if value is None else _dt(value)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise InvalidQualityInput(f"times must be timezone-aware (UTC), got {now.isoformat()}")
    return now


def choose_questions(
    pool: Sequence[str], *, policy: ExamPolicy, rng: np.random.Generator
) -> tuple[str, ...]:
    """Draw ``policy.n_questions`` distinct questions from ``pool`` (gold item ids).

    Retakes should draw again, so a worker cannot pass by memorising one set.

    Raises:
        InvalidQualityInput: The pool has fewer distinct ids than the exam needs.
    """
    unique = sorted(set(pool))
    if len(unique) < policy.n_questions:
        raise InvalidQualityInput(
            f"the exam needs {policy.n_questions} gold questions, only {len(unique)} exist",
            details={"field": "n_questions"},
        )
    picked = rng.choice(len(unique), size=policy.n_questions, replace=False)
    return tuple(unique[int(i)] for i in picked)


def status(state: ExamState, now: datetime, *, policy: ExamPolicy) -> ExamStatus:
    """What the worker may do at ``now`` under the current ``policy``."""
    _aware(now)
    if state.outcome is not ExamOutcome.FAILED:
        return ExamStatus(state.outcome.value)
    if state.attempt >= policy.max_attempts:
        return ExamStatus.EXHAUSTED
    if state.retake_at is not None and now < state.retake_at:
        return ExamStatus.COOLDOWN
    return ExamStatus.RETAKE_ALLOWED


def require_qualified(state: ExamState, now: datetime, *, policy: ExamPolicy) -> None:
    """The exam step of the assignment chain: pass only when the worker passed the exam.

    Raises:
        ExamRequired: Not passed yet (``details`` holds ``status`` and ``retake_at``).
        ExamAttemptsExhausted: Failed every allowed attempt.
    """
    current = status(state, now, policy=policy)
    if current is ExamStatus.PASSED:
        return
    details = {"status": current.value, "retake_at": _iso(state.retake_at)}
    if current is ExamStatus.EXHAUSTED:
        raise ExamAttemptsExhausted(
            f"qualification exam failed {state.attempt} times; no attempts left", details=details
        )
    raise ExamRequired("pass the project's qualification exam first", details=details)


def start_attempt(
    state: ExamState, now: datetime, *, policy: ExamPolicy, questions: Sequence[str]
) -> ExamState:
    """Start the next attempt with ``questions`` (see :func:`choose_questions`).

    Starting while an attempt runs returns ``state`` unchanged (a double click resumes).

    Raises:
        ExamAlreadyPassed: The worker already passed.
        ExamAttemptsExhausted: No attempts left.
        ExamRetakeTooSoon: In the cooldown; ``details['retake_at']`` is ISO 8601.
        InvalidQualityInput: ``questions`` not ``policy.n_questions`` distinct ids.
    """
    current = status(state, now, policy=policy)
    if current is ExamStatus.IN_PROGRESS:
        return state
    if current is ExamStatus.PASSED:
        raise ExamAlreadyPassed("the qualification exam is already passed")
    if current is ExamStatus.EXHAUSTED:
        raise ExamAttemptsExhausted(
            f"all {policy.max_attempts} attempts are used", details={"attempt": state.attempt}
        )
    if current is ExamStatus.COOLDOWN:
        raise ExamRetakeTooSoon(
            f"the next attempt is allowed at {_iso(state.retake_at)}",
            details={"retake_at": _iso(state.retake_at)},
        )
    if len(set(questions)) != len(questions) or len(questions) != policy.n_questions:
        raise InvalidQualityInput(
            f"an attempt needs {policy.n_questions} distinct questions, got {len(questions)}"
        )
    return ExamState(
        attempt=state.attempt + 1,
        outcome=ExamOutcome.IN_PROGRESS,
        questions=tuple(questions),
        started_at=now,
    )


def next_question(state: ExamState) -> str | None:
    """The first unanswered question of the running attempt, or ``None``."""
    if state.outcome is not ExamOutcome.IN_PROGRESS:
        return None
    done = {a.question_id for a in state.answers}
    return next((q for q in state.questions if q not in done), None)


def record_answer(
    state: ExamState, question_id: str, correct: bool, now: datetime, *, policy: ExamPolicy
) -> ExamState:
    """Record one scored answer; the answer that completes the attempt also grades it.

    The attempt ends after ``policy.n_questions`` answers (or all its questions, if the policy
    changed meanwhile): ``passed`` when at least ``policy.n_to_pass`` are correct, otherwise
    ``failed`` with ``retake_at = now + cooldown``.

    Raises:
        ExamNotInProgress: No attempt is running.
        ExamQuestionUnknown: ``question_id`` is not a question of this attempt.
        ExamQuestionAnswered: Already answered in this attempt.
    """
    _aware(now)
    if state.outcome is not ExamOutcome.IN_PROGRESS:
        raise ExamNotInProgress("start an exam attempt before answering")
    if question_id not in state.questions:
        raise ExamQuestionUnknown(
            f"question {question_id!r} is not part of this attempt",
            details={"question_id": question_id},
        )
    if any(a.question_id == question_id for a in state.answers):
        raise ExamQuestionAnswered(
            f"question {question_id!r} was already answered",
            details={"question_id": question_id},
        )
    answered = replace(state, answers=(*state.answers, ExamAnswer(question_id, correct, now)))
    n_needed = min(policy.n_questions, len(state.questions))
    if len(answered.answers) < n_needed:
        return answered
    return _grade(answered, now, policy=policy)


def _grade(state: ExamState, now: datetime, *, policy: ExamPolicy) -> ExamState:
    n = len(state.answers)
    needed = max(1, math.ceil(policy.pass_mark * n - _EPS))
    passed = state.n_correct >= needed
    return replace(
        state,
        outcome=ExamOutcome.PASSED if passed else ExamOutcome.FAILED,
        finished_at=now,
        score=state.n_correct / n,
        retake_at=None if passed else now + timedelta(hours=policy.cooldown_hours),
    )


def reveal_answer(state: ExamState, *, policy: ExamPolicy) -> bool:
    """Whether to show the right answer and the guideline for the answer just recorded.

    True in training mode after a wrong answer. The caller shows the gold label of that
    question only; the answers of questions still to come are never revealed.
    """
    return policy.training and bool(state.answers) and not state.answers[-1].correct
