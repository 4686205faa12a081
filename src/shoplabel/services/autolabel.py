"""Calibrated auto-labelling: complete items the model is sure enough about, spot-check a
share of them with humans, and pull the threshold back when spot checks fail.

The threshold comes from the pre-labelling run (``services.prelabel``): held-out
human-labelled items, the lowest confidence whose covered set meets ``ai.target_accuracy``
with a one-sided 95% Clopper-Pearson bound (``inference.calibration``). Without a valid
calibration nothing is auto-labelled (``calibration_unavailable``).

Each eligible item (open, no human label, not a gold control) at or above the threshold is
either *applied* (status ``done``, consensus method ``auto/v<version>``, recorded in
``auto_labels``) or, with probability ``ai.spot_check_rate``, left open for humans as a
*spot check*. Every run first scores the spot checks humans completed; if their accuracy is
shown below the target (upper bound under it), the threshold moves halfway to 1 and applied
auto-labels below it are reopened (``reverted``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shoplabel.domain.ai import (
    AiSettings,
    AutoLabel,
    AutoLabelState,
    ModelVersion,
    Prediction,
    parse_ai_settings,
)
from shoplabel.domain.annotations import AnnotationSource
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.ports import ConsensusWrite, UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.errors import CalibrationUnavailable
from shoplabel.inference.calibration import spot_checks_fail
from shoplabel.services import worker_quality
from shoplabel.services.embeddings import PAGE_SIZE, managed_project
from shoplabel.services.prelabel_training import AUTO_METHOD_PREFIX

__all__ = ["AutoLabelReport", "apply_auto_labels"]


@dataclass(frozen=True, slots=True)
class AutoLabelReport:
    version: int
    threshold: float
    n_applied: int
    n_spot_checks: int
    n_checked: int
    n_check_correct: int
    spot_checks_failed: bool
    n_reverted: int

    def to_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "threshold": round(self.threshold, 6),
            "n_applied": self.n_applied,
            "n_spot_checks": self.n_spot_checks,
            "n_checked": self.n_checked,
            "n_check_correct": self.n_check_correct,
            "spot_checks_failed": self.spot_checks_failed,
            "n_reverted": self.n_reverted,
        }


def _is_spot_check(item_id: ItemId, version: int, rate: float) -> bool:
    """A deterministic draw per (item, version): reruns pick the same items."""
    digest = hashlib.sha256(f"{version}:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64 < rate


def _score_spot_checks(uow: UnitOfWork, project_id: ProjectId) -> tuple[int, int]:
    """(correct, checked) over spot checks humans have completed."""
    rows = uow.ai.auto_labels(project_id, state=AutoLabelState.SPOT_CHECK)
    items = {it.id: it for it in uow.items.get_many([r.item_id for r in rows])}
    consensus = uow.consensus.get_many([r.item_id for r in rows])
    checked = [
        r for r in rows if items[r.item_id].status is ItemStatus.DONE and r.item_id in consensus
    ]
    correct = sum(str(consensus[r.item_id].value) == r.value for r in checked)
    return correct, len(checked)


def _revert_below(uow: UnitOfWork, project_id: ProjectId, threshold: float) -> int:
    """Reopen applied auto-labels under ``threshold``; return how many."""
    applied = uow.ai.auto_labels(project_id, state=AutoLabelState.APPLIED)
    below = [r.item_id for r in applied if r.confidence < threshold]
    done = [it.id for it in uow.items.get_many(below) if it.status is ItemStatus.DONE]
    for item_id in done:
        uow.items.set_status(item_id, ItemStatus.OPEN)
    uow.ai.clear_consensus(done)
    uow.ai.set_auto_state(below, AutoLabelState.REVERTED)
    if done:
        uow.projects.add_counters(project_id, n_done=-len(done), n_open=len(done))
    return len(done)


def _spot_check_gate(
    uows: Callable[[], UnitOfWork], project: Project, version: ModelVersion, ai: AiSettings
) -> tuple[float, int, int, bool, int]:
    """Score spot checks; on failure raise and store the threshold and revert below it."""
    assert version.threshold is not None
    threshold = version.threshold
    with uows() as uow:
        correct, checked = _score_spot_checks(uow, project.id)
        failed = spot_checks_fail(correct, checked, target=ai.target_accuracy)
        reverted = 0
        if failed:
            threshold += (1.0 - threshold) / 2.0
            uow.ai.set_threshold(version.id, threshold)
            reverted = _revert_below(uow, project.id, threshold)
        uow.commit()
    return threshold, correct, checked, failed, reverted


def _eligible(
    uow: UnitOfWork,
    project: Project,
    preds: Sequence[Prediction],
    *,
    threshold: float,
    done_before: set[ItemId],
) -> list[tuple[Item, Prediction]]:
    sure = {p.item_id: p for p in preds if p.confidence >= threshold}
    items = uow.items.get_many([i for i in sure if i not in done_before])
    labels = uow.annotations.list_for_items([it.id for it in items if it.n_labels > 0])
    return [
        (it, sure[it.id])
        for it in items
        if it.status is ItemStatus.OPEN
        and not worker_quality.is_control(project, it)
        and all(a.source is AnnotationSource.MODEL for a in labels.get(it.id, []))
    ]


def _apply_page(
    uow: UnitOfWork,
    project: Project,
    version: ModelVersion,
    rows: list[tuple[Item, Prediction]],
    *,
    threshold: float,
    rate: float,
) -> tuple[int, int]:
    records: list[AutoLabel] = []
    consensus: list[ConsensusWrite] = []
    for item, p in rows:
        check = _is_spot_check(item.id, version.version, rate)
        state = AutoLabelState.SPOT_CHECK if check else AutoLabelState.APPLIED
        records.append(AutoLabel(item.id, version.version, p.value, p.confidence, threshold, state))
        if not check:
            uow.items.set_status(item.id, ItemStatus.DONE)
            consensus.append(
                ConsensusWrite(
                    item_id=item.id,
                    value=p.value,
                    confidence=p.confidence,
                    probas=dict(p.probas),
                    method=f"{AUTO_METHOD_PREFIX}v{version.version}",
                    n_labels=item.n_labels,
                )
            )
    uow.ai.add_auto_labels(project.id, records)
    uow.consensus.upsert_many(project.id, consensus, now=uow.now())
    if consensus:
        uow.projects.add_counters(project.id, n_open=-len(consensus), n_done=len(consensus))
    return len(consensus), len(records) - len(consensus)


def apply_auto_labels(
    uows: Callable[[], UnitOfWork], *, actor: Actor, project_id: ProjectId
) -> AutoLabelReport:
    """Auto-label the project's eligible items with the latest calibrated model version.

    Raises:
        CalibrationUnavailable: no model version, or its calibration found no threshold.
    """
    project = managed_project(uows, actor, project_id)
    ai = parse_ai_settings(project.settings.ai)
    with uows().reading() as uow:
        version = uow.ai.latest_version(project_id)
    if version is None or version.threshold is None:
        reason = (
            "no pre-labelling run yet"
            if version is None
            else str(version.metrics.get("calibration_error") or "no threshold met the target")
        )
        raise CalibrationUnavailable(
            f"project {project_id} cannot be auto-labelled: {reason}; humans label every item",
            details={"project_id": project_id},
        )
    threshold, correct, checked, failed, reverted = _spot_check_gate(uows, project, version, ai)
    applied = spot = 0
    after = 0
    with uows().reading() as uow:
        # Read once: an item is auto-labelled (or spot-checked) at most once.
        done_before = {r.item_id for r in uow.ai.auto_labels(project_id, state=None)}
    while True:
        with uows() as uow:
            preds = uow.ai.prediction_page(project_id, after_id=after, limit=PAGE_SIZE)
            if not preds:
                break
            rows = _eligible(uow, project, preds, threshold=threshold, done_before=done_before)
            a, s = _apply_page(
                uow, project, version, rows, threshold=threshold, rate=ai.spot_check_rate
            )
            uow.commit()
        applied, spot, after = applied + a, spot + s, preds[-1].item_id
    return AutoLabelReport(
        version=version.version,
        threshold=threshold,
        n_applied=applied,
        n_spot_checks=spot,
        n_checked=checked,
        n_check_correct=correct,
        spot_checks_failed=failed,
        n_reverted=reverted,
    )
