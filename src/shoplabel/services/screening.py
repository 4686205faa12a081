"""Online screening evidence: which labels of a submit can be checked, and against what.

A label is *checked* when there is a reference for its item's true class:

- a gold honeypot's truth, when the label is submitted;
- the item's *leave-one-out* posterior: the posterior of the item from the *other* valid
  labels under the current worker model (the class prior when there are none), so a worker
  never agrees with themself. A label is checked once, as soon as there is another label
  to compare it with: when the *next* label on its item arrives, or when its item settles
  (leaves the open queue), whichever comes first. So the submit of the k-th valid label
  checks label k-1, and also label k when it settles the item; an item that never settles
  still checks all its labels but the last. O(k) per submit for an item of k labels.

:mod:`shoplabel.services.worker_quality` folds the checks into the workers' counters
(:mod:`shoplabel.quality.screening`) and applies the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.domain.annotations import Annotation, AnnotationStatus
from shoplabel.domain.ids import ItemId, UserId
from shoplabel.domain.items import Item
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.workers import WorkerState
from shoplabel.inference import WorkerModel, item_posterior
from shoplabel.quality import RuleSet, fold_class_counts, fold_llr, label_evidence
from shoplabel.services.posteriors import current_model, prior_model

__all__ = [
    "DEFAULT_CHANCE_ALPHA",
    "Check",
    "average_confusion",
    "chance_alpha",
    "fold",
    "gold_check",
    "label_checks",
    "next_label_checks",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Check:
    """One checked label: ``worker_id`` answered position ``answer``; ``reference`` is the
    ``(n_labels,)`` distribution of the item's true class it is compared with."""

    worker_id: UserId
    reference: FloatArray
    answer: int


def _model(uow: UnitOfWork, project: Project) -> WorkerModel:
    model = current_model(uow, project).model
    if model.labels != project.schema.label_values:
        return prior_model(project.schema.label_values)  # schema changed since the fit
    return model


def average_confusion(uow: UnitOfWork, project: Project) -> FloatArray:
    """``(n_labels, n_labels)`` confusion of the project's average worker (true on axis 0)."""
    out: FloatArray = np.exp(_model(uow, project).fallback)
    return out


def gold_check(project: Project, worker_id: UserId, value: Any, gold: Any) -> Check | None:
    """The check of a label on a gold item (``None`` when the value is not a class)."""
    labels = project.schema.label_values
    if str(value) not in labels or str(gold) not in labels:
        return None
    reference = np.zeros(len(labels))
    reference[labels.index(str(gold))] = 1.0
    return Check(worker_id, reference, labels.index(str(value)))


def next_label_checks(
    uow: UnitOfWork, project: Project, item_id: ItemId, *, settled: bool
) -> list[Check]:
    """The checks a new label on ``item_id`` makes against leave-one-out posteriors: the
    previous valid label (its first chance of a reference), and the new label itself when
    it ``settled`` the item.

    Valid labels are taken in submission order, the new one last; every label but the last
    was checked when its successor arrived, so each label is checked once (a label whose
    item settled and was re-opened by a rejection can be checked a second time).
    """
    model = _model(uow, project)
    position = {label: k for k, label in enumerate(model.labels)}
    rows = [
        (str(a.worker_id), position[str(a.value)], a.worker_id)
        for a in uow.annotations.list_for_item(item_id)
        if a.status is AnnotationStatus.VALID and str(a.value) in position
    ]
    due = range(max(len(rows) - 2, 0), len(rows) if settled else len(rows) - 1)
    checks = []
    for i in due:
        others = rows[:i] + rows[i + 1 :]
        reference = item_posterior(model, [o[0] for o in others], [o[1] for o in others])
        checks.append(Check(rows[i][2], reference, rows[i][1]))
    return checks


#: ``alpha`` of the chance test's floor when the project has no ``near_chance`` rule.
DEFAULT_CHANCE_ALPHA = 0.01


def label_checks(
    uow: UnitOfWork,
    project: Project,
    item: Item,
    annotation: Annotation,
    *,
    settled: bool,
    control: bool,
) -> list[Check]:
    """The checks a submit makes: the label itself on a gold ``control`` item, and the
    leave-one-out checks of :func:`next_label_checks` (the previous label, and this one when
    it ``settled`` the item)."""
    if not project.schema.is_categorical:
        return []
    checks = []
    if control:
        check = gold_check(project, annotation.worker_id, annotation.value, item.gold)
        checks += [check] if check is not None else []
    checks += next_label_checks(uow, project, item.id, settled=settled)
    return checks


def chance_alpha(rules: RuleSet) -> float:
    """The strictest ``alpha`` of the project's chance rules (its floor bounds banked credit)."""
    alphas = [r.params["alpha"] for r in rules.rules if r.condition == "near_chance"]
    return min(alphas, default=DEFAULT_CHANCE_ALPHA)


def fold(
    state: WorkerState,
    checks: Sequence[Check],
    average: FloatArray,
    *,
    labels: tuple[str, ...],
    alpha: float,
) -> WorkerState:
    """Fold checked labels into the worker's chance test, agreement and per-class counts."""
    if not checks:
        return state
    evidence = [label_evidence(c.reference, c.answer, average) for c in checks]
    counts: Mapping[str, Any] = state.class_counts
    for c in checks:
        counts = fold_class_counts(counts, labels, c.reference, c.answer)
    return replace(
        state,
        n_scored=state.n_scored + len(checks),
        agree_credit=state.agree_credit + sum(e.agreement for e in evidence),
        chance_llr=fold_llr(state.chance_llr, [e.llr for e in evidence], alpha=alpha),
        class_counts=counts,
    )
