"""Batched import and streaming export through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shoplabel.dataprep.readers import iter_record_batches
from shoplabel.domain.users import Role
from shoplabel.errors import EmptyInput, ImportRejected, PermissionDenied
from shoplabel.services import assignment, exports, imports, projects, submissions
from tests.conftest import Database
from tests.factories import make_actor, make_project

CSV = (
    "external_id,left.name,right.name,gold,priority\n"
    "a1,Sony WH-1000XM4,Sony WH1000XM4/B,same,1\n"
    "a2,Bose QC35,Sony WH-1000XM4,different,\n"
    "a3,Apple iPad,,same,\n"  # right.name missing -> required field 'right' absent
    "a4,LG TV,LG OLED TV,maybe,\n"  # gold not in schema
    "a5,Nikon D750,Nikon D750 body,,high\n"  # priority not a number
)


def _counts(db: Database, owner_name: str = "req") -> tuple[int, int]:
    with db.uow().reading() as uow:
        owner = uow.users.find_by_username(owner_name)
        assert owner is not None
        p = uow.projects.list_for(owner_id=owner.id, open_or_member_of=None, offset=0, limit=1)[0]
    return p.counters.n_items, p.counters.n_open


def test_import_reports_bad_rows_and_stores_good_ones(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner)
    src = tmp_path / "pairs.csv"
    src.write_text(CSV, encoding="utf-8")
    opts = imports.ImportOptions(rejects_path=tmp_path / "rejects.csv", batch_size=2)
    report = imports.import_file(db.uow, src, actor=owner, project_id=project.id, options=opts)
    assert (report.rows, report.inserted, report.rejected) == (5, 2, 3)
    assert [(e.row, e.field, e.code) for e in report.errors] == [
        (3, "right", "missing_field"),
        (4, "gold", "label_not_in_schema"),
        (5, "priority", "bad_priority"),
    ]
    rejects = [r.fields for b in iter_record_batches(tmp_path / "rejects.csv") for r in b.records]
    assert [r["row"] for r in rejects] == ["3", "4", "5"]
    assert _counts(db) == (2, 2)

    again = imports.import_file(db.uow, src, actor=owner, project_id=project.id, options=opts)
    assert (again.inserted, again.skipped_existing) == (0, 2)
    assert _counts(db) == (2, 2)


def test_strict_import_stores_nothing(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner)
    src = tmp_path / "pairs.csv"
    src.write_text(CSV, encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        imports.import_file(
            db.uow,
            src,
            actor=owner,
            project_id=project.id,
            options=imports.ImportOptions(strict=True),
        )
    assert info.value.details["rejected"] == 3
    assert _counts(db) == (0, 0)


def test_import_jsonl_and_parquet_and_refusals(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    worker = make_actor(db.uow(), "w1", Role.WORKER)
    project = make_project(db.uow(), owner, template="review_sentiment")
    jl = tmp_path / "r.jsonl"
    jl.write_text(
        "\n".join(
            json.dumps({"id": f"r{i}", "review": f"很好 {i}"}, ensure_ascii=False) for i in range(3)
        ),
        encoding="utf-8",
    )
    opts = imports.ImportOptions(mapping="external_id=id")
    assert (
        imports.import_file(db.uow, jl, actor=owner, project_id=project.id, options=opts).inserted
        == 3
    )
    pqf = tmp_path / "r.parquet"
    pq.write_table(pa.table({"external_id": ["p1", "p2"], "review": ["bad", "ok"]}), pqf)
    assert imports.import_file(db.uow, pqf, actor=owner, project_id=project.id).inserted == 2
    with pytest.raises(PermissionDenied):
        imports.import_file(db.uow, pqf, actor=worker, project_id=project.id)
    empty = tmp_path / "e.csv"
    empty.write_text("external_id,review\n", encoding="utf-8")
    with pytest.raises(EmptyInput):
        imports.import_file(db.uow, empty, actor=owner, project_id=project.id)


def test_export_streams_items_with_labels_and_hides_from_workers(
    db: Database, tmp_path: Path
) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    worker = make_actor(db.uow(), "w1", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"max_overlap": 1})
    src = tmp_path / "pairs.csv"
    src.write_text(CSV, encoding="utf-8")
    imports.import_file(db.uow, src, actor=owner, project_id=project.id)
    import numpy as np

    task = assignment.next_task(
        db.uow(), actor=worker, project_id=project.id, rng=np.random.default_rng(0)
    )
    assert task is not None
    submissions.submit(
        db.uow(), actor=worker, lease_id=task.lease_id, value="same", duration_ms=1200
    )
    rows = list(exports.export_rows(db.uow, actor=owner, project_id=project.id))
    assert [r["external_id"] for r in rows] == ["a1", "a2"]
    labelled = next(r for r in rows if r["item_id"] == task.item_id)
    assert labelled["status"] == "done"
    [ann] = labelled["annotations"]
    assert (ann["worker"], ann["source"], ann["value"], ann["duration_ms"]) == (
        "w1",
        "human",
        "same",
        1200,
    )
    per_label = list(
        exports.export_rows(
            db.uow, actor=owner, project_id=project.id, kind=exports.ExportKind.ANNOTATIONS
        )
    )
    assert len(per_label) == 1 and per_label[0]["external_id"] == labelled["external_id"]
    with pytest.raises(PermissionDenied):
        exports.export_rows(db.uow, actor=worker, project_id=project.id)
    assert projects.get_project(db.uow(), actor=owner, project_id=project.id).counters.n_done == 1
