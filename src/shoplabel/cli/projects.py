"""``shoplabel project create|list|show``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from shoplabel.cli.context import AS_USER, console, handle_errors, operator, platform
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.projects import Project
from shoplabel.domain.templates import TEMPLATES
from shoplabel.errors import InvalidInput
from shoplabel.services import projects

__all__ = ["project_app"]

project_app = typer.Typer(help="Create and inspect projects.", no_args_is_help=True)


def _json_arg(text: str | None, what: str) -> dict[str, Any] | None:
    """Parse inline JSON or ``@file.json``."""
    if text is None:
        return None
    raw = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"--{what} is not valid JSON: {e}", details={"field": what}) from None
    if not isinstance(value, dict):
        raise InvalidInput(f"--{what} must be a JSON object", details={"field": what})
    return value


@project_app.command("create")
@handle_errors
def create(
    name: str = typer.Option(..., help="Project name."),
    template: str = typer.Option(..., help=f"One of: {', '.join(TEMPLATES)}."),
    schema: str | None = typer.Option(None, help="Label schema JSON, or @file.json."),
    settings: str | None = typer.Option(None, help="Settings JSON, or @file.json."),
    instructions: str | None = typer.Option(None, help="Override the template's text."),
    as_user: str | None = AS_USER,
) -> None:
    """Create a project from a template."""
    p = platform()
    spec = projects.ProjectSpec(
        name=name,
        template=template,
        schema=_json_arg(schema, "schema"),
        settings=_json_arg(settings, "settings"),
        instructions=instructions,
    )
    project = projects.create_project(p.uow(), spec, actor=operator(p, as_user))
    console.print(f"created project [bold]{project.id}[/] {project.name!r} ({project.template})")
    p.dispose()


@project_app.command("list")
@handle_errors
def list_(as_user: str | None = AS_USER) -> None:
    """List the projects you may see."""
    p = platform()
    table = Table("id", "name", "template", "items", "done", "labels")
    for pr in projects.list_projects(p.uow(), actor=operator(p, as_user), limit=1000):
        c = pr.counters
        table.add_row(
            str(pr.id), pr.name, pr.template, str(c.n_items), str(c.n_done), str(c.n_annotations)
        )
    console.print(table)
    p.dispose()


def _describe(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "template": project.template,
        "schema": project.schema.to_dict(),
        "settings": project.settings.to_dict(),
        "display_fields": list(project.display_fields),
        "counters": asdict(project.counters),
        "created_at": project.created_at.isoformat(),
    }


@project_app.command("show")
@handle_errors
def show(project_id: int, as_user: str | None = AS_USER) -> None:
    """Show a project's configuration and counters as JSON."""
    p = platform()
    project = projects.get_project(
        p.uow(), actor=operator(p, as_user), project_id=ProjectId(project_id)
    )
    console.print_json(data=_describe(project))
    p.dispose()
