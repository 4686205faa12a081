"""Quality control in the labelling loop: gold honeypots, worker standing and quality rules.

Called inside the next-task and submit transactions. A worker's statistics are counters on
``worker_states`` (never a scan of their labels); after each label the project's rules
(:mod:`shoplabel.quality.rules`, :data:`~shoplabel.quality.DEFAULT_RULES` unless the project
sets ``quality_rules``) are evaluated on them, and the merged actions are applied at once:
warnings and every decision are recorded as quality events (visible to the requester and the
worker), suspensions and bans block next-task, rejected labels stop counting and their items
go back to the queue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from shoplabel.domain.annotations import Annotation
from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.labels import SchemaKind
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project, ProjectSettings
from shoplabel.domain.users import Actor
from shoplabel.domain.workers import FAST_MS, QualityEvent, WorkerState, WorkerStatus
from shoplabel.errors import InvalidSettings, WorkerBanned, WorkerSuspended
from shoplabel.quality import (
    DEFAULT_RULES,
    Action,
    ActionKind,
    BetaAccuracy,
    ExamPolicy,
    ExamState,
    GoldPolicy,
    RuleSet,
    WorkerStats,
    class_skill,
    evaluate,
    merge_actions,
    ordinal_credit,
    require_qualified,
    should_serve_gold,
)
from shoplabel.quality.errors import InvalidExamPolicy, InvalidRule
from shoplabel.services import audit, posteriors, screening
from shoplabel.services.access import require_labeller

__all__ = [
    "Standing",
    "class_accuracy",
    "exam_policy",
    "exam_state",
    "gold_score",
    "honeypots_on",
    "is_control",
    "judge_agreement",
    "my_standing",
    "record_label",
    "record_skip",
    "record_task",
    "reject_labels",
    "require_active",
    "require_exam_passed",
    "ruleset",
    "wants_gold",
]

#: A rule that fired is recorded again only after this many more labels from the worker.
REFIRE_EVERY = 50


def honeypots_on(settings: ProjectSettings) -> bool:
    """Gold items are hidden honeypots (not part of the normal queue) when the rate is > 0."""
    return settings.gold_rate > 0


def is_control(project: Project, item: Item) -> bool:
    return honeypots_on(project.settings) and item.gold is not None


def ruleset(settings: ProjectSettings) -> RuleSet:
    """The project's rules, validated (``InvalidSettings`` names the problem)."""
    if settings.quality_rules is None:
        return DEFAULT_RULES
    try:
        return RuleSet.from_dict(settings.quality_rules)
    except InvalidRule as e:
        raise InvalidSettings(
            f"quality_rules: {e.message}", details={"field": "quality_rules", "code": e.code}
        ) from None


def require_active(
    uow: UnitOfWork, project: Project, worker_id: UserId, now: datetime
) -> WorkerState:
    """The worker's state, or an error if a quality rule blocked them. Not locked: next-task
    changes the worker's counters in place (:func:`record_task`), never by writing the row back."""
    state = uow.workers.get(project.id, worker_id)
    blocked = state.blocked_at(now)
    if blocked is WorkerStatus.BANNED:
        raise WorkerBanned(
            f"you are banned from project {project.id} by a quality rule; see your quality events",
            details={"project_id": project.id},
        )
    if blocked is WorkerStatus.SUSPENDED:
        until = state.suspended_until.isoformat() if state.suspended_until else "further notice"
        raise WorkerSuspended(
            f"you are suspended in project {project.id} until {until}",
            details={"project_id": project.id},
        )
    return state


def wants_gold(state: WorkerState, settings: ProjectSettings, rng: np.random.Generator) -> bool:
    if not honeypots_on(settings):
        return False
    policy = GoldPolicy(rate=settings.gold_rate, min_every=settings.gold_min_every or None)
    return should_serve_gold(
        tasks_done=state.n_tasks,
        golds_served=state.n_golds_served,
        policy=policy,
        draw=float(rng.random()),
    )


def record_task(uow: UnitOfWork, state: WorkerState, *, gold: bool) -> None:
    uow.workers.add_task(state.project_id, state.worker_id, gold=gold)


def record_skip(uow: UnitOfWork, project: Project, worker_id: UserId) -> None:
    uow.workers.add_skip(project.id, worker_id)


def _answer_key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)[:100]


def _gold_credit(project: Project, value: Any, gold: Any) -> float:
    if project.schema.kind is SchemaKind.ORDINAL:
        levels = project.schema.label_values
        return ordinal_credit(levels.index(gold), levels.index(value), n_levels=len(levels))
    return 1.0 if value == gold else 0.0


def gold_score(project: Project, item: Item, value: Any) -> float | None:
    """The credit of an answer on a control (gold honeypot) item; ``None`` on other items."""
    return _gold_credit(project, value, item.gold) if is_control(project, item) else None


def _stats(s: WorkerState) -> WorkerStats:
    top = max(s.answer_counts.values(), default=0)
    return WorkerStats(
        n_labels=s.n_labels,
        fast_fraction=s.n_fast / s.n_timed if s.n_timed else 0.0,
        constant_answer_fraction=top / s.n_labels if s.n_labels else 0.0,
        longest_skip_streak=s.longest_skip_streak,
        gold_accuracy=BetaAccuracy.from_counts(s.gold_credit, s.n_gold - s.gold_credit),
        n_gold=s.n_gold,
        chance_llr=s.chance_llr,
        n_scored=s.n_scored,
        reference_agreement=min(s.agree_credit / s.n_scored, 1.0) if s.n_scored else None,
    )


def _count(state: WorkerState, project: Project, item: Item, a: Annotation) -> WorkerState:
    counts = dict(state.answer_counts)
    key = _answer_key(a.value)
    counts[key] = counts.get(key, 0) + 1
    timed = a.duration_ms is not None
    s = replace(
        state,
        n_labels=state.n_labels + 1,
        n_timed=state.n_timed + int(timed),
        n_fast=state.n_fast + int(timed and (a.duration_ms or 0) < FAST_MS),
        skip_streak=0,
        answer_counts=counts,
    )
    if is_control(project, item):
        s = replace(
            s,
            n_gold=s.n_gold + 1,
            gold_credit=s.gold_credit + _gold_credit(project, a.value, item.gold),
        )
    return s


def record_label(
    uow: UnitOfWork, project: Project, item: Item, annotation: Annotation, *, settled: bool = False
) -> None:
    """Count a label on its worker, check it if it was gold, check every label of the item if
    it just ``settled`` (left the open queue), and apply the rules to every worker touched.

    Rows are locked in worker-id order (read-modify-write of other workers' rows), so
    concurrent submits never lose an update; a deadlock between two submits becomes
    ``StorageBusy`` (retry).
    """
    checks = screening.label_checks(
        uow, project, item, annotation, settled=settled, control=is_control(project, item)
    )
    own = annotation.worker_id
    touched = sorted({own, *(c.worker_id for c in checks)})
    alpha = screening.chance_alpha(ruleset(project.settings))
    average = screening.average_confusion(uow, project) if checks else np.zeros((0, 0))
    states = uow.workers.get_many(project.id, touched, lock=True)
    judged = []
    for worker_id in touched:
        state = states[worker_id]
        if worker_id != own and state.status is WorkerStatus.BANNED:
            continue
        if worker_id == own:
            state = _count(state, project, item, annotation)
        mine = [c for c in checks if c.worker_id == worker_id]
        state = screening.fold(
            state,
            mine,
            average,
            labels=project.schema.label_values,
            alpha=alpha,
        )
        judged.append(_judge(uow, project, state, _stats(state)))
    uow.workers.save_many(judged)


def judge_agreement(
    uow: UnitOfWork, project: Project, agreement: Mapping[UserId, tuple[int, float]]
) -> int:
    """Evaluate the rules with each worker's agreement with the latest consensus.

    Called after an aggregation run (agreement means something only against a fitted model);
    ``agreement`` maps worker -> (labels on aggregated items, labels equal to the consensus).
    Returns how many workers' standing changed.
    """
    changed = 0
    for worker_id, (n, agreed) in agreement.items():
        state = uow.workers.get(project.id, worker_id)
        if state.status is WorkerStatus.BANNED or n == 0:
            continue
        stats = replace(_stats(state), consensus_agreement=agreed / n, n_consensus=n)
        judged = _judge(uow, project, state, stats)
        if judged != state:
            uow.workers.save(judged)
            changed += 1
    return changed


def _judge(
    uow: UnitOfWork, project: Project, state: WorkerState, stats: WorkerStats
) -> WorkerState:
    """Record every rule that fires (once per REFIRE_EVERY labels) and apply the merged
    actions; return the new state (the caller saves it)."""
    fired = dict(state.fired)
    actions: list[Action] = []
    for d in evaluate(ruleset(project.settings), stats):
        last = state.fired.get(d.rule)
        if isinstance(last, int) and state.n_labels - last < REFIRE_EVERY:
            continue
        fired[d.rule] = state.n_labels
        uow.workers.add_event(
            project.id,
            state.worker_id,
            rule=d.rule,
            actions=[a.to_dict() for a in d.actions],
            reason=d.reason,
        )
        actions.extend(d.actions)
    state = replace(state, fired=fired)
    now = uow.now()
    for action in merge_actions(actions):
        if action.kind is ActionKind.BAN_FROM_PROJECT:
            state = replace(state, status=WorkerStatus.BANNED)
        elif action.kind is ActionKind.SUSPEND and state.status is not WorkerStatus.BANNED:
            hours = float(action.params.get("hours", 24.0))
            state = replace(
                state, status=WorkerStatus.SUSPENDED, suspended_until=now + timedelta(hours=hours)
            )
        elif action.kind is ActionKind.REJECT_LABELS:
            reject_labels(uow, project, state.worker_id)
        elif action.kind is ActionKind.DOWNWEIGHT_LABELS:
            state = _downweight(uow, project, state, float(action.params["factor"]))
    return state


def _downweight(
    uow: UnitOfWork, project: Project, state: WorkerState, factor: float
) -> WorkerState:
    """Lower the weight of all the worker's labels (past and future) to ``factor``: online
    posteriors use it from the next label, aggregation runs from the next run."""
    if factor >= state.label_weight:
        return state
    posteriors.reweight_worker(uow, project, state.worker_id, factor)
    return replace(state, label_weight=factor)


def reject_labels(uow: UnitOfWork, project: Project, worker_id: UserId) -> int:
    """Retroactively drop a worker's labels in a project and put their items back in the
    queue; return how many labels were dropped."""
    item_ids = uow.annotations.reject_worker(project.id, worker_id)
    if not item_ids:
        return 0
    # The pay accrual reads this record to take back the rejected labels' rewards.
    audit.record(
        uow,
        AuditKind.LABELS_REJECTED,
        {"project_id": project.id, "worker_id": worker_id, "n_labels": len(item_ids)},
    )
    before = uow.items.unlabel(item_ids)
    reopened = [i for i, st in before.items() if st is not ItemStatus.OPEN]
    n_done = sum(1 for st in before.values() if st is ItemStatus.DONE)
    uow.projects.add_counters(
        project.id,
        n_annotations=-len(item_ids),
        n_done=-n_done,
        n_review=n_done - len(reopened),
        n_open=len(reopened),
    )
    for item_id in sorted(set(item_ids)):
        # The items' posteriors and consensus now come from their remaining labels (the
        # class prior, with n_labels 0, when none is left).
        posteriors.online_confidence(uow, project, uow.items.get(item_id))
    return len(item_ids)


_POLICY_KEYS = {
    "questions": "n_questions",
    "pass_mark": "pass_mark",
    "max_attempts": "max_attempts",
    "cooldown_hours": "cooldown_hours",
    "training": "training",
}


def exam_policy(settings: ProjectSettings) -> ExamPolicy | None:
    """The project's exam policy, or ``None`` when it has no exam.

    Raises:
        InvalidSettings: the ``exam`` setting is malformed.
    """
    raw = settings.exam
    if raw is None:
        return None
    unknown = sorted(set(raw) - set(_POLICY_KEYS))
    if unknown:
        raise InvalidSettings(
            f"exam: unknown keys {unknown}; known: {sorted(_POLICY_KEYS)}",
            details={"field": "exam"},
        )
    try:
        return ExamPolicy(**{_POLICY_KEYS[k]: v for k, v in raw.items()})
    except (InvalidExamPolicy, TypeError) as e:
        raise InvalidSettings(f"exam: {e}", details={"field": "exam"}) from None


def exam_state(worker: WorkerState) -> ExamState:
    return ExamState.from_dict(worker.exam) if worker.exam else ExamState()


def require_exam_passed(project: Project, worker: WorkerState, now: datetime) -> None:
    """Refuse tasks until the worker passed the project's exam (``exam_required`` & co.)."""
    policy = exam_policy(project.settings)
    if policy is not None:
        require_qualified(exam_state(worker), now, policy=policy)


@dataclass(frozen=True, slots=True)
class Standing:
    """What a worker may see about themself in a project: status, statistics, and every
    quality decision taken about them with its reason."""

    state: WorkerState
    gold_accuracy: float | None
    events: tuple[QualityEvent, ...]
    #: Mean probability the references (gold, leave-one-out posteriors) gave their answers.
    agreement: float | None = None
    #: Per label class: posterior mean recall from gold and checked labels, updated online.
    class_accuracy: Mapping[str, float] = field(default_factory=dict)


def my_standing(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, limit: int = 50
) -> Standing:
    """The actor's own standing in a project they may label."""
    with uow.reading():
        project = uow.projects.get(project_id)
        require_labeller(uow, actor, project)
        state = uow.workers.get(project_id, actor.user_id)
        events = uow.workers.events(project_id, worker_id=actor.user_id, limit=limit)
    accuracy = None if state.n_gold == 0 else state.gold_credit / state.n_gold
    return Standing(
        state=state,
        gold_accuracy=accuracy,
        events=tuple(events),
        agreement=_stats(state).reference_agreement,
        class_accuracy=class_accuracy(state, project),
    )


def class_accuracy(state: WorkerState, project: Project) -> dict[str, float]:
    """The worker's per-class recall (posterior mean), from the online per-class counts."""
    if not project.schema.is_categorical or not state.class_counts:
        return {}
    labels = project.schema.label_values
    means = class_skill(state.class_counts, labels).mean
    return {label: round(float(m), 4) for label, m in zip(labels, means, strict=True)}
