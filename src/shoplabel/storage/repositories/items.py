"""Items: batched import, candidate search for next-task, and the overlap counters.

The overlap quota is enforced by one conditional ``UPDATE ... WHERE n_reserved < :max`` per
claim: whichever transaction increments first wins, on SQLite (single writer) and on
PostgreSQL (the row lock makes the loser re-check the condition), so the quota can never be
exceeded, whatever the number of concurrent workers.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, exists, insert, select, text, update

from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.domain.items import Item, ItemStatus, NewItem
from shoplabel.domain.scheduling import CandidateOrder
from shoplabel.errors import ItemNotFound
from shoplabel.storage.dialect import insert_ignoring_conflicts
from shoplabel.storage.mappers import to_item
from shoplabel.storage.repositories.base import Repository
from shoplabel.storage.tables import AnnotationRow, ItemFlagRow, ItemRow, LeaseRow
from shoplabel.storage.types import UTCDateTime

__all__ = ["SqlItemRepository"]

_T = cast(Table, ItemRow.__table__)
# PostgreSQL import batch; JSON travels as text (json.dumps, as SQLAlchemy's JSON type would)
# and "no gold" stays SQL NULL.
_PG_ADD_MANY = text(
    "INSERT INTO items (project_id, external_id, payload, content_hash, status, priority, gold,"
    " n_labels, n_reserved, review_stage, created_at)"
    " SELECT :b_project, u.ext, u.payload::json, u.hash, 'open', u.priority, u.gold::json,"
    " 0, 0, 0, :b_now"
    " FROM unnest(CAST(:b_ext AS text[]), CAST(:b_payload AS text[]), CAST(:b_hash AS text[]),"
    " CAST(:b_priority AS float8[]), CAST(:b_gold AS text[]))"
    " AS u(ext, payload, hash, priority, gold)"
    " ON CONFLICT (project_id, external_id) DO NOTHING RETURNING id"
).bindparams(bindparam("b_now", type_=UTCDateTime()))
_L = cast(Table, LeaseRow.__table__)
_A = cast(Table, AnnotationRow.__table__)
_OPEN = ItemStatus.OPEN.value
_GET = select(_T).where(_T.c.id == bindparam("b_id"))
_CLAIM = (
    update(_T)
    .where(_T.c.id == bindparam("b_id"), _T.c.status == _OPEN, _T.c.n_reserved < bindparam("b_max"))
    .values(n_reserved=_T.c.n_reserved + 1)
)
_GOLD_CANDIDATES = (
    select(_T.c.id)
    .where(
        _T.c.project_id == bindparam("b_project"),
        _T.c.gold.is_not(None),
        ~exists().where(
            LeaseRow.item_id == _T.c.id,
            LeaseRow.worker_id == bindparam("b_worker"),
            LeaseRow.state != "expired",
        ),
    )
    .order_by(_T.c.id)
    .limit(bindparam("b_limit"))
)
_ADD_LABEL = (
    update(_T)
    .where(_T.c.id == bindparam("b_id"))
    .values(n_labels=_T.c.n_labels + 1, n_reserved=_T.c.n_reserved + bindparam("b_slot"))
    .returning(_T.c.n_labels, _T.c.status)
)
_SET_PRIORITY = (
    update(_T).where(_T.c.id == bindparam("b_id")).values(priority=bindparam("b_priority"))
)
_SET_STATUS = update(_T).where(_T.c.id == bindparam("b_id")).values(status=bindparam("b_status"))


@cache
def _candidates(exclude_gold: bool, only: bool, walk: str, limit: int) -> Select[Any]:
    """The candidate query of :meth:`SqlItemRepository.candidates`, built once per shape.

    ``walk``: ``queue`` (priority, id), ``ge`` (ids from ``b_start``) or ``lt`` (ids before it).
    """
    seen_lease = exists().where(
        _L.c.item_id == _T.c.id,
        _L.c.worker_id == bindparam("b_worker"),
        _L.c.state != "expired",
    )
    seen_label = exists().where(_A.c.item_id == _T.c.id, _A.c.worker_id == bindparam("b_worker"))
    stmt = select(_T.c.id).where(
        _T.c.project_id == bindparam("b_project"),
        _T.c.status == _OPEN,
        _T.c.n_reserved < bindparam("b_max"),
        ~seen_lease,
        ~seen_label,
    )
    if only:
        stmt = stmt.where(_T.c.id.in_(bindparam("b_only", expanding=True)))
    if exclude_gold:
        stmt = stmt.where(_T.c.gold.is_(None))
    if walk == "queue":
        return stmt.order_by(_T.c.priority.desc(), _T.c.id).limit(limit)
    if walk == "ge":
        return stmt.where(_T.c.id >= bindparam("b_start")).order_by(_T.c.id).limit(limit)
    return stmt.where(_T.c.id < bindparam("b_start")).order_by(_T.c.id).limit(limit)


class SqlItemRepository(Repository):
    def existing_external_ids(self, project_id: ProjectId, external_ids: Sequence[str]) -> set[str]:
        if not external_ids:
            return set()
        stmt = select(ItemRow.external_id).where(
            ItemRow.project_id == project_id, ItemRow.external_id.in_(set(external_ids))
        )
        return set(self._s.scalars(stmt))

    def add_many(self, project_id: ProjectId, items: Sequence[NewItem]) -> int:
        """Insert ``items``, skipping external ids already stored; return how many were new."""
        if not items:
            return 0
        return len(self._add(project_id, items, ids=False))

    def add_many_returning_ids(
        self, project_id: ProjectId, items: Sequence[NewItem]
    ) -> dict[str, ItemId]:
        """Like :meth:`add_many`; return external id -> new item id of the rows inserted."""
        if not items:
            return {}
        return {ext: ItemId(i) for i, ext in self._add(project_id, items, ids=True)}

    def _add(self, project_id: ProjectId, items: Sequence[NewItem], *, ids: bool) -> list[Any]:
        # A batch without any original (the usual case) leaves the column out, and external
        # ids come back only when asked for or some row has import flags: the hot insert stays
        # lean. One statement per batch keeps ids in file order.
        with_original = any(it.original is not None for it in items)
        flagged = {it.external_id: it.flags for it in items if it.flags}
        inserted = self._insert(project_id, items, with_original, ids or bool(flagged))
        if flagged:
            self._add_import_flags(project_id, flagged, inserted)
        return inserted

    def _insert(
        self, project_id: ProjectId, items: Sequence[NewItem], with_original: bool, ids: bool
    ) -> list[Any]:
        now = self._now()
        dialect = self._s.get_bind().dialect.name
        if dialect == "postgresql" and not with_original and not ids:
            return self._add_many_pg(project_id, items, now)  # the plain import's hot path
        rows = [
            {
                "project_id": project_id,
                "external_id": it.external_id,
                "payload": it.payload,
                "content_hash": it.content_hash,
                "status": _OPEN,
                "priority": it.priority,
                "gold": it.gold,
                "n_labels": 0,
                "n_reserved": 0,
                "created_at": now,
            }
            for it in items
        ]
        if with_original:
            for row, it in zip(rows, items, strict=True):
                row["original"] = it.original
        stmt = insert_ignoring_conflicts(_T, dialect, keys=("project_id", "external_id"))
        returning = (ItemRow.id, ItemRow.external_id) if ids else (ItemRow.id,)
        return list(self._s.execute(stmt.returning(*returning), rows).all())

    def _add_import_flags(
        self,
        project_id: ProjectId,
        flagged: dict[str, tuple[Mapping[str, str], ...]],
        inserted: Sequence[Any],
    ) -> None:
        now = self._now()
        rows = [
            {"project_id": project_id, "item_id": item_id, "source": "import", "created_at": now}
            | dict(flag)
            for item_id, external_id in inserted
            for flag in flagged.get(external_id, ())
        ]
        if rows:
            self._s.execute(insert(ItemFlagRow), rows)

    def original(self, item_id: ItemId) -> Mapping[str, Any] | None:
        """The payload as imported, if import clean-up changed it; ``None`` otherwise."""
        row = self._s.execute(select(ItemRow.original).where(ItemRow.id == item_id)).first()
        if row is None:
            raise ItemNotFound(f"item {item_id} does not exist", details={"item_id": item_id})
        return cast("Mapping[str, Any] | None", row[0])

    def _add_many_pg(
        self, project_id: ProjectId, items: Sequence[NewItem], now: datetime
    ) -> list[Any]:
        """One ``INSERT ... SELECT FROM unnest(arrays)`` per batch, 7 parameters in all.

        The multi-row ``VALUES`` form sends 10 parameters per row; its SQL text differs with
        every batch size, so psycopg re-parses it in Python each time (70 % of the import's
        time on PostgreSQL). Array parameters keep the statement constant and tiny. The
        statement names every column: a new ``items`` column needs a server default or an
        entry here.
        """
        params = {
            "b_project": project_id,
            "b_now": now,
            "b_ext": [it.external_id for it in items],
            "b_payload": [json.dumps(it.payload) for it in items],
            "b_hash": [it.content_hash for it in items],
            "b_priority": [float(it.priority) for it in items],
            "b_gold": [None if it.gold is None else json.dumps(it.gold) for it in items],
        }
        return list(self._s.execute(_PG_ADD_MANY, params).all())

    def get(self, item_id: ItemId) -> Item:
        row = self._s.execute(_GET, {"b_id": item_id}).first()
        if row is None:
            raise ItemNotFound(f"item {item_id} does not exist", details={"item_id": item_id})
        return to_item(row)

    def get_many(self, item_ids: Sequence[ItemId]) -> list[Item]:
        if not item_ids:
            return []
        rows = self._s.execute(select(_T).where(ItemRow.id.in_(set(item_ids))).order_by(ItemRow.id))
        return [to_item(r) for r in rows]

    def candidates(  # noqa: PLR0913 - one keyword per SQL filter of the candidate query
        self,
        project_id: ProjectId,
        *,
        worker_id: UserId,
        max_overlap: int,
        order: CandidateOrder,
        start_id: int,
        limit: int,
        only: Sequence[ItemId] | None = None,
        exclude_gold: bool = False,
    ) -> list[ItemId]:
        """Open items under quota that ``worker_id`` has not leased, skipped or labelled.

        Queue order walks ``ix_items_queue``; a random start walks ids from ``start_id`` and
        wraps around. ``only`` restricts the search to the given items (replays of a real
        crowd, where a worker can only be given what they really answered). Items the worker
        has touched are few (items close as they fill), so the anti-joins stay cheap probes of
        ``uq_leases_item_worker_live`` and the annotations' ``(item_id, worker_id)`` key.
        """
        params: dict[str, Any] = {
            "b_project": project_id,
            "b_worker": worker_id,
            "b_max": max_overlap,
            "b_start": start_id,
        }
        if only is not None:
            params["b_only"] = list(only)
        if order is CandidateOrder.QUEUE:
            stmt = _candidates(exclude_gold, only is not None, "queue", limit)
            return [ItemId(i) for i in self._s.scalars(stmt, params)]
        ahead = list(
            self._s.scalars(_candidates(exclude_gold, only is not None, "ge", limit), params)
        )
        if len(ahead) < limit:
            rest = _candidates(exclude_gold, only is not None, "lt", limit - len(ahead))
            ahead += self._s.scalars(rest, params)
        return [ItemId(i) for i in ahead]

    def gold_candidates(
        self, project_id: ProjectId, *, worker_id: UserId, limit: int
    ) -> list[ItemId]:
        """Gold (honeypot) items this worker has not been given yet (``ix_items_gold``)."""
        params = {"b_project": project_id, "b_worker": worker_id, "b_limit": limit}
        return [ItemId(i) for i in self._s.scalars(_GOLD_CANDIDATES, params)]

    def claim(self, item_id: ItemId, *, max_overlap: int) -> bool:
        """Take one overlap slot of an open item; ``False`` if it is full or closed."""
        return self._rowcount(_CLAIM, {"b_id": item_id, "b_max": max_overlap}) == 1

    def release(self, item_ids: Sequence[ItemId]) -> None:
        """Give back one slot per occurrence of an id (expired or skipped leases)."""
        counts = sorted(Counter(item_ids).items())  # id order: no lock-order deadlocks on PG
        if not counts:
            return
        stmt = (
            update(_T)
            .where(_T.c.id == bindparam("b_id"))
            .values(n_reserved=_T.c.n_reserved - bindparam("b_n"))
        )
        self._s.execute(stmt, [{"b_id": i, "b_n": n} for i, n in counts])

    def add_label(self, item_id: ItemId, *, new_slot: bool) -> tuple[int, ItemStatus]:
        """Count one more valid label; return (labels now, status before).

        ``new_slot`` is for labels that did not come through a lease (models, imports): they
        take a slot of their own. The UPDATE locks the row on PostgreSQL, so the status the
        caller derives from the returned count cannot race another submit.
        """
        row = self._s.execute(_ADD_LABEL, {"b_id": item_id, "b_slot": int(new_slot)}).first()
        if row is None:
            raise ItemNotFound(f"item {item_id} does not exist", details={"item_id": item_id})
        return int(row[0]), ItemStatus(row[1])

    def unlabel(self, item_ids: Sequence[ItemId]) -> dict[ItemId, ItemStatus]:
        """Take one label off each item (a rejected label) and reopen it; return the
        statuses the items had before."""
        if not item_ids:
            return {}
        ids = sorted(set(item_ids))
        before = {
            ItemId(i): ItemStatus(st)
            for i, st in self._s.execute(
                select(ItemRow.id, ItemRow.status).where(ItemRow.id.in_(ids))
            )
        }
        stmt = (
            update(_T)
            .where(_T.c.id == bindparam("b_id"))
            .values(
                n_labels=_T.c.n_labels - 1,
                n_reserved=_T.c.n_reserved - 1,
                status=ItemStatus.OPEN.value,
                # A reopened item starts its review rounds again.
                review_stage=0,
            )
        )
        self._s.execute(stmt, [{"b_id": i} for i in ids])
        return before

    def set_priority(self, item_id: ItemId, priority: float) -> None:
        self._s.execute(_SET_PRIORITY, {"b_id": item_id, "b_priority": priority})

    def set_status(self, item_id: ItemId, status: ItemStatus) -> None:
        self._s.execute(_SET_STATUS, {"b_id": item_id, "b_status": status.value})

    def gold_labels(self, project_id: ProjectId) -> dict[ItemId, Any]:
        """Known answers of a project's gold items (a scan of one project's rows, for batch
        aggregation and evaluation only, never on a request path)."""
        stmt = select(ItemRow.id, ItemRow.gold).where(
            ItemRow.project_id == project_id, ItemRow.gold.is_not(None)
        )
        return {ItemId(i): g for i, g in self._s.execute(stmt) if g is not None}

    def max_id(self, project_id: ProjectId) -> int:
        value = self._s.scalar(
            select(ItemRow.id)
            .where(ItemRow.project_id == project_id)
            .order_by(ItemRow.id.desc())
            .limit(1)
        )
        return int(value or 0)

    def min_id(self, project_id: ProjectId) -> int:
        value = self._s.scalar(
            select(ItemRow.id).where(ItemRow.project_id == project_id).order_by(ItemRow.id).limit(1)
        )
        return int(value or 0)

    def page(
        self, project_id: ProjectId, *, after_id: int, limit: int, status: ItemStatus | None
    ) -> list[Item]:
        """Items by id after ``after_id`` (keyset paging: constant cost at any depth)."""
        cond = and_(ItemRow.project_id == project_id, ItemRow.id > after_id)
        if status is not None:
            cond = and_(cond, ItemRow.status == status.value)
        rows = self._s.execute(select(_T).where(cond).order_by(ItemRow.id).limit(limit))
        return [to_item(r) for r in rows]
