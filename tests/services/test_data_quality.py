"""Import validation and clean-up, cleaning runs, duplicate decisions, stored reports and
augmented exports, through the services on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from shoplabel.domain.dataquality import DuplicateDecision
from shoplabel.domain.jobs import JobStatus
from shoplabel.domain.ports import ConsensusWrite
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role
from shoplabel.errors import (
    DuplicateGroupNotFound,
    InvalidDuplicateDecision,
    InvalidSettings,
    ItemNotFound,
    PermissionDenied,
)
from shoplabel.jobs.worker import drain
from shoplabel.services import augmentation, data_report, dedup, duplicates, imports, originals
from tests.conftest import Database
from tests.factories import make_actor, make_project

RULES = {
    "fields": {
        "left.price": {"type": "number", "missing": "flag"},
        "left.name": {"type": "text", "missing": "reject", "max_length": 300},
    },
    "max_field_chars": 1000,
}


def _pair(i: int, name: str, price: Any = "10.00", **extra: Any) -> dict[str, Any]:
    row = {"external_id": f"p{i}", "left.name": name, "right.name": f"{name} (other shop)"}
    if price is not None:
        row["left.price"] = price
    return row | extra


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _import(db: Database, owner: Actor, project: Project, path: Path) -> imports.ImportReport:
    return imports.import_file(db.uow, path, actor=owner, project_id=project.id)


def _items(db: Database, project: Project) -> dict[str, Any]:
    with db.uow().reading() as uow:
        items = uow.items.page(project.id, after_id=0, limit=1000, status=None)
    return {it.external_id: it for it in items}


def test_import_cleans_validates_and_keeps_the_original(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    worker = make_actor(db.uow(), "w1", Role.WORKER)
    project = make_project(db.uow(), owner, settings={"data_rules": RULES})
    rows = [
        _pair(1, "ｉＰｈｏｎｅ１５  <b>Pro</b> 256GB", price="1,099.00"),
        _pair(2, "Sony WH-1000XM4", price=None),
        _pair(3, "bad\x00name"),
        _pair(4, "Caf\u00c3\u00a9 machine"),
        _pair(5, "x" * 1001),
        _pair(6, "Kettle", price="cheap"),
        _pair(7, "   "),
    ]
    report = _import(db, owner, project, _write(tmp_path / "in.jsonl", rows))
    assert (report.inserted, report.rejected) == (2, 5)
    assert [(e.row, e.field, e.code) for e in report.errors] == [
        (3, "left.name", "binary_data"),
        (4, "left.name", "mojibake"),
        (5, "left.name", "field_too_long"),
        (6, "left.price", "wrong_type"),
        (7, "left.name", "missing_value"),
    ]
    items = _items(db, project)
    assert items["p1"].id < items["p2"].id  # cleaned rows keep their place in file order
    cleaned = items["p1"]
    assert cleaned.payload["left"] == {"name": "iPhone15 Pro 256GB", "price": 1099.0}
    orig = originals.item_original(db.uow(), actor=owner, item_id=cleaned.id)
    assert orig.changed and orig.original["left"]["name"] == "ｉＰｈｏｎｅ１５  <b>Pro</b> 256GB"
    assert orig.original["left"]["price"] == "1,099.00"
    untouched = originals.item_original(db.uow(), actor=owner, item_id=items["p2"].id)
    assert not untouched.changed and untouched.original == untouched.payload
    with db.uow().reading() as uow:
        counts = uow.data_quality.flag_counts(project.id)
        flags = uow.data_quality.list_flags(project.id, code="missing_value", limit=10)
    assert [(c.source, c.code, c.field, c.n_items) for c in counts] == [
        ("import", "missing_value", "left.price", 1)
    ]
    assert [f.item_id for f in flags] == [items["p2"].id]
    with pytest.raises(PermissionDenied):  # an open project: workers see it, not originals
        originals.item_original(db.uow(), actor=worker, item_id=cleaned.id)
    # A re-import of the same file stores nothing again and flags nothing twice.
    again = _import(db, owner, project, _write(tmp_path / "in.jsonl", rows))
    assert (again.inserted, again.skipped_existing) == (0, 2)
    with db.uow().reading() as uow:
        assert uow.data_quality.flag_counts(project.id)[0].n_items == 1


def test_wrong_and_mixed_encodings_are_per_row_errors(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner, template="review_sentiment")
    path = tmp_path / "reviews.csv"
    path.write_bytes(
        b"external_id,review\n"
        + "r1,这个手机很好用\n".encode()
        + b"r2,"
        + "电池不耐用".encode("gbk")
        + b"\n"
        + b"r3,"
        + "Café crème".encode("latin-1")
        + b"\n"
        + b"r4,\x00\x01\x02\xff\xfe binary\n"
    )
    report = _import(db, owner, project, path)
    assert report.inserted == 1
    assert [(e.row, e.code) for e in report.errors] == [
        (2, "bad_encoding"),
        (3, "bad_encoding"),
        (4, "bad_encoding"),
    ]


def test_bad_data_rules_are_refused_when_saved(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    with pytest.raises(InvalidSettings) as info:
        make_project(db.uow(), owner, settings={"data_rules": {"fields": {"a": {"missing": "?"}}}})
    assert info.value.details["field"] == "data_rules"


def _dirty_project(db: Database, tmp_path: Path) -> tuple[Actor, Project, dict[str, Any]]:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner)
    rows = [
        _pair(1, "Samsung 55in QLED Smart TV QN55Q80", gold="same"),
        _pair(2, "Samsung 55in QLED Smart TV QN55Q80", gold="different"),  # exact, conflicting
        _pair(3, "Samsung 55in QLED Smart-TV QN55Q80"),  # near (Jaccard 0.84)
        _pair(4, "Dyson V11 Cordless Vacuum Cleaner", price="10.80"),
        _pair(5, "Dyson V11 Cordless Vacuum Cleaner", price="11.00"),  # not exact: other price
        _pair(6, "Anker PowerCore 10000 power bank 客服电话 13812345678", price="9.50"),
        _pair(7, "Bosch kettle 1.7L", price="10.50"),
        _pair(8, "Philips hair dryer", price="9.90"),
        _pair(9, "LG monitor 27in", price="10.20"),
        _pair(10, "Apple iPad Air", price="99999"),  # outlier
        _pair(11, "Xiaomi robot vacuum", price=None),  # missing price
    ]
    _import(db, owner, project, _write(tmp_path / "dirty.jsonl", rows))
    return owner, project, _items(db, project)


def test_dedup_groups_duplicates_flags_conflicts_and_outliers(db: Database, tmp_path: Path) -> None:
    owner, project, items = _dirty_project(db, tmp_path)
    s = dedup.run_dedup(
        db.uow,
        actor=owner,
        project_id=project.id,
        options=dedup.DedupOptions(fields=("left.name",), outlier_fields=("left.price",)),
    )
    assert s.n_items == 11 and s.groups["exact"] == 1 and s.n_outliers == 1
    groups = duplicates.list_groups(db.uow(), actor=owner, project_id=project.id)
    by_kind = {g.kind: g for g in groups}
    ids = {k: items[k].id for k in items}
    assert set(by_kind["exact"].item_ids) == {ids["p1"], ids["p2"]}
    assert by_kind["exact"].conflicting
    near = [set(g.item_ids) for g in groups if g.kind == "near"]
    assert {ids["p1"], ids["p2"], ids["p3"]} in near
    assert {ids["p4"], ids["p5"]} in near
    with db.uow().reading() as uow:
        (flag,) = uow.data_quality.list_flags(project.id, code="outlier", limit=10)
    assert flag.item_id == ids["p10"] and "99999" in flag.reason
    # A second run replaces the first one's results instead of adding to them.
    dedup.run_dedup(
        db.uow,
        actor=owner,
        project_id=project.id,
        options=dedup.DedupOptions(fields=("left.name",), outlier_fields=("left.price",)),
    )
    assert len(duplicates.list_groups(db.uow(), actor=owner, project_id=project.id)) == len(groups)


def test_duplicate_decisions_close_items_and_propagate_labels(db: Database, tmp_path: Path) -> None:
    owner, project, items = _dirty_project(db, tmp_path)
    worker = make_actor(db.uow(), "w1", Role.WORKER)
    opts = dedup.DedupOptions(fields=("left.name",))
    dedup.run_dedup(db.uow, actor=owner, project_id=project.id, options=opts)
    groups = duplicates.list_groups(db.uow(), actor=owner, project_id=project.id, kind="near")
    dyson = next(g for g in groups if items["p4"].id in g.item_ids)
    with db.uow() as uow:
        write = ConsensusWrite(items["p4"].id, "same", 0.9, None, "dawid-skene", 3)
        uow.consensus.upsert_many(project.id, [write], now=uow.now())
        uow.commit()
    with pytest.raises(InvalidDuplicateDecision):
        duplicates.decide(
            db.uow(), actor=owner, group_id=dyson.id, decision=DuplicateDecision.KEEP_ONE
        )
    with pytest.raises(InvalidDuplicateDecision):
        duplicates.decide(
            db.uow(),
            actor=owner,
            group_id=dyson.id,
            decision=DuplicateDecision.KEEP_ONE,
            keep_item_id=items["p1"].id,
        )
    with pytest.raises(PermissionDenied):
        duplicates.decide(
            db.uow(), actor=worker, group_id=dyson.id, decision=DuplicateDecision.KEEP_ALL
        )
    with pytest.raises(DuplicateGroupNotFound):
        duplicates.decide(
            db.uow(), actor=owner, group_id=10_000, decision=DuplicateDecision.KEEP_ALL
        )
    out = duplicates.decide(
        db.uow(),
        actor=owner,
        group_id=dyson.id,
        decision=DuplicateDecision.KEEP_ONE,
        keep_item_id=items["p4"].id,
        propagate=True,
    )
    assert (out.n_closed, out.n_propagated) == (1, 1)
    assert out.group.decision is DuplicateDecision.KEEP_ONE
    with db.uow().reading() as uow:
        closed = uow.items.get(items["p5"].id)
        consensus = uow.consensus.get_many([items["p5"].id])[items["p5"].id]
        counters = uow.projects.get(project.id).counters
    assert closed.status.value == "done"
    assert (consensus.value, consensus.method) == ("same", duplicates.PROPAGATION_METHOD)
    assert (counters.n_open, counters.n_done) == (10, 1)
    exact = duplicates.list_groups(db.uow(), actor=owner, project_id=project.id, kind="exact")[0]
    with pytest.raises(InvalidDuplicateDecision, match="different labels"):
        duplicates.decide(
            db.uow(),
            actor=owner,
            group_id=exact.id,
            decision=DuplicateDecision.KEEP_ALL,
            propagate=True,
        )


def test_dedup_and_report_run_as_jobs_and_the_report_is_stored(
    db: Database, tmp_path: Path
) -> None:
    owner, project, _ = _dirty_project(db, tmp_path)
    worker = make_actor(db.uow(), "w1", Role.WORKER)
    assert data_report.latest_report(db.uow(), actor=owner, project_id=project.id) is None
    with pytest.raises((PermissionDenied, ItemNotFound)):
        dedup.enqueue_dedup(
            db.uow(), actor=worker, project_id=project.id, options=dedup.DedupOptions()
        )
    j1 = dedup.enqueue_dedup(
        db.uow(), actor=owner, project_id=project.id, options=dedup.DedupOptions()
    )
    j2 = data_report.enqueue_report(db.uow(), actor=owner, project_id=project.id)
    assert drain(db.uow) == 2
    with db.uow().reading() as uow:
        done1, done2 = uow.jobs.get(j1.id), uow.jobs.get(j2.id)
    assert done1.status is JobStatus.DONE and done2.status is JobStatus.DONE
    assert done1.result is not None and done1.result["groups"]["exact"] == 1
    assert done1.progress_done == done1.progress_total == 22
    stored = data_report.latest_report(db.uow(), actor=owner, project_id=project.id)
    assert stored is not None
    r = stored.report
    assert r["n_items"] == 11
    assert r["missing"][0] == {"field": "left.price", "n_missing": 1}
    assert {d["kind"]: d["n_groups"] for d in r["duplicates"]}["exact"] == 1
    assert r["pii"]["by_kind"] == {"phone": 2}  # in left.name and right.name
    assert (r["pii"]["n_items_with_pii"], r["pii"]["n_sampled"]) == (1, 11)
    assert r["labels"]["n_gold"] == 2
    assert r["label_issues"]["conflicting_duplicate_groups"] >= 1
    assert r["agreement"]["alpha"] is None
    with pytest.raises((PermissionDenied, ItemNotFound)):
        data_report.latest_report(db.uow(), actor=worker, project_id=project.id)


def test_augmented_rows_stay_out_of_the_eval_split(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner, template="search_intent")
    text = (resources.files("shoplabel") / "demo_data" / "wands_queries.jsonl").read_text("utf-8")
    queries = [json.loads(line) for line in text.splitlines()]  # real WANDS queries
    rows = [{"external_id": q["external_id"], "query": q["query"]} for q in queries[:200]]
    _import(db, owner, project, _write(tmp_path / "q.jsonl", rows))
    opts = augmentation.AugmentOptions(field="query", n=2, eval_fraction=0.25, seed=1)
    out = list(
        augmentation.augmented_rows(db.uow, actor=owner, project_id=project.id, options=opts)
    )
    originals_ = [r for r in out if not r["augmented"]]
    augmented = [r for r in out if r["augmented"]]
    assert len(originals_) == 200
    eval_ids = {r["item_id"] for r in originals_ if r["split"] == "eval"}
    assert 25 <= len(eval_ids) <= 75
    assert augmented and all(r["split"] == "train" for r in augmented)
    assert not {r["augmented_from"] for r in augmented} & eval_ids
    assert all(r["augmentation"] in ("typo", "swap", "drop") for r in augmented)
    again = list(
        augmentation.augmented_rows(db.uow, actor=owner, project_id=project.id, options=opts)
    )
    assert again == out  # stable splits and seeded variants
    for r in augmented:
        assert r["payload"]["query"] != next(
            o["payload"]["query"] for o in originals_ if o["item_id"] == r["augmented_from"]
        )
    assert augmentation.split_of("wands-q1", eval_fraction=0.0) == "train"
