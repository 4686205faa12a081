"""The pre-labeller is retrained as labels grow: an aggregation run queues a ``prelabel`` job
once ``ai.retrain_every`` more items have a human label than when the latest model version
was trained (its ``metrics.n_labelled``).

The check runs in the aggregation run's last write transaction (outbox), so the job is queued
exactly when the consensus it will train on has been stored; a job already waiting for the
project is reused, never doubled. ``ai.retrain_every = 0`` (the default) leaves retraining
to the requester (CLI, API, a scheduler).
"""

from __future__ import annotations

from collections.abc import Iterable

from shoplabel.domain.ai import model_username, parse_ai_settings
from shoplabel.domain.ids import UserId
from shoplabel.domain.jobs import Job, JobKind
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor

__all__ = [
    "MODEL_KINDS",
    "count_labelled",
    "human_labelled",
    "model_worker_ids",
    "queue_retrain",
    "without_model_only_items",
]

#: Kinds of model worker accounts (``model.<kind>.p<project>``): their labels are not human.
MODEL_KINDS = ("prelabel", "llm")


def model_worker_ids(uow: UnitOfWork, project: Project) -> set[UserId]:
    """The project's model worker accounts that exist."""
    users = (uow.users.find_by_username(model_username(project.id, kind=k)) for k in MODEL_KINDS)
    return {u.id for u in users if u is not None}


def human_labelled(rows: Iterable[tuple[str, str]], model_workers: set[UserId]) -> int:
    """How many distinct items carry a label from someone who is not a model, from
    ``(item id, worker id)`` pairs."""
    models = {str(w) for w in model_workers}
    return len({item for item, worker in rows if worker not in models})


def without_model_only_items(
    triples: list[tuple[str, str, str]], model_workers: set[UserId]
) -> list[tuple[str, str, str]]:
    """``(item, worker, label)`` rows of the items that carry a label from a person.

    An item only a model labelled says nothing about the model's reliability, but truth
    inference would count it as the model agreeing with itself: with a model labelling most
    of a project, Dawid-Skene learns a perfect model worker and its prior, and overrules the
    people on every item they share (D_Product: every consensus became ``different``). Such
    items wait for a person, or for a calibrated auto-label.
    """
    models = {str(w) for w in model_workers}
    if not models:
        return triples
    human_items = {item for item, worker, _ in triples if worker not in models}
    return [t for t in triples if t[0] in human_items]


def count_labelled(uow: UnitOfWork, project: Project) -> int:
    """Items of ``project`` with a valid label from a person (what a version records)."""
    models = model_worker_ids(uow, project)
    rows = uow.annotations.label_rows(project.id)
    return human_labelled(((str(r.item_id), str(r.worker_id)) for r in rows), models)


def queue_retrain(
    uow: UnitOfWork, project: Project, *, actor: Actor, n_labelled: int
) -> Job | None:
    """Queue a pre-labelling run in the caller's transaction when ``n_labelled`` (items with
    a human label now) exceeds the latest version's training items by ``ai.retrain_every``;
    return the queued (or already waiting) job, else ``None``. The caller checks the role."""
    ai = parse_ai_settings(project.settings.ai)
    if ai.retrain_every <= 0:
        return None
    latest = uow.ai.latest_version(project.id)
    trained_on = int(latest.metrics.get("n_labelled", 0)) if latest is not None else 0
    if n_labelled - trained_on < ai.retrain_every:
        return None
    pending = uow.jobs.find_pending(kind=JobKind.PRELABEL, project_id=project.id)
    if pending is not None:
        return pending
    return uow.jobs.add(
        kind=JobKind.PRELABEL,
        payload={"trigger": "retrain_every", "n_labelled": n_labelled, "trained_on": trained_on},
        project_id=project.id,
        created_by=actor.user_id,
        now=uow.now(),
    )
