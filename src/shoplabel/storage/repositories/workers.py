"""Worker states and quality events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, select, update

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.workers import QualityEvent, WorkerState, WorkerStatus
from shoplabel.storage.dialect import upsert
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import QualityEventRow, WorkerStateRow

__all__ = ["SqlWorkerStateRepository"]

_T = cast(Table, WorkerStateRow.__table__)
_GET = select(_T).where(
    _T.c.project_id == bindparam("b_project"), _T.c.worker_id == bindparam("b_worker")
)
_GET_LOCKED = _GET.with_for_update()
_GET_MANY = (
    select(_T)
    .where(
        _T.c.project_id == bindparam("b_project"),
        _T.c.worker_id.in_(bindparam("b_workers", expanding=True)),
    )
    .order_by(_T.c.worker_id)
)
_GET_MANY_LOCKED = _GET_MANY.with_for_update()
_FIELDS = [c.name for c in _T.columns if c.name not in ("project_id", "worker_id")]
_WHERE = (_T.c.project_id == bindparam("b_project"), _T.c.worker_id == bindparam("b_worker"))
# Counters of one worker's own actions change in place (no read-modify-write, so no row lock
# and no lock-order conflict with submits that update the rows of an item's other labellers).
_ADD_TASK = (
    update(_T)
    .where(*_WHERE)
    .values(n_tasks=_T.c.n_tasks + 1, n_golds_served=_T.c.n_golds_served + bindparam("b_gold"))
)
_ADD_SKIP = (
    update(_T)
    .where(*_WHERE)
    .values(
        skip_streak=_T.c.skip_streak + 1,
        longest_skip_streak=case(
            (_T.c.skip_streak + 1 > _T.c.longest_skip_streak, _T.c.skip_streak + 1),
            else_=_T.c.longest_skip_streak,
        ),
    )
)


def _to_state(r: Any) -> WorkerState:
    return WorkerState(
        project_id=ProjectId(r.project_id),
        worker_id=UserId(r.worker_id),
        status=WorkerStatus(r.status),
        suspended_until=r.suspended_until,
        n_tasks=r.n_tasks,
        n_golds_served=r.n_golds_served,
        n_labels=r.n_labels,
        n_timed=r.n_timed,
        n_fast=r.n_fast,
        skip_streak=r.skip_streak,
        longest_skip_streak=r.longest_skip_streak,
        gold_credit=r.gold_credit,
        n_gold=r.n_gold,
        answer_counts=dict(r.answer_counts),
        fired=dict(r.fired),
        exam=None if r.exam is None else dict(r.exam),
        n_scored=r.n_scored,
        agree_credit=r.agree_credit,
        chance_llr=r.chance_llr,
        label_weight=r.label_weight,
        class_counts=dict(r.class_counts),
    )


def _values(state: WorkerState, now: datetime) -> dict[str, Any]:
    # A shallow copy: dataclasses.asdict deep-copies every field and was the costliest part
    # of a submit's worker-state write.
    values = {f.name: getattr(state, f.name) for f in fields(state)}
    values["status"] = state.status.value
    values["answer_counts"] = dict(state.answer_counts)
    values["fired"] = dict(state.fired)
    values["exam"] = None if state.exam is None else dict(state.exam)
    values["class_counts"] = dict(state.class_counts)
    values["updated_at"] = now
    return values


class SqlWorkerStateRepository(Repository):
    def get(self, project_id: ProjectId, worker_id: UserId, *, lock: bool = False) -> WorkerState:
        """The worker's state in the project (a fresh one if they never worked there).

        ``lock`` takes the row lock (``FOR UPDATE`` on PostgreSQL; SQLite write transactions
        are exclusive already) for a read-modify-write: quality updates touch the rows of
        other workers too, so an unlocked read could overwrite a concurrent update.
        """
        stmt = _GET_LOCKED if lock else _GET
        row = self._s.execute(stmt, {"b_project": project_id, "b_worker": worker_id}).first()
        return WorkerState(project_id, worker_id) if row is None else _to_state(row)

    def get_many(
        self, project_id: ProjectId, worker_ids: Sequence[UserId], *, lock: bool = False
    ) -> dict[UserId, WorkerState]:
        """:meth:`get` for several workers in one query (rows locked in worker-id order)."""
        wanted = sorted(set(worker_ids))
        params = {"b_project": project_id, "b_workers": wanted}
        rows = self._s.execute(_GET_MANY_LOCKED if lock else _GET_MANY, params)
        found = {UserId(r.worker_id): _to_state(r) for r in rows}
        return {w: found.get(w) or WorkerState(project_id, w) for w in wanted}

    def add_task(self, project_id: ProjectId, worker_id: UserId, *, gold: bool) -> None:
        """Count a task served to the worker (and whether it was a honeypot), in place."""
        params = {"b_project": project_id, "b_worker": worker_id, "b_gold": int(gold)}
        if self._rowcount(_ADD_TASK, params) == 0:
            fresh = WorkerState(project_id, worker_id)
            self.save(replace(fresh, n_tasks=1, n_golds_served=int(gold)))

    def add_skip(self, project_id: ProjectId, worker_id: UserId) -> None:
        """Lengthen the worker's skip streak (and the longest one), in place."""
        if self._rowcount(_ADD_SKIP, {"b_project": project_id, "b_worker": worker_id}) == 0:
            fresh = WorkerState(project_id, worker_id)
            self.save(replace(fresh, skip_streak=1, longest_skip_streak=1))

    def label_weights(self, project_id: ProjectId) -> dict[UserId, float]:
        """Workers of the project whose labels are down-weighted, with their weight."""
        rows = self._s.execute(
            select(_T.c.worker_id, _T.c.label_weight).where(
                _T.c.project_id == project_id, _T.c.label_weight < 1.0
            )
        )
        return {UserId(r.worker_id): float(r.label_weight) for r in rows}

    def save(self, state: WorkerState) -> None:
        self.save_many([state])

    def save_many(self, states: Sequence[WorkerState]) -> None:
        """Insert or replace whole worker states (one statement for all of them)."""
        if not states:
            return
        now = self._now()
        stmt = upsert(
            _T, self._s.get_bind().dialect.name, keys=("project_id", "worker_id"), update=_FIELDS
        )
        self._s.execute(stmt, [_values(s, now) for s in states])

    def list_for_project(
        self, project_id: ProjectId, *, after_worker: int, limit: int
    ) -> list[WorkerState]:
        rows = self._s.execute(
            select(_T)
            .where(WorkerStateRow.project_id == project_id, WorkerStateRow.worker_id > after_worker)
            .order_by(WorkerStateRow.worker_id)
            .limit(limit)
        )
        return [_to_state(r) for r in rows]

    def add_event(
        self,
        project_id: ProjectId,
        worker_id: UserId,
        *,
        rule: str,
        actions: Sequence[Mapping[str, Any]],
        reason: str,
    ) -> None:
        self._s.add(
            QualityEventRow(
                project_id=project_id,
                worker_id=worker_id,
                rule=rule,
                actions=[dict(a) for a in actions],
                reason=reason,
                created_at=self._now(),
            )
        )

    def events(
        self, project_id: ProjectId, *, worker_id: UserId | None, limit: int
    ) -> list[QualityEvent]:
        stmt = select(QualityEventRow).where(QualityEventRow.project_id == project_id)
        if worker_id is not None:
            stmt = stmt.where(QualityEventRow.worker_id == worker_id)
        rows = self._s.scalars(stmt.order_by(QualityEventRow.id.desc()).limit(limit))
        return [
            QualityEvent(
                id=r.id,
                project_id=ProjectId(r.project_id),
                worker_id=UserId(r.worker_id),
                rule=r.rule,
                actions=tuple(r.actions),
                reason=r.reason,
                created_at=r.created_at,
            )
            for r in rows
        ]
