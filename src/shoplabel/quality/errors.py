"""Errors of the quality-control layer.

Each one subclasses a base of :mod:`shoplabel.errors` (so ``web/errors.py`` maps it to HTTP
without knowing this module) and keeps a stable ``code``, documented in ``docs/quality.md``.
``details`` carries the numbers a client needs (for instance ``retake_at`` as ISO 8601).
"""

from __future__ import annotations

from shoplabel.errors import Conflict, InvalidInput, PermissionDenied

__all__ = [
    "ContradictoryRules",
    "ExamAlreadyPassed",
    "ExamAttemptsExhausted",
    "ExamNotInProgress",
    "ExamQuestionAnswered",
    "ExamQuestionUnknown",
    "ExamRequired",
    "ExamRetakeTooSoon",
    "InvalidExamPolicy",
    "InvalidGoldPolicy",
    "InvalidQualityInput",
    "InvalidRule",
    "UnknownRuleAction",
    "UnknownRuleCondition",
]


# --- 403 -------------------------------------------------------------------------------------
class ExamRequired(PermissionDenied):
    """The worker asked for tasks in a project whose qualification exam they have not passed."""

    code = "exam_required"


class ExamAttemptsExhausted(PermissionDenied):
    """Every allowed attempt was used and failed: the worker cannot qualify any more."""

    code = "exam_attempts_exhausted"


# --- 409 -------------------------------------------------------------------------------------
class ExamRetakeTooSoon(Conflict):
    """A retake was requested before the cooldown ended; ``details['retake_at']`` says when."""

    code = "exam_retake_too_soon"


class ExamAlreadyPassed(Conflict):
    """A new attempt was requested by a worker who already passed."""

    code = "exam_already_passed"


class ExamNotInProgress(Conflict):
    """An answer was recorded while no attempt is running."""

    code = "exam_not_in_progress"


class ExamQuestionAnswered(Conflict):
    """The question was already answered in the current attempt."""

    code = "exam_question_answered"


# --- 422 -------------------------------------------------------------------------------------
class InvalidQualityInput(InvalidInput):
    """A value passed to a quality function is out of range or of the wrong shape."""

    code = "invalid_quality_input"


class ExamQuestionUnknown(InvalidInput):
    """The answered question is not one of the current attempt's questions."""

    code = "exam_question_unknown"


class InvalidGoldPolicy(InvalidInput):
    """A gold policy has a rate outside [0, 1] or a non-positive floor interval."""

    code = "invalid_gold_policy"


class InvalidExamPolicy(InvalidInput):
    """An exam policy has an impossible pass mark, question count, attempt count or cooldown."""

    code = "invalid_exam_policy"


class InvalidRule(InvalidInput):
    """A quality rule is malformed: empty name, bad or negative parameter, bad action list."""

    code = "invalid_rule"


class UnknownRuleCondition(InvalidRule):
    """A rule names a condition that does not exist; the message lists the known ones."""

    code = "unknown_rule_condition"


class UnknownRuleAction(InvalidRule):
    """A rule names an action that does not exist; the message lists the known ones."""

    code = "unknown_rule_action"


class ContradictoryRules(InvalidRule):
    """Two rules of a rule set contradict each other (see ``docs/quality.md``)."""

    code = "contradictory_rules"
