"""Training models on a project's labels and evaluating them (``shoplabel train``).

A run reads the labelled items once (:mod:`training_data`), trains a softmax head on the
frozen embeddings with the KL objective against the chosen label source (``ml.trainer``,
through the toolkit), scores it on the evaluation set (gold, or held-out consensus) and
registers it in **one** transaction at the end: a run that fails leaves the registry as it
was. :func:`compare` trains one head per label source on the same rows and evaluation set and
reports them side by side without registering anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np

from shoplabel.domain.ai import parse_ai_settings
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.labels import SchemaKind
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.training import LabelSource, ModelType, TrainedModel
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput, ModelUnavailable, SingleClass, TooFewLabels
from shoplabel.inference.evaluation import classifier_report, ndcg_at_k
from shoplabel.services.ai_toolkit import AiToolkit, Head
from shoplabel.services.embeddings import Progress, managed_project
from shoplabel.services.training_data import SOURCES, Dataset, read_dataset, snapshot_hash

__all__ = ["Comparison", "TrainOptions", "TrainReport", "compare", "parse_train_options", "train"]

#: Options passed through to the head trainer (``ml.trainer.TrainOptions``).
_TRAINER_FIELDS = ("max_epochs", "batch_size", "learning_rate", "l2", "val_share", "patience")
NDCG_K = 10


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """What ``shoplabel train`` and ``POST /projects/{id}/train`` accept (``docs/training.md``)."""

    model: ModelType = ModelType.HEAD
    labels: LabelSource = LabelSource.SOFT
    test_share: float = 0.3
    min_items: int = 20
    class_weights: bool = True
    seed: int = 0
    max_epochs: int = 200
    batch_size: int = 1024
    learning_rate: float = 0.01
    l2: float = 1e-4
    val_share: float = 0.1
    patience: int = 8

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["model"], out["labels"] = self.model.value, self.labels.value
        return out

    def trainer(self) -> dict[str, Any]:
        out = {f: getattr(self, f) for f in _TRAINER_FIELDS}
        return {**out, "class_weights": self.class_weights, "seed": self.seed}


_RANGES: dict[str, tuple[float, float]] = {
    "test_share": (0.05, 0.9),
    "min_items": (2, 10**7),
    "seed": (0, 2**31 - 1),
    "max_epochs": (1, 10_000),
    "batch_size": (1, 1_000_000),
    "learning_rate": (1e-6, 10.0),
    "l2": (0.0, 100.0),
    "val_share": (0.0, 0.5),
    "patience": (1, 1000),
}


def _bad(name: str, message: str) -> InvalidInput:
    return InvalidInput(f"training option '{name}' {message}", details={"field": name})


def _number(name: str, value: object, default: object) -> object:
    lo, hi = _RANGES[name]
    want_int = isinstance(default, int)
    ok_type = isinstance(value, int) if want_int else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or not lo <= float(value) <= hi:  # type: ignore[arg-type]
        kind = "an integer" if want_int else "a number"
        return _bad(name, f"must be {kind} in [{lo:g}, {hi:g}], got {value!r}")
    return value if want_int else float(value)  # type: ignore[arg-type]


def parse_train_options(raw: Mapping[str, Any] | None) -> TrainOptions:
    """Validate training options (``None`` gives the defaults).

    Raises:
        InvalidInput: an unknown option or a value out of range, naming the field.
    """
    raw = dict(raw or {})
    base = TrainOptions()
    known = {f.name for f in fields(TrainOptions)}
    for name in sorted(raw):
        if name not in known:
            raise _bad(name, f"is unknown; known: {sorted(known)}")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name in ("model", "labels"):
            enum = ModelType if name == "model" else LabelSource
            try:
                values[name] = enum(value)
            except ValueError:
                raise _bad(name, f"must be one of {[e.value for e in enum]}") from None
        elif name == "class_weights":
            if not isinstance(value, bool):
                raise _bad(name, "must be true or false")
            values[name] = value
        else:
            checked = _number(name, value, getattr(base, name))
            if isinstance(checked, InvalidInput):
                raise checked
            values[name] = checked
    return replace(base, **values)


@dataclass(frozen=True)
class TrainReport:
    model: TrainedModel
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_id": self.model.id,
            "version": self.model.version,
            "labels": self.model.label_source.value,
            "snapshot_hash": self.model.snapshot_hash,
            "metrics": dict(self.model.metrics),
            "seconds": round(self.seconds, 3),
        }


def _check_project(project: Project, options: TrainOptions) -> None:
    if not project.schema.is_categorical:
        raise InvalidInput(
            f"project {project.id} has a {project.schema.kind.value} schema; training supports "
            "single-choice labels",
            details={"field": "schema"},
        )
    if options.model is ModelType.FINETUNE:
        raise ModelUnavailable(
            "fine-tuning is not available in this version; train a head on frozen embeddings "
            "(--model head)",
            details={"field": "model"},
        )


def _rows(data: Dataset, source: LabelSource, options: TrainOptions) -> np.ndarray[Any, Any]:
    rows = data.train_rows(source)
    n = int(rows.sum())
    if n < options.min_items:
        raise TooFewLabels(
            f"{n} items have {source.value} labels outside the evaluation set; "
            f"{options.min_items} needed to train",
            details={"labels": source.value, "n": n, "min_items": options.min_items},
        )
    if len(np.unique(data.targets[source][rows].argmax(axis=1))) < 2:
        raise SingleClass(
            f"every {source.value} training label is the same class; need at least two",
            details={"labels": source.value},
        )
    return rows


def evaluate(project: Project, data: Dataset, head: Head) -> dict[str, Any]:
    """The head's scores on the evaluation rows (``n = 0`` when there are none)."""
    test = data.test
    probas = head.predict_proba(data.features[test])
    out = classifier_report(probas, data.reference[test]).to_dict(data.labels)
    out["evaluated_on"] = data.evaluated_on
    if project.schema.kind is SchemaKind.ORDINAL and project.template == "query_product_relevance":
        k = len(data.labels)
        grades = (k - 1 - data.reference[test]).astype(np.float64)
        scores = probas @ np.arange(k - 1, -1, -1, dtype=np.float64)
        queries = [q for q, t in zip(data.queries, test, strict=True) if t]
        per_query = ndcg_at_k(scores, grades, queries, k=NDCG_K)
        out[f"ndcg@{NDCG_K}"] = (
            round(float(np.mean(list(per_query.values()))), 4) if per_query else None
        )
        out["ndcg_per_query"] = {q: round(v, 4) for q, v in list(per_query.items())[:200]}
    return out


def _fit(
    toolkit: AiToolkit,
    data: Dataset,
    source: LabelSource,
    options: TrainOptions,
    progress: Progress | None,
) -> tuple[Head, dict[str, Any], str, int]:
    rows = _rows(data, source, options)
    fit = toolkit.train_head(
        data.features[rows],
        data.targets[source][rows],
        options=options.trainer(),
        progress=progress,
    )
    ids = [i for i, keep in zip(data.item_ids, rows, strict=True) if keep]
    curve = {"epochs": fit.epochs, "best_epoch": fit.best_epoch, "val_loss": fit.val_loss}
    return (
        fit.head,
        {**curve, "history": fit.history},
        snapshot_hash(source, ids, data.targets[source][rows]),
        int(rows.sum()),
    )


def train(
    uows: Callable[[], UnitOfWork],
    toolkit: AiToolkit,
    *,
    actor: Actor,
    project_id: ProjectId,
    options: TrainOptions,
    progress: Progress | None = None,
) -> TrainReport:
    """Train, evaluate and register one model (see the module docstring).

    Raises:
        TooFewLabels, SingleClass: not enough (distinct) labels; nothing is registered.
        ModelUnavailable: the embedder cannot be loaded, or fine-tuning was asked for.
    """
    start = time.perf_counter()
    project = managed_project(uows, actor, project_id)
    _check_project(project, options)
    embedder_name = parse_ai_settings(project.settings.ai).embedder
    data = read_dataset(
        uows,
        toolkit.embedder(embedder_name),
        project,
        test_share=options.test_share,
        seed=options.seed,
    )
    head, curve, digest, n_train = _fit(toolkit, data, options.labels, options, progress)
    metrics = {"evaluation": evaluate(project, data, head), "training": curve}
    params = {
        **options.to_dict(),
        "labels": list(data.labels),
        "label_source": options.labels.value,
        "template": project.template,
        "n_train": n_train,
        "n_test": int(data.test.sum()),
    }
    with uows() as uow:
        model = uow.training.add_model(
            project.id,
            model_type=options.model,
            label_source=options.labels,
            embedder=embedder_name,
            snapshot_hash=digest,
            params=params,
            weights=head.to_dict(),
            metrics=metrics,
            created_by=actor.user_id,
        )
        uow.commit()
    return TrainReport(model=model, seconds=time.perf_counter() - start)


@dataclass(frozen=True)
class Comparison:
    """One row per label source: its evaluation, or why it could not train."""

    evaluated_on: str
    n_test: int
    rows: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"evaluated_on": self.evaluated_on, "n_test": self.n_test, "sources": self.rows}


def compare(
    uows: Callable[[], UnitOfWork],
    toolkit: AiToolkit,
    *,
    actor: Actor,
    project_id: ProjectId,
    options: TrainOptions,
) -> Comparison:
    """Train on majority vote, consensus (hard), soft posteriors and gold; same evaluation set."""
    project = managed_project(uows, actor, project_id)
    _check_project(project, options)
    embedder = toolkit.embedder(parse_ai_settings(project.settings.ai).embedder)
    data = read_dataset(uows, embedder, project, test_share=options.test_share, seed=options.seed)
    rows: dict[str, dict[str, Any]] = {}
    for source in SOURCES:
        try:
            head, curve, _, n_train = _fit(toolkit, data, source, options, None)
        except (TooFewLabels, SingleClass) as e:
            rows[source.value] = {"error": e.code, "message": e.message}
            continue
        ev = evaluate(project, data, head)
        rows[source.value] = {"n_train": n_train, "best_epoch": curve["best_epoch"], **ev}
    return Comparison(evaluated_on=data.evaluated_on, n_test=int(data.test.sum()), rows=rows)
