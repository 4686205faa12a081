"""A worker's standing in one project: status, running statistics, quality events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoplabel.domain.ids import ProjectId, UserId

__all__ = ["QualityEvent", "WorkerState", "WorkerStatus"]

#: Labels faster than this count as "fast" for the too-fast rule.
FAST_MS = 2000


class WorkerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BANNED = "banned"


@dataclass(frozen=True, slots=True)
class WorkerState:
    """Counters kept in the transactions that change them (no scans of a worker's labels)."""

    project_id: ProjectId
    worker_id: UserId
    status: WorkerStatus = WorkerStatus.ACTIVE
    suspended_until: datetime | None = None
    n_tasks: int = 0
    n_golds_served: int = 0
    n_labels: int = 0
    n_timed: int = 0
    n_fast: int = 0
    skip_streak: int = 0
    longest_skip_streak: int = 0
    gold_credit: float = 0.0
    n_gold: int = 0
    answer_counts: Mapping[str, int] = field(default_factory=dict)
    fired: Mapping[str, Any] = field(default_factory=dict)
    exam: Mapping[str, Any] | None = None
    #: Online screening: labels scored against a reference (gold, or the leave-one-out
    #: posterior of its item) and the summed probability the reference gave their
    #: answers; the chance test's log-likelihood ratio (random vs the average worker).
    n_scored: int = 0
    agree_credit: float = 0.0
    chance_llr: float = 0.0
    #: Weight of the worker's labels in posteriors and aggregation (< 1 after down-weighting).
    label_weight: float = 1.0
    #: Per true class: ``[reference mass, mass answered right]`` (soft counts).
    class_counts: Mapping[str, Any] = field(default_factory=dict)

    def blocked_at(self, now: datetime) -> WorkerStatus | None:
        """Why the worker may not take tasks now, or ``None``."""
        if self.status is WorkerStatus.BANNED:
            return WorkerStatus.BANNED
        if self.status is WorkerStatus.SUSPENDED and (
            self.suspended_until is None or self.suspended_until > now
        ):
            return WorkerStatus.SUSPENDED
        return None


@dataclass(frozen=True, slots=True)
class QualityEvent:
    id: int
    project_id: ProjectId
    worker_id: UserId
    rule: str
    actions: tuple[Mapping[str, Any], ...]
    reason: str
    created_at: datetime
