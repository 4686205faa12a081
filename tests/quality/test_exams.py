"""Qualification exam transitions, errors and serialisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from shoplabel.errors import Conflict, InvalidInput, PermissionDenied
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
from shoplabel.quality.exams import (
    ExamOutcome,
    ExamPolicy,
    ExamState,
    ExamStatus,
    choose_questions,
    next_question,
    record_answer,
    require_qualified,
    reveal_answer,
    start_attempt,
    status,
)

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
POLICY = ExamPolicy(n_questions=4, pass_mark=0.75, max_attempts=2, cooldown_hours=24)
QUESTIONS = ("g1", "g2", "g3", "g4")


def _take(state: ExamState, results: list[bool], now: datetime) -> ExamState:
    state = start_attempt(state, now, policy=POLICY, questions=QUESTIONS)
    for question, correct in zip(QUESTIONS, results, strict=False):
        state = record_answer(state, question, correct, now, policy=POLICY)
    return state


def test_exam_policy_defaults_and_pass_count() -> None:
    policy = ExamPolicy()
    assert (policy.n_questions, policy.pass_mark, policy.max_attempts) == (10, 0.8, 3)
    assert (policy.cooldown_hours, policy.training, policy.n_to_pass) == (24.0, True, 8)
    assert ExamPolicy(n_questions=10, pass_mark=0.7).n_to_pass == 7  # not 8 from 7.0000001


@pytest.mark.parametrize(
    "kwargs",
    [{"n_questions": 0}, {"pass_mark": 0.0}, {"pass_mark": 1.2}, {"max_attempts": 0},
     {"cooldown_hours": -1.0}],
)  # fmt: skip
def test_exam_policy_rejects_impossible_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidExamPolicy) as err:
        ExamPolicy(**kwargs)  # type: ignore[arg-type]
    assert err.value.details["field"] == next(iter(kwargs))


def test_exam_pass_on_first_attempt() -> None:
    state = ExamState()
    assert status(state, T0, policy=POLICY) is ExamStatus.NOT_STARTED
    state = start_attempt(state, T0, policy=POLICY, questions=QUESTIONS)
    assert next_question(state) == "g1"
    state = record_answer(state, "g1", True, T0, policy=POLICY)
    state = record_answer(state, "g2", False, T0, policy=POLICY)
    assert reveal_answer(state, policy=POLICY)
    assert status(state, T0, policy=POLICY) is ExamStatus.IN_PROGRESS
    state = record_answer(state, "g3", True, T0, policy=POLICY)
    assert not reveal_answer(state, policy=POLICY)
    state = record_answer(state, "g4", True, T0 + timedelta(minutes=3), policy=POLICY)
    assert state.outcome is ExamOutcome.PASSED
    assert state.score == 0.75
    assert state.finished_at == T0 + timedelta(minutes=3)
    assert next_question(state) is None
    require_qualified(state, T0, policy=POLICY)
    with pytest.raises(ExamAlreadyPassed):
        start_attempt(state, T0, policy=POLICY, questions=QUESTIONS)


def test_exam_fail_cooldown_retake_then_exhausted() -> None:
    state = _take(ExamState(), [True, False, False, True], T0)
    assert state.outcome is ExamOutcome.FAILED and state.score == 0.5
    assert state.retake_at == T0 + timedelta(hours=24)
    assert status(state, T0 + timedelta(hours=1), policy=POLICY) is ExamStatus.COOLDOWN
    with pytest.raises(ExamRetakeTooSoon) as too_soon:
        start_attempt(state, T0 + timedelta(hours=1), policy=POLICY, questions=QUESTIONS)
    assert too_soon.value.code == "exam_retake_too_soon"
    assert too_soon.value.details["retake_at"] == "2026-01-02T09:00:00+00:00"
    with pytest.raises(ExamRequired) as required:
        require_qualified(state, T0, policy=POLICY)
    assert required.value.details["status"] == "cooldown"
    later = T0 + timedelta(hours=24)
    assert status(state, later, policy=POLICY) is ExamStatus.RETAKE_ALLOWED
    state = _take(state, [False, False, True, True], later)
    assert state.attempt == 2 and state.outcome is ExamOutcome.FAILED
    assert status(state, later + timedelta(days=9), policy=POLICY) is ExamStatus.EXHAUSTED
    with pytest.raises(ExamAttemptsExhausted) as exhausted:
        start_attempt(state, later + timedelta(days=9), policy=POLICY, questions=QUESTIONS)
    assert isinstance(exhausted.value, PermissionDenied)
    with pytest.raises(ExamAttemptsExhausted):
        require_qualified(state, later, policy=POLICY)
    # the requester allows one more attempt: the same state may retake
    more = ExamPolicy(n_questions=4, pass_mark=0.75, max_attempts=3)
    assert status(state, later + timedelta(days=9), policy=more) is ExamStatus.RETAKE_ALLOWED


def test_exam_errors_have_stable_codes_and_bases() -> None:
    state = ExamState()
    with pytest.raises(ExamRequired) as required:
        require_qualified(state, T0, policy=POLICY)
    assert required.value.code == "exam_required"
    with pytest.raises(ExamNotInProgress) as idle:
        record_answer(state, "g1", True, T0, policy=POLICY)
    assert isinstance(idle.value, Conflict)
    running = start_attempt(state, T0, policy=POLICY, questions=QUESTIONS)
    assert start_attempt(running, T0, policy=POLICY, questions=("x",)) is running  # resume
    with pytest.raises(ExamQuestionUnknown) as unknown:
        record_answer(running, "other", True, T0, policy=POLICY)
    assert isinstance(unknown.value, InvalidInput)
    answered = record_answer(running, "g1", True, T0, policy=POLICY)
    with pytest.raises(ExamQuestionAnswered):
        record_answer(answered, "g1", False, T0, policy=POLICY)
    with pytest.raises(InvalidQualityInput):
        start_attempt(state, T0, policy=POLICY, questions=("g1", "g1", "g2", "g3"))
    with pytest.raises(InvalidQualityInput):
        status(state, datetime(2026, 1, 1), policy=POLICY)  # noqa: DTZ001 - naive on purpose


def test_exam_training_off_never_reveals() -> None:
    quiet = ExamPolicy(n_questions=4, pass_mark=0.75, training=False)
    state = start_attempt(ExamState(), T0, policy=quiet, questions=QUESTIONS)
    state = record_answer(state, "g1", False, T0, policy=quiet)
    assert not reveal_answer(state, policy=quiet)


def test_exam_state_round_trips_through_dict() -> None:
    state = _take(ExamState(), [True, False], T0)
    assert ExamState.from_dict(state.to_dict()) == state
    failed = _take(ExamState(), [False] * 4, T0)
    assert ExamState.from_dict(failed.to_dict()) == failed
    with pytest.raises(InvalidQualityInput):
        ExamState.from_dict({"attempt": 1})


def test_choose_questions_is_seeded_and_distinct() -> None:
    pool = [f"g{i}" for i in range(30)]
    a = choose_questions(pool, policy=ExamPolicy(), rng=np.random.default_rng(7))
    b = choose_questions(pool, policy=ExamPolicy(), rng=np.random.default_rng(7))
    assert a == b and len(set(a)) == 10 and set(a) <= set(pool)
    with pytest.raises(InvalidQualityInput):
        choose_questions(pool[:5], policy=ExamPolicy(), rng=np.random.default_rng(7))
