"""Worker pages: the projects they may label, and the annotate page.

The annotate page is a shell: its script asks the JSON API for the next task, submits and
skips there (same services, same checks) and draws each item without reloading the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.projects import Project
from shoplabel.services import dashboards, worker_pages
from shoplabel.web.deps import UowDep
from shoplabel.web.pages.common import PageUserDep, render
from shoplabel.web.security import CSRF_HEADER
from shoplabel.web.urls import API_PREFIX

__all__ = ["annotate_config", "router"]

router = APIRouter(include_in_schema=False)


def annotate_config(project: Project) -> dict[str, Any]:
    """What the annotate script needs: schema, hotkeys, instructions and API URLs (no gold)."""
    schema = project.schema
    return {
        "project_id": project.id,
        "kind": schema.kind.value,
        "labels": [o.to_dict() for o in schema.labels],
        "min": schema.min,
        "max": schema.max,
        "step": schema.step,
        "field": schema.field,
        "min_selected": schema.min_selected,
        "max_selected": schema.max_selected,
        "api": API_PREFIX,
        "csrf_header": CSRF_HEADER,
    }


@router.get("/home", response_class=HTMLResponse)
def worker_home(request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    rows = dashboards.worker_home(uow, actor=user.actor)
    return render(request, "worker/home.html", {"rows": rows}, user=user)


@router.get("/projects/{project_id}/annotate", response_class=HTMLResponse)
def annotate_page(
    project_id: ProjectId, request: Request, user: PageUserDep, uow: UowDep
) -> HTMLResponse:
    view = worker_pages.annotate_page(uow, actor=user.actor, project_id=project_id)
    project = view.project
    context = {"project": project, "config": annotate_config(project), "standing": view.standing}
    return render(request, "worker/annotate.html", context, user=user)
