"""Handing out tasks: next task under a lease, skipping, and the worker-facing task view.

A *task* is a lease on one item: ``next_task`` sweeps expired leases, returns a lease the
worker still holds, or claims a fresh overlap slot with a conditional UPDATE and records the
lease, all in one short write transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from shoplabel.dataprep.pii.policy import Audience
from shoplabel.domain.annotations import Lease, LeaseState
from shoplabel.domain.ids import ItemId, LeaseId, ProjectId
from shoplabel.domain.items import Item
from shoplabel.domain.labels import field_text
from shoplabel.domain.permissions import can_manage_project
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.scheduling import CandidateOrder, NextReason, get_policy
from shoplabel.domain.users import Actor
from shoplabel.domain.workers import WorkerState
from shoplabel.errors import ItemNotFound, LeaseExpired, LeaseNotHeld, LeaseSettled
from shoplabel.quality import (
    BetaAccuracy,
    ability_match_scores,
    item_difficulty,
    learned_features,
    rank_candidates,
)
from shoplabel.services import worker_quality
from shoplabel.services.access import require_labeller
from shoplabel.services.posteriors import current_model
from shoplabel.services.privacy import with_views
from shoplabel.services.routing_training import worker_skills
from shoplabel.services.throttle import Throttle

__all__ = [
    "Task",
    "check_lease",
    "next_task",
    "read_item",
    "skip",
    "task_view",
    "visible_fields",
]

_SWEEP_LIMIT = 200
_CANDIDATES = 16
_ROUNDS = 4
_NO_QUOTA = 2**31 - 1
#: A project's overdue leases are swept at most once a second per process (a lease overdue
#: by up to a second longer keeps its overlap slot that much longer; nothing else changes).
_SWEEPS = Throttle(timedelta(seconds=1))
#: A worker who has seen every honeypot of a project is not looked up again for 30 s
#: (otherwise the minimum gold rate asks for one on every request of a project with no
#: gold left for them). New gold reaches them within that time.
_GOLD_EXHAUSTED = Throttle(timedelta(seconds=30))


@dataclass(frozen=True, slots=True)
class Task:
    """What a worker receives: the lease, why it was chosen, and the item's visible fields.

    Never carries the gold label or fields outside the project's display list.
    """

    lease_id: LeaseId
    project_id: ProjectId
    item_id: ItemId
    external_id: str
    expires_at: datetime
    reason: NextReason
    data: Mapping[str, Any]


def _visible(payload: Mapping[str, Any], display_fields: tuple[str, ...]) -> dict[str, Any]:
    """The payload restricted to the display fields (dotted paths), or all of it if none."""
    if not display_fields:
        return dict(payload)
    out: dict[str, Any] = {}
    for path in display_fields:
        node: Any = payload
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None:
            continue
        target = out
        *parents, leaf = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = node
    return out


def visible_fields(project: Project, item: Item) -> dict[str, Any]:
    """What a worker may see of an item: its display fields (plus the span field), no gold."""
    data = _visible(item.payload, project.display_fields)
    span_field = project.schema.field
    if span_field and field_text(data, span_field) is None:
        text = field_text(item.payload, span_field)
        if text is not None:
            data = {**data, **_visible(item.payload, (span_field,))}
    return data


def task_view(project: Project, item: Item, lease: Lease, reason: NextReason) -> Task:
    data = visible_fields(project, item)
    return Task(
        lease_id=lease.id,
        project_id=project.id,
        item_id=item.id,
        external_id=item.external_id,
        expires_at=lease.expires_at,
        reason=reason,
        data=data,
    )


def _require_labeller(uow: UnitOfWork, actor: Actor, project_id: ProjectId) -> Project:
    project = uow.projects.get(project_id)
    require_labeller(uow, actor, project)
    return project


def _sweep(uow: UnitOfWork, project: Project, now: datetime) -> None:
    key = (project.id, project.created_at)
    if not _SWEEPS.due(key, now):
        return
    expired = uow.leases.expire_due(project.id, now=now, limit=_SWEEP_LIMIT)
    uow.items.release(expired)
    if len(expired) < _SWEEP_LIMIT:  # a full batch means more are due: sweep again next time
        _SWEEPS.hold(key, now)


def _claim(
    uow: UnitOfWork,
    actor: Actor,
    project: Project,
    *,
    rng: np.random.Generator,
    now: datetime,
    only: Sequence[ItemId] | None,
) -> tuple[Lease, NextReason] | None:
    policy = get_policy(project.settings.assignment_policy)
    start = 0
    if policy.order is CandidateOrder.RANDOM_START:
        lo, hi = uow.items.min_id(project.id), uow.items.max_id(project.id)
        start = int(rng.integers(lo, hi + 1)) if hi >= lo else 0
    max_overlap = project.settings.max_overlap
    for _ in range(_ROUNDS):
        found = uow.items.candidates(
            project.id,
            worker_id=actor.user_id,
            max_overlap=max_overlap,
            order=policy.order,
            start_id=start,
            limit=_CANDIDATES,
            only=only,
            exclude_gold=worker_quality.honeypots_on(project.settings),
        )
        if not found:
            return None
        if policy.ability_rerank:
            found = _by_ability(uow, project, actor, found)
        elif policy.learned_rerank:
            found = _by_router(uow, project, actor, found)
        for item_id in policy.pick(found):
            if uow.items.claim(item_id, max_overlap=max_overlap):
                return _lease(uow, actor, project, item_id, now), policy.reason
    return None


def _by_ability(
    uow: UnitOfWork, project: Project, actor: Actor, found: list[ItemId]
) -> list[ItemId]:
    """Candidates re-ranked so item difficulty matches the worker's proven skill.

    Difficulty is the normalised entropy of the item's current posterior (0.5 for items with
    no label yet); skill is the lower 90% credible bound of the worker's gold accuracy, so a
    new worker starts on easy items.
    """
    n_classes = max(len(project.schema.label_values), 2)
    consensus = uow.consensus.get_many(found)
    difficulty = [
        float(item_difficulty(np.array([list(c.probas.values())]))[0])
        if (c := consensus.get(i)) is not None and c.probas
        else 0.5
        for i in found
    ]
    state = uow.workers.get(project.id, actor.user_id)
    skill = BetaAccuracy.from_counts(state.gold_credit, state.n_gold - state.gold_credit)
    scores = ability_match_scores(difficulty, worker_skill=skill.lower(0.9), chance=1.0 / n_classes)
    return [found[int(k)] for k in rank_candidates(scores)]


def _by_router(
    uow: UnitOfWork, project: Project, actor: Actor, found: list[ItemId]
) -> list[ItemId]:
    """Candidates by the learned model's chance that this worker labels each one right
    (queue order until an aggregation run has trained the model)."""
    fitted = current_model(uow, project)
    if fitted.router is None:
        return found
    classes = project.schema.label_values
    position = {label: k for k, label in enumerate(classes)}
    consensus = uow.consensus.get_many(found)
    labels = uow.annotations.list_for_items(found)
    probas = np.full((len(found), len(classes)), 1.0 / len(classes))
    votes = np.zeros((len(found), len(classes)))
    for row, item_id in enumerate(found):
        c = consensus.get(item_id)
        if c is not None and c.probas and len(c.probas) == len(classes):
            probas[row] = list(c.probas.values())
        for a in labels[item_id]:
            if a.status.value == "valid" and str(a.value) in position:
                votes[row, position[str(a.value)]] += 1
    skill = worker_skills(fitted.model, str(actor.user_id))
    n_done = uow.workers.get(project.id, actor.user_id).n_labels
    features = learned_features(
        probas,
        votes,
        worker_skill=float(skill.mean()),
        worker_n_labels=n_done,
        worker_class_skill=skill,
    )
    return [found[int(k)] for k in rank_candidates(fitted.router.predict(features))]


def _lease(
    uow: UnitOfWork, actor: Actor, project: Project, item_id: ItemId, now: datetime
) -> Lease:
    expires = now + timedelta(seconds=project.settings.lease_ttl_seconds)
    return uow.leases.add(
        item_id=item_id, project_id=project.id, worker_id=actor.user_id, now=now, expires_at=expires
    )


def _claim_gold(
    uow: UnitOfWork, actor: Actor, project: Project, now: datetime
) -> tuple[Lease, NextReason] | None:
    """A gold item the worker has not seen; gold items have no overlap quota."""
    key = (project.id, project.created_at, actor.user_id)
    if not _GOLD_EXHAUSTED.due(key, now):
        return None
    found = uow.items.gold_candidates(project.id, worker_id=actor.user_id, limit=_CANDIDATES)
    for item_id in found:
        if uow.items.claim(item_id, max_overlap=_NO_QUOTA):
            return _lease(uow, actor, project, item_id, now), NextReason.GOLD
    if not found:
        _GOLD_EXHAUSTED.hold(key, now)
    return None


def next_task(
    uow: UnitOfWork,
    *,
    actor: Actor,
    project_id: ProjectId,
    rng: np.random.Generator,
    only: Sequence[ItemId] | None = None,
) -> Task | None:
    """Give ``actor`` a task in ``project_id``, or ``None`` when nothing is left for them.

    ``only`` limits the choice to those items: replaying a real crowd, a worker can only be
    given items they really answered (the policy still decides which, and when).

    Raises:
        PermissionDenied: the actor may not label this project.
    """
    with uow:
        project = _require_labeller(uow, actor, project_id)
        now = uow.now()
        state = worker_quality.require_active(uow, project, actor.user_id, now)
        worker_quality.require_exam_passed(project, state, now)
        _sweep(uow, project, now)
        chosen = _choose(uow, actor, project, state, rng=rng, now=now, only=only)
        task = None
        if chosen is not None:
            lease, reason = chosen
            if reason is not NextReason.HELD_LEASE:
                worker_quality.record_task(uow, state, gold=reason is NextReason.GOLD)
            task = task_view(project, uow.items.get(lease.item_id), lease, reason)
        uow.commit()
    return task


def _choose(
    uow: UnitOfWork,
    actor: Actor,
    project: Project,
    state: WorkerState,
    *,
    rng: np.random.Generator,
    now: datetime,
    only: Sequence[ItemId] | None,
) -> tuple[Lease, NextReason] | None:
    """The chain: a lease still held, else a gold item when one is due, else the policy."""
    held = uow.leases.find_active(project.id, actor.user_id, now=now)
    if held is not None:
        return held, NextReason.HELD_LEASE
    if only is None and worker_quality.wants_gold(state, project.settings, rng):
        gold = _claim_gold(uow, actor, project, now)
        if gold is not None:
            return gold
    return _claim(uow, actor, project, rng=rng, now=now, only=only)


def check_lease(lease: Lease, actor: Actor, now: datetime) -> None:
    """Explain why ``lease`` cannot be settled by ``actor`` now (if it cannot).

    Raises:
        LeaseNotHeld: another worker's lease.
        LeaseSettled: already submitted, skipped or expired by the sweep.
        LeaseExpired: the lease ran out.
    """
    if lease.worker_id != actor.user_id:
        raise LeaseNotHeld(
            f"lease {lease.id} belongs to another worker", details={"lease_id": lease.id}
        )
    if lease.state is LeaseState.EXPIRED or (
        lease.state is LeaseState.ACTIVE and lease.expires_at <= now
    ):
        raise LeaseExpired(
            f"lease {lease.id} expired at {lease.expires_at.isoformat()}; ask for a new task",
            details={"lease_id": lease.id},
        )
    if lease.state is not LeaseState.ACTIVE:
        raise LeaseSettled(
            f"lease {lease.id} was already {lease.state.value}", details={"lease_id": lease.id}
        )


def skip(uow: UnitOfWork, *, actor: Actor, lease_id: LeaseId) -> None:
    """Give a task back: the skip is recorded and the item is never offered to them again."""
    with uow:
        now = uow.now()
        lease = uow.leases.settle(
            lease_id, worker_id=actor.user_id, state=LeaseState.SKIPPED, now=now
        )
        if lease is None:
            check_lease(uow.leases.get(lease_id), actor, now)
            raise LeaseSettled(
                f"lease {lease_id} changed concurrently", details={"lease_id": lease_id}
            )
        uow.items.release([lease.item_id])
        uow.projects.add_counters(lease.project_id, n_skips=1)
        worker_quality.record_skip(uow, uow.projects.get(lease.project_id), actor.user_id)
        uow.commit()


def read_item(uow: UnitOfWork, *, actor: Actor, item_id: ItemId) -> Item:
    """An item as ``actor`` may see it.

    The project's managers see everything, gold included. Anyone else only sees an item
    they hold an active lease on, reduced to the fields their task shows and without gold.

    Raises:
        ItemNotFound: no such item, or the actor may not see it (ids are not revealed).
    """
    with uow.reading():
        item = uow.items.get(item_id)
        project = uow.projects.get(item.project_id)
        if can_manage_project(actor, project):
            return with_views(uow, [item], Audience.MANAGER)[0]
        lease = uow.leases.find_active(project.id, actor.user_id, now=uow.now())
    if lease is None or lease.item_id != item_id:
        raise ItemNotFound(
            f"item {item_id} does not exist or is not leased to you",
            details={"item_id": item_id},
        )
    data = task_view(project, item, lease, NextReason.HELD_LEASE).data
    return replace(item, payload=data, gold=None)
