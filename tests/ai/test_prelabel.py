"""Embedding jobs, pre-labelling runs, model labels and auto-labelling on real Abt-Buy pairs
with their real MTurk answers, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from shoplabel.domain.ai import AutoLabelState, ModelKind
from shoplabel.domain.annotations import AnnotationSource
from shoplabel.domain.ids import ItemId
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.jobs import JobKind, JobStatus
from shoplabel.domain.users import Role
from shoplabel.errors import CalibrationUnavailable, InvalidInput, PermissionDenied
from shoplabel.jobs.worker import drain
from shoplabel.services import jobs, projects, replay
from shoplabel.services.ai_jobs import enqueue_ai_job
from shoplabel.services.auto_review import flag_label_issues, list_flags
from shoplabel.services.autolabel import apply_auto_labels
from shoplabel.services.prelabel import list_versions, prelabel
from shoplabel.services.retrain import queue_retrain
from tests.ai.conftest import AbtBuy, MemoToolkit, abt_buy_project, demo_rows
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project

N_ITEMS = 60
#: Reachable on 60 noisy items (the demo pairs' 3-vote consensus is ~.83 right).
CALIBRATION = {"target_accuracy": 0.75, "min_calibration_items": 20, "min_train_items": 20}


def test_embed_job_reports_progress_and_caches_by_text(db: Database, toolkit: MemoToolkit) -> None:
    ab = abt_buy_project(db, N_ITEMS)
    job = enqueue_ai_job(db.uow(), actor=ab.owner, project_id=ab.project.id, kind=JobKind.EMBED)
    assert drain(db.uow, ai=toolkit) == 1
    done = jobs.get_job(db.uow(), actor=ab.owner, job_id=job.id)
    assert done.status is JobStatus.DONE, done.error
    assert (done.progress_done, done.progress_total) == (N_ITEMS, N_ITEMS)
    assert done.result is not None
    assert done.result["n_items"] == N_ITEMS
    # Listings repeat across pairs: fewer distinct texts than 2 per item were embedded.
    assert 0 < done.result["n_computed"] <= 2 * N_ITEMS
    again = enqueue_ai_job(db.uow(), actor=ab.owner, project_id=ab.project.id, kind=JobKind.EMBED)
    drain(db.uow, ai=toolkit)
    rerun = jobs.get_job(db.uow(), actor=ab.owner, job_id=again.id)
    assert rerun.result is not None
    assert rerun.result["n_computed"] == 0  # every text came from the database cache


def test_ai_jobs_fail_cleanly_without_models_and_for_workers(db: Database) -> None:
    ab = abt_buy_project(db, 3)
    job = enqueue_ai_job(db.uow(), actor=ab.owner, project_id=ab.project.id, kind=JobKind.PRELABEL)
    drain(db.uow, ai=None)
    failed = jobs.get_job(db.uow(), actor=ab.owner, job_id=job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.startswith("model_unavailable")
    worker = make_actor(db.uow(), "w1", Role.WORKER)
    with pytest.raises(PermissionDenied):
        enqueue_ai_job(db.uow(), actor=worker, project_id=ab.project.id, kind=JobKind.EMBED)


def test_prelabel_refuses_non_choice_schemas(db: Database, toolkit: MemoToolkit) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner, template="attribute_extraction")
    with pytest.raises(InvalidInput, match="single-choice"):
        prelabel(db.uow, toolkit, actor=owner, project_id=project.id)


def test_zero_shot_then_supervised_versions_with_calibration(
    db: Database, toolkit: MemoToolkit
) -> None:
    ab = abt_buy_project(db, N_ITEMS, settings={"ai": CALIBRATION})
    first = prelabel(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    assert (first.version, first.kind, first.n_items, first.n_train) == (
        1,
        ModelKind.ZERO_SHOT,
        N_ITEMS,
        0,
    )
    assert first.calibration is None
    assert first.calibration_error is not None and "needed to calibrate" in first.calibration_error
    with db.uow().reading() as uow:
        zero = uow.ai.predictions(list(ab.gold))
    assert len(zero) == N_ITEMS
    assert all(abs(sum(p.probas.values()) - 1) < 1e-4 for p in zero.values())
    # Cosine of the listings alone is better than always answering the majority class.
    majority = max(list(ab.gold.values()).count(v) for v in ("same", "different")) / N_ITEMS
    assert ab.accuracy({i: p.value for i, p in zero.items()}) > majority
    with pytest.raises(CalibrationUnavailable, match=r"no threshold|needed to calibrate"):
        apply_auto_labels(db.uow, actor=ab.owner, project_id=ab.project.id)

    ab.replay(db)
    ab.aggregate(db)
    second = prelabel(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    assert (second.version, second.kind, second.n_train) == (2, ModelKind.SUPERVISED, N_ITEMS)
    assert second.holdout_accuracy is not None and second.holdout_accuracy > 0.7
    cal = second.calibration
    assert cal is not None and cal["threshold"] is not None, second.calibration_error
    assert cal["lower_bound"] >= 0.75 and cal["n_covered"] >= 14
    versions = list_versions(db.uow, actor=ab.owner, project_id=ab.project.id)
    assert [v.version for v in versions] == [2, 1]
    assert versions[0].params["coef"] and versions[0].threshold == cal["threshold"]
    assert versions[1].params == {}


def test_model_labels_take_a_slot_and_are_learned_like_a_worker(
    db: Database, toolkit: MemoToolkit
) -> None:
    ai = {**CALIBRATION, "model_labels": "annotate", "model_min_confidence": 0.6}
    ab = abt_buy_project(db, N_ITEMS, settings={"max_overlap": 3, "ai": ai})
    ab.replay(db, share=0.5)
    ab.aggregate(db)
    report = prelabel(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    assert (report.kind, report.n_train) == (ModelKind.SUPERVISED, N_ITEMS // 2)
    assert report.n_model_labels > 0
    with db.uow().reading() as uow:
        labels = uow.annotations.list_for_items(list(ab.gold))
        items = {it.id: it for it in uow.items.get_many(list(ab.gold))}
        project = uow.projects.get(ab.project.id)
    model_labels = [
        a for rows in labels.values() for a in rows if a.source is AnnotationSource.MODEL
    ]
    assert len(model_labels) == report.n_model_labels
    for a in model_labels:
        # Only open items get a model label, and it counts as one of their labels.
        assert items[a.item_id].n_labels == len(labels[a.item_id])
        assert items[a.item_id].n_labels <= 3
    assert project.counters.n_annotations == sum(len(v) for v in labels.values())
    # Items only the model labelled teach nothing about the model: not in the fit.
    model_id = str(model_labels[0].worker_id)
    ab.aggregate(db)
    with db.uow().reading() as uow:
        stored = uow.worker_models.get(ab.project.id)
    assert stored is not None and model_id not in [str(w) for w in stored[2]["worker_ids"]]
    # Once people label those items too, the next aggregation run learns the model worker's
    # confusion from its agreement with them, like anyone's.
    labelled = [a.item_id for a in model_labels][:10]
    actors = {w: make_actor(db.uow(), w, Role.WORKER) for w in ("h1", "h2")}
    answers = [
        replay.Answer(worker=w, item_id=i, value=ab.gold[i]) for w in actors for i in labelled
    ]
    replay.replay(
        db.uow, answers, replay.ReplaySetup(ab.project.id, actors), rng=np.random.default_rng(1)
    )
    ab.aggregate(db)
    with db.uow().reading() as uow:
        stored = uow.worker_models.get(ab.project.id)
    assert stored is not None and model_id in [str(w) for w in stored[2]["worker_ids"]]
    # A second run replaces the model's answers in place: never a second model label on an
    # item (items reopened in between, e.g. by the quality rules, may get their first one).
    again = prelabel(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    with db.uow().reading() as uow:
        after = uow.annotations.list_for_items(list(ab.gold))
    per_item = Counter(
        a.item_id for rows in after.values() for a in rows if a.source is AnnotationSource.MODEL
    )
    assert per_item and max(per_item.values()) == 1
    assert sum(per_item.values()) == len(model_labels) + again.n_model_labels


def test_auto_labels_spot_checks_and_revert(db: Database, toolkit: MemoToolkit) -> None:
    ai = {**CALIBRATION, "auto_label": True, "spot_check_rate": 0.3}
    ab = abt_buy_project(db, N_ITEMS, settings={"ai": ai})
    ab.replay(db)
    ab.aggregate(db)
    # The model auto-labels only items without a human label: add fresh, unlabelled pairs.
    fresh = abt_buy_project_extra(db, ab)
    report = prelabel(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    auto = report.auto
    assert auto is not None, report.calibration_error
    assert auto.n_applied + auto.n_spot_checks > 0
    with db.uow().reading() as uow:
        rows = uow.ai.auto_labels(ab.project.id, state=None)
        items = {it.id: it for it in uow.items.get_many([r.item_id for r in rows])}
        consensus = uow.consensus.get_many([r.item_id for r in rows])
        project = uow.projects.get(ab.project.id)
    assert {r.item_id for r in rows} <= set(fresh)
    for r in rows:
        assert r.confidence >= auto.threshold
        if r.state is AutoLabelState.APPLIED:
            assert items[r.item_id].status is ItemStatus.DONE
            assert consensus[r.item_id].method == f"auto/v{report.version}"
        else:
            assert items[r.item_id].status is ItemStatus.OPEN
    assert project.counters.n_done == N_ITEMS + auto.n_applied
    # Rerunning auto-labels nothing twice.
    rerun = apply_auto_labels(db.uow, actor=ab.owner, project_id=ab.project.id)
    assert rerun.n_applied == rerun.n_spot_checks == 0
    spot = [r for r in rows if r.state is AutoLabelState.SPOT_CHECK]
    assert spot  # the per-(item, version) draw is deterministic
    _humans_contradict(db, ab, [spot[0].item_id], [spot[0].value])
    # One wrong spot check is no evidence against 75%, but is against a raised 99% target.
    kept = apply_auto_labels(db.uow, actor=ab.owner, project_id=ab.project.id)
    assert not kept.spot_checks_failed and kept.n_check_correct == 0
    assert kept.n_checked == 1
    projects.update_settings(
        db.uow(),
        actor=ab.owner,
        project_id=ab.project.id,
        changes={"ai": {**ai, "target_accuracy": 0.99}},
    )
    failed = apply_auto_labels(db.uow, actor=ab.owner, project_id=ab.project.id)
    assert failed.spot_checks_failed and failed.threshold > auto.threshold
    with db.uow().reading() as uow:
        after = {r.item_id: r for r in uow.ai.auto_labels(ab.project.id, state=None)}
        reopened = uow.items.get_many(
            [i for i, r in after.items() if r.state is AutoLabelState.REVERTED]
        )
    assert failed.n_reverted == len(reopened)
    assert all(it.status is ItemStatus.OPEN for it in reopened)


def abt_buy_project_extra(db: Database, ab: AbtBuy) -> list[ItemId]:
    """Add the next 40 demo pairs, unlabelled, to the project; return their ids."""
    rows = demo_rows("abt_buy_pairs.jsonl")[N_ITEMS : N_ITEMS + 40]
    add_items(
        db.uow(),
        ab.project.id,
        [{"left": r["left"], "right": r["right"]} for r in rows],
        prefix="fresh",
    )
    with db.uow().reading() as uow:
        page = uow.items.page(ab.project.id, after_id=max(ab.gold), limit=100, status=None)
    return [it.id for it in page]


def _humans_contradict(db: Database, ab: AbtBuy, item_ids: list[ItemId], values: list[str]) -> None:
    """Three workers label every spot check with the opposite of the model's answer."""
    flip = {"same": "different", "different": "same"}
    actors = {w: make_actor(db.uow(), w, Role.WORKER) for w in ("check1", "check2", "check3")}
    answers = [
        replay.Answer(worker=w, item_id=i, value=flip[v])
        for w in actors
        for i, v in zip(item_ids, values, strict=True)
    ]
    replay.replay(
        db.uow,
        answers,
        replay.ReplaySetup(ab.project.id, actors),
        rng=np.random.default_rng(1),
    )


def test_automatic_review_flags_likely_wrong_consensus_with_a_reason(
    db: Database, toolkit: MemoToolkit
) -> None:
    ab = abt_buy_project(db, N_ITEMS, settings={"ai": CALIBRATION})
    ab.replay(db)
    ab.aggregate(db)
    report = prelabel(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    with db.uow().reading() as uow:
        preds = uow.ai.predictions(list(ab.gold))
        consensus = uow.consensus.get_many(list(ab.gold))
    # Training items keep their out-of-fold prediction: the stored predictions score what
    # the report's held-out accuracy says, not the in-sample fit.
    agree = np.mean([preds[i].value == consensus[i].value for i in ab.gold])
    assert agree == pytest.approx(report.holdout_accuracy, abs=1e-9)
    flagged = flag_label_issues(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    assert flagged.n_scored == N_ITEMS and 0 < flagged.n_flagged < N_ITEMS // 2
    ids = {f.item_id for f in flagged.flags}
    wrong = {i for i, g in ab.gold.items() if consensus[i].value != g}
    # Flagged items are more often wrong than the rest (on this sample 3/10 against 8/50).
    assert len(ids & wrong) / len(ids) > len(wrong - ids) / (N_ITEMS - len(ids))
    with db.uow().reading() as uow:
        items = uow.items.get_many(sorted(ids))
        stored = list_flags(db.uow, actor=ab.owner, project_id=ab.project.id)
        project = uow.projects.get(ab.project.id)
    assert all(it.status is ItemStatus.REVIEW for it in items)
    assert {f.item_id for f in stored} == ids
    assert all("cleanlab" in f.reason and f.value != f.suggested for f in stored)
    assert project.counters.n_review == len(ids)
    assert project.counters.n_done == N_ITEMS - len(ids)
    # Flagged items are in review now, so a second pass finds nothing new to send.
    again = flag_label_issues(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    assert again.n_scored == N_ITEMS - len(ids) and not ids & {f.item_id for f in again.flags}


def test_prelabel_sets_active_learning_priorities_of_fresh_items(
    db: Database, toolkit: MemoToolkit
) -> None:
    ab = abt_buy_project(db, N_ITEMS, settings={"assignment_policy": "uncertainty-first"})
    ab.replay(db, share=0.5)
    prelabel(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    with db.uow().reading() as uow:
        items = uow.items.get_many(list(ab.gold))
        preds = uow.ai.predictions(list(ab.gold))
    fresh = [it for it in items if it.n_labels == 0]
    assert fresh
    for it in fresh:
        p = np.clip(np.asarray(list(preds[it.id].probas.values())), 1e-12, 1)
        entropy = float(-(p * np.log(p)).sum() / np.log(2) / 2)
        assert it.priority == pytest.approx(entropy, abs=1e-4) or it.priority == pytest.approx(
            entropy + 0.1, abs=1e-4
        )
    assert sum(it.priority > 0.1 + 1e-9 for it in fresh) >= 1


def test_aggregation_queues_a_retrain_once_enough_items_are_newly_labelled(
    db: Database, toolkit: MemoToolkit
) -> None:
    ai = {**CALIBRATION, "model_labels": "annotate", "retrain_every": 31}
    ab = abt_buy_project(db, N_ITEMS, settings={"ai": ai})
    first = prelabel(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id)
    ab.replay(db, share=0.5)  # 30 items labelled by people: fewer than 31 new ones
    ab.aggregate(db)
    with db.uow().reading() as uow:
        assert uow.jobs.find_pending(kind=JobKind.PRELABEL, project_id=ab.project.id) is None
    projects.update_settings(
        db.uow(),
        actor=ab.owner,
        project_id=ab.project.id,
        changes={"ai": {**ai, "retrain_every": 30}},
    )
    ab.aggregate(db)  # now enough: the run queues one prelabel job, never two
    ab.aggregate(db)
    with db.uow().reading() as uow:
        job = uow.jobs.find_pending(kind=JobKind.PRELABEL, project_id=ab.project.id)
        project = uow.projects.get(ab.project.id)
    assert job is not None
    assert (job.payload["n_labelled"], job.payload["trained_on"]) == (30, 0)
    assert drain(db.uow, ai=toolkit) == 2  # the prelabel job and the quality snapshot
    versions = list_versions(db.uow, actor=ab.owner, project_id=ab.project.id)
    assert versions[0].version == first.version + 1
    assert versions[0].metrics["n_labelled"] == 30  # the model's own labels do not count
    ab.aggregate(db)  # nothing new since that version: no job
    with db.uow().reading() as uow:
        assert uow.jobs.find_pending(kind=JobKind.PRELABEL, project_id=ab.project.id) is None
        off = replace(project, settings=replace(project.settings, ai=CALIBRATION))
        # retrain_every 0 (the default): retraining is the requester's call.
        assert queue_retrain(uow, off, actor=ab.owner, n_labelled=10**6) is None
