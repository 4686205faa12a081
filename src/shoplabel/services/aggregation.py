"""Aggregation runs: infer each item's label and each worker's skill from all labels.

Reads the label triples in one short read transaction, fits the aggregator outside any
transaction (no inference while holding the write lock), then writes consensus rows in
batches of short write transactions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from shoplabel.domain.ai import AutoLabelState
from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.domain.labels import LabelSchema
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import ConsensusWrite, UnitOfWork
from shoplabel.domain.scheduling import get_policy
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput
from shoplabel.inference import (
    AggregationResult,
    AnnotationMatrix,
    GoldLabels,
    WorkerModel,
    make_aggregator,
)
from shoplabel.inference.registry import DEFAULT_METHOD
from shoplabel.services import quality_snapshots, worker_quality
from shoplabel.services.posteriors import store_model
from shoplabel.services.projects import visible_project
from shoplabel.services.retrain import (
    human_labelled,
    model_worker_ids,
    queue_retrain,
    without_model_only_items,
)
from shoplabel.services.routing_training import Trainer, training_rows

__all__ = ["AggregationSummary", "aggregate", "resolve_method"]

WRITE_BATCH = 5000


@dataclass(frozen=True, slots=True)
class AggregationSummary:
    """What a run did, and how it scored on the gold items it did not see."""

    method: str
    n_items: int
    n_labels: int
    n_workers: int
    n_iter: int
    seconds: float
    gold_used: bool
    n_gold: int
    accuracy_on_gold: float | None


def resolve_method(name: str | None, project_method: str) -> str:
    """The method to run: the one asked for, else the project's, with ``default`` resolved."""
    method = name or project_method
    return DEFAULT_METHOD if method == "default" else method


def _consensus(result: AggregationResult, counts: dict[str, int]) -> list[ConsensusWrite]:
    conf = result.confidence
    return [
        ConsensusWrite(
            item_id=ItemId(int(tid)),
            value=label,
            confidence=float(conf[i]),
            probas={
                lab: round(float(p), 6)
                for lab, p in zip(result.labels, result.probas[i], strict=True)
            },
            method=result.method,
            n_labels=counts[tid],
        )
        for i, (tid, label) in enumerate(zip(result.task_ids, result.predicted, strict=True))
    ]


def _accuracy(result: AggregationResult, gold: dict[ItemId, Any]) -> tuple[int, float | None]:
    pred = result.as_dict()
    hits = [pred[str(i)] == str(g) for i, g in gold.items() if str(i) in pred]
    return len(hits), (float(np.mean(hits)) if hits else None)


def _agreement(m: AnnotationMatrix, result: AggregationResult) -> dict[UserId, tuple[int, float]]:
    """Per worker: labels aggregated, and how many equal their item's consensus."""
    agree = (m.label_idx == result.label_idx[m.task_idx]).astype(np.float64)
    n = np.bincount(m.worker_idx, minlength=m.n_workers)
    k = np.bincount(m.worker_idx, weights=agree, minlength=m.n_workers)
    return {UserId(int(w)): (int(n[i]), float(k[i])) for i, w in enumerate(m.worker_ids)}


def _read(uows: Callable[[], UnitOfWork], actor: Actor, project_id: ProjectId) -> _Read:
    with uows().reading() as uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"aggregate project {project_id}")
        if not project.schema.is_categorical:
            raise InvalidInput(
                f"project {project_id} has a {project.schema.kind.value} "
                "schema; batch aggregation runs on single-choice schemas",
                details={"field": "schema"},
            )
        triples = [
            (str(r.item_id), str(r.worker_id), str(r.value))
            for r in uow.annotations.label_rows(project_id)
        ]
        gold = uow.items.gold_labels(project_id)
        weights = uow.workers.label_weights(project_id)
        models = model_worker_ids(uow, project)
    learns = get_policy(project.settings.assignment_policy).learned_rerank
    triples = without_model_only_items(triples, models)
    n_labelled = human_labelled(((t[0], t[1]) for t in triples), models)
    return _Read(
        project.schema,
        project.settings.aggregation_method,
        triples,
        gold,
        learns,
        weights,
        n_labelled,
    )


@dataclass(frozen=True, slots=True)
class _Read:
    schema: LabelSchema
    method: str
    triples: list[tuple[str, str, str]]
    gold: dict[ItemId, Any]
    learns_routes: bool
    weights: dict[UserId, float]
    #: Items with a label from a person (not a model worker): what retraining counts.
    n_labelled: int


def _downweighted(
    result: AggregationResult,
    m: AnnotationMatrix,
    weights: Mapping[UserId, float],
    gold: GoldLabels | None,
) -> AggregationResult:
    """The fit's posteriors with down-weighted workers' labels tempered by their weight
    (:meth:`~shoplabel.inference.WorkerModel.tempered`; worker estimates unchanged)."""
    if not weights:
        return result
    model = WorkerModel.from_result(result).tempered({str(w): v for w, v in weights.items()})
    return replace(result, probas=model.posteriors(m, gold))


def aggregate(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor,
    project_id: ProjectId,
    method: str | None = None,
    use_gold: bool = True,
    trainer: Trainer | None = None,
) -> AggregationSummary:
    """Run truth inference on a project and store the consensus of every labelled item.

    Args:
        uows: Unit-of-work factory (one read, then several short writes).
        actor: Must manage the project.
        project_id: The project.
        method: Registry name; ``None`` uses the project's setting.
        use_gold: Clamp gold items to their known label (better worker estimates). With
            ``False`` the gold items are held out and the summary's accuracy is honest.
        trainer: Fits the learned routing model (``shoplabel.ml.router.fit_router``, passed
            in by the front end); used when the project's policy is ``learned``.
    """
    read = _read(uows, actor, project_id)
    gold = read.gold
    name = resolve_method(method, read.method)
    aggregator = make_aggregator(name)
    start = time.perf_counter()
    m = AnnotationMatrix.from_rows(read.triples, labels=read.schema.label_values)
    gold_map = {str(i): str(g) for i, g in gold.items()}
    clamp = m.encode_gold(gold_map) if use_gold and gold else None
    result = _downweighted(aggregator.fit(m, gold=clamp), m, read.weights, clamp)
    seconds = time.perf_counter() - start
    counts = dict(
        zip(m.task_ids, np.bincount(m.task_idx, minlength=m.n_tasks).tolist(), strict=True)
    )
    with uows().reading() as uow:
        # A reviewer's decision is final: runs never overwrite it. Nor an applied auto-label
        # (its item has no human label; the model worker's own label would replace it).
        keep = uow.consensus.reviewed_item_ids(project_id) | {
            a.item_id for a in uow.ai.auto_labels(project_id, state=AutoLabelState.APPLIED)
        }
    rows = [r for r in _consensus(result, counts) if r.item_id not in keep]
    for lo in range(0, len(rows), WRITE_BATCH):
        with uows() as uow:
            uow.consensus.upsert_many(project_id, rows[lo : lo + WRITE_BATCH], now=uow.now())
            uow.commit()
    router = None
    if trainer is not None and read.learns_routes:
        features, targets = training_rows(m, result, WorkerModel.from_result(result))
        router = trainer(features, targets)
    with uows() as uow:
        store_model(uow, project_id, result, router=router, weights=read.weights)
        project = uow.projects.get(project_id)
        worker_quality.judge_agreement(uow, project, _agreement(m, result))
        quality_snapshots.queue_refresh(uow, project, actor=actor)
        queue_retrain(uow, project, actor=actor, n_labelled=read.n_labelled)
        uow.commit()
    n_gold, acc = _accuracy(result, gold)
    return AggregationSummary(
        method=name,
        n_items=m.n_tasks,
        n_labels=m.n_annotations,
        n_workers=m.n_workers,
        n_iter=result.n_iter,
        seconds=seconds,
        gold_used=use_gold and bool(gold),
        n_gold=n_gold,
        accuracy_on_gold=acc,
    )
