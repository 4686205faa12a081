"""Many concurrent workers, threads and processes, against one project: the overlap quota is
never exceeded and no label is lost or duplicated, on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from shoplabel.domain.ids import ProjectId, UserId
from shoplabel.domain.users import Role
from shoplabel.services import projects
from shoplabel.storage.tables import AnnotationRow, ItemRow, LeaseRow
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project, matching_payload
from tests.services.labelling_crowd import CrowdResult, label_many, label_until_done

N_ITEMS = 40
OVERLAP = 3


def _check_invariants(db: Database, project_id: int, results: list[CrowdResult]) -> None:
    with db.engine.connect() as conn:
        per_item = dict(
            conn.execute(
                select(AnnotationRow.item_id, func.count())
                .where(AnnotationRow.project_id == project_id)
                .group_by(AnnotationRow.item_id)
            ).all()
        )
        n_labels = dict(conn.execute(select(ItemRow.id, ItemRow.n_labels)).all())
        reserved = dict(conn.execute(select(ItemRow.id, ItemRow.n_reserved)).all())
        active = conn.execute(
            select(func.count()).select_from(LeaseRow).where(LeaseRow.state == "active")
        ).scalar_one()
        dupes = conn.execute(
            select(AnnotationRow.item_id, AnnotationRow.worker_id, func.count())
            .group_by(AnnotationRow.item_id, AnnotationRow.worker_id)
            .having(func.count() > 1)
        ).all()
    submitted = sum(r.submitted for r in results)
    assert dupes == []
    assert sum(per_item.values()) == submitted, "a label was lost or invented"
    assert max(per_item.values()) <= OVERLAP, "overlap quota exceeded"
    assert all(per_item.get(i, 0) == n for i, n in n_labels.items()), "counter drift"
    assert active == 0 and reserved == n_labels, "a slot leaked"
    assert all(n == OVERLAP for n in n_labels.values()), "an item was left unfinished"


def _setup(db: Database, n_workers: int) -> tuple[ProjectId, list[UserId]]:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner, settings={"max_overlap": OVERLAP})
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(N_ITEMS)])
    ids = [make_actor(db.uow(), f"w{i}", Role.WORKER).user_id for i in range(n_workers)]
    return project.id, ids


@pytest.mark.slow
def test_threads_never_over_assign_or_lose_labels(db: Database) -> None:
    project_id, workers = _setup(db, 16)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda u: label_until_done(db.url, project_id, u, u), workers))
    _check_invariants(db, project_id, results)
    owner_view = projects.get_project(
        db.uow(), actor=make_actor(db.uow(), "adm", Role.ADMIN), project_id=project_id
    )
    c = owner_view.counters
    assert c.n_annotations == N_ITEMS * OVERLAP and c.n_done == N_ITEMS and c.n_open == 0
    assert c.n_skips == sum(r.skipped for r in results)


@pytest.mark.slow
def test_processes_never_over_assign_or_lose_labels(db: Database) -> None:
    project_id, workers = _setup(db, 12)
    ctx = multiprocessing.get_context("spawn")
    # 12 workers in 4 processes: concurrent writers that share no engine, pool or lock.
    chunks = [(db.url, int(project_id), [int(w)], int(w)) for w in workers]
    with ctx.Pool(4) as pool:
        nested = pool.map(label_many, chunks, chunksize=1)
    _check_invariants(db, project_id, [r for rs in nested for r in rs])
