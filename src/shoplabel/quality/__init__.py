"""Pure quality-control logic: gold scoring, qualification exams, spam rules, worker skill and
routing scores.

stdlib + numpy/scipy only; inputs are plain numbers, strings and arrays so the package never
depends on ``domain`` or ``inference`` (the services translate). See ``docs/quality.md``.
"""

from shoplabel.quality.actions import ACTIONS, Action, ActionKind, merge_actions
from shoplabel.quality.conditions import CONDITIONS
from shoplabel.quality.exams import (
    ExamAnswer,
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
from shoplabel.quality.gold import (
    BetaAccuracy,
    GoldPolicy,
    gold_probability,
    ordinal_credit,
    should_serve_gold,
)
from shoplabel.quality.routing import (
    FEATURE_NAMES,
    LinearRouter,
    ability_match_scores,
    learned_features,
    learned_targets,
    rank_candidates,
    skill_to_difficulty,
    uncertainty_first_scores,
)
from shoplabel.quality.rules import DEFAULT_RULES, Decision, Rule, RuleSet, evaluate
from shoplabel.quality.screening import (
    LabelEvidence,
    chance_threshold,
    class_skill,
    fold_class_counts,
    fold_llr,
    label_evidence,
)
from shoplabel.quality.skills import (
    WorkerSkill,
    expected_class_counts,
    item_difficulty,
    normalised_entropy,
    skill_from_evidence,
    top_margin,
    update_skill,
)
from shoplabel.quality.stats import WorkerStats, collect_stats

__all__ = [
    "ACTIONS",
    "CONDITIONS",
    "DEFAULT_RULES",
    "FEATURE_NAMES",
    "Action",
    "ActionKind",
    "BetaAccuracy",
    "Decision",
    "ExamAnswer",
    "ExamOutcome",
    "ExamPolicy",
    "ExamState",
    "ExamStatus",
    "GoldPolicy",
    "LabelEvidence",
    "LinearRouter",
    "Rule",
    "RuleSet",
    "WorkerSkill",
    "WorkerStats",
    "ability_match_scores",
    "chance_threshold",
    "choose_questions",
    "class_skill",
    "collect_stats",
    "evaluate",
    "expected_class_counts",
    "fold_class_counts",
    "fold_llr",
    "gold_probability",
    "item_difficulty",
    "label_evidence",
    "learned_features",
    "learned_targets",
    "merge_actions",
    "next_question",
    "normalised_entropy",
    "ordinal_credit",
    "rank_candidates",
    "record_answer",
    "require_qualified",
    "reveal_answer",
    "should_serve_gold",
    "skill_from_evidence",
    "skill_to_difficulty",
    "start_attempt",
    "status",
    "top_margin",
    "uncertainty_first_scores",
    "update_skill",
]
