"""``shoplabel embed``, ``prelabel``, ``autolabel`` and ``models``: the AI runs of a project
(the same service calls the background jobs make), with Rich progress bars."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

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
from shoplabel.ml.llm import LlmClient, LlmOptions
from shoplabel.services.auto_review import flag_label_issues
from shoplabel.services.autolabel import apply_auto_labels
from shoplabel.services.embeddings import embed_project
from shoplabel.services.llm_labelling import llm_label
from shoplabel.services.prelabel import list_versions, prelabel

__all__ = [
    "autolabel_project",
    "autoreview_project",
    "embed_items",
    "list_models",
    "llm_label_project",
    "prelabel_project",
]


@handle_errors
def embed_items(project_id: int, as_user: str | None = AS_USER) -> None:
    """Embed PROJECT_ID's items with its embedder (cached texts are skipped)."""
    p = platform()
    actor = operator(p, as_user)
    ai = ai_toolkit(p)
    report = with_progress(
        "embedding",
        lambda progress: embed_project(
            p.uow, ai.embedder, actor=actor, project_id=ProjectId(project_id), progress=progress
        ),
    )
    console.print_json(json.dumps(report.to_dict()))


@handle_errors
def prelabel_project(project_id: int, as_user: str | None = AS_USER) -> None:
    """Train (or zero-shot) a new model version of PROJECT_ID, calibrate it and pre-label
    every item; auto-labels too when the project's ai.auto_label is on."""
    p = platform()
    actor = operator(p, as_user)
    ai = ai_toolkit(p)
    report = with_progress(
        "pre-labelling",
        lambda progress: prelabel(
            p.uow, ai, actor=actor, project_id=ProjectId(project_id), progress=progress
        ),
    )
    console.print_json(json.dumps(report.to_dict()))


@handle_errors
def autolabel_project(project_id: int, as_user: str | None = AS_USER) -> None:
    """Auto-label PROJECT_ID's items above the latest calibrated threshold; score the spot
    checks first."""
    p = platform()
    report = apply_auto_labels(p.uow, actor=operator(p, as_user), project_id=ProjectId(project_id))
    console.print_json(json.dumps(report.to_dict()))


@handle_errors
def list_models(project_id: int, as_user: str | None = AS_USER) -> None:
    """List PROJECT_ID's model versions, newest first."""
    p = platform()
    versions = list_versions(p.uow, actor=operator(p, as_user), project_id=ProjectId(project_id))
    table = Table("version", "kind", "embedder", "trained on", "holdout acc.", "threshold", "at")
    for v in versions:
        acc = v.metrics.get("holdout_accuracy")
        table.add_row(
            str(v.version),
            v.kind.value,
            v.embedder,
            str(v.metrics.get("n_train", 0)),
            "-" if acc is None else f"{acc:.3f}",
            "-" if v.threshold is None else f"{v.threshold:.4f}",
            v.created_at.isoformat(timespec="seconds"),
        )
    console.print(table)


@handle_errors
def llm_label_project(
    project_id: int,
    base_url: str = typer.Option(..., help="OpenAI-compatible endpoint, e.g. http://host/v1."),
    model: str = typer.Option(..., help="Model name the endpoint serves."),
    api_key_env: str = typer.Option(
        "SHOPLABEL_LLM_API_KEY", help="Environment variable holding the API key (if any)."
    ),
    limit: int = typer.Option(100, min=1, max=100_000, help="Open items to ask about."),
    examples: int = typer.Option(3, min=0, max=20, help="Gold items shown as examples."),
    timeout: float = typer.Option(30.0, min=1.0, help="Seconds per request."),
    rpm: float = typer.Option(60.0, min=0.1, help="Requests per minute at most."),
    as_user: str | None = AS_USER,
) -> None:
    """Label up to LIMIT open items of PROJECT_ID with an LLM, as the project's LLM worker.

    The key is read from the environment variable named by --api-key-env; neither the key
    nor the URL is printed or logged.
    """
    p = platform()
    options = LlmOptions(
        base_url=base_url,
        model=model,
        api_key=os.environ.get(api_key_env) or None,
        timeout_seconds=timeout,
        requests_per_minute=rpm,
    )
    client = LlmClient(options)
    try:
        report = llm_label(
            p.uow,
            client,
            actor=operator(p, as_user),
            project_id=ProjectId(project_id),
            limit=limit,
            n_examples=examples,
        )
    finally:
        client.close()
    console.print_json(json.dumps({**report.to_dict(), **asdict(client.usage)}))


@handle_errors
def autoreview_project(
    project_id: int,
    max_flags: int = typer.Option(1000, min=1, help="Send at most this many items to review."),
    as_user: str | None = AS_USER,
) -> None:
    """Send PROJECT_ID's likely wrong consensus labels to review (cleanlab), with reasons."""
    p = platform()
    report = flag_label_issues(
        p.uow,
        ai_toolkit(p),
        actor=operator(p, as_user),
        project_id=ProjectId(project_id),
        max_flags=max_flags,
    )
    console.print_json(json.dumps(report.to_dict()))
