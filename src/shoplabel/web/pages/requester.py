"""Requester pages: project list, create form, project page, import job, aggregation, dashboard.

Every handler calls one service that checks the role, so a worker opening one of these pages
gets the 403/404 error page from the service's own ``PermissionDenied`` / ``NotFound``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from shoplabel.domain.ids import JobId, ProjectId, UserId
from shoplabel.domain.jobs import Job
from shoplabel.domain.scheduling import POLICIES
from shoplabel.domain.templates import TEMPLATES
from shoplabel.domain.users import UserStatus
from shoplabel.errors import InvalidInput
from shoplabel.services import (
    aggregation,
    auth,
    dashboard_pages,
    dashboards,
    jobs,
    projects,
    quality_report,
)
from shoplabel.services.dashboards import CONFIDENCE_BINS
from shoplabel.web.api import imports as import_api
from shoplabel.web.deps import PlatformDep, UowDep
from shoplabel.web.pages.assets import PLOTLY_URL
from shoplabel.web.pages.common import CSRF_FIELD, PageUserDep, check_csrf, render
from shoplabel.web.urls import job_rejects_url

__all__ = ["ProjectForm", "ProjectFormIn", "router"]

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
EXPORT_FORMATS: Final = ("jsonl", "csv", "parquet")
#: Service error ``details.field`` -> the form field it is shown next to.
_FIELD_OF: Final = {
    "lease_ttl_seconds": "lease_ttl",
    "assignment_policy": "policy",
    "template": "template",
    "name": "name",
    "min_overlap": "min_overlap",
    "max_overlap": "max_overlap",
}


@dataclass(frozen=True, slots=True)
class ProjectForm:
    """The create-project form as typed, with the error shown next to each field."""

    template: str = "query_product_relevance"
    name: str = ""
    labels: str = ""
    instructions: str = ""
    max_overlap: str = "3"
    min_overlap: str = "1"
    lease_ttl: str = "600"
    policy: str = "round-robin"
    errors: dict[str, str] = field(default_factory=dict)


def _template_defaults() -> dict[str, dict[str, Any]]:
    return {
        key: {"schema": dict(t.schema), "instructions": t.instructions}
        for key, t in TEMPLATES.items()
    }


def _form_page(
    request: Request, user: Any, form: ProjectForm, *, status_code: int = 200
) -> HTMLResponse:
    context = {
        "form": form,
        "templates": TEMPLATES,
        "policies": POLICIES,
        "defaults": _template_defaults(),
    }
    return render(request, "requester/new.html", context, user=user, status_code=status_code)


@router.get("/projects", response_class=HTMLResponse)
def project_list(request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    rows = dashboards.managed_projects(uow, actor=user.actor)
    return render(request, "requester/projects.html", {"projects": rows}, user=user)


@router.get("/projects/new", response_class=HTMLResponse)
def new_project_page(request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    dashboards.managed_projects(uow, actor=user.actor, limit=1)  # the role check
    tpl = TEMPLATES["query_product_relevance"]
    form = ProjectForm(
        labels=json.dumps(dict(tpl.schema), ensure_ascii=False, indent=2),
        instructions=tpl.instructions,
    )
    return _form_page(request, user, form)


def _parse_form(form: ProjectForm) -> tuple[projects.ProjectSpec | None, dict[str, str]]:
    errors: dict[str, str] = {}
    schema: Any = None
    try:
        schema = json.loads(form.labels) if form.labels.strip() else None
    except ValueError:
        errors["labels"] = "new.bad_json"
    numbers: dict[str, int] = {}
    for name in ("max_overlap", "min_overlap", "lease_ttl"):
        raw = getattr(form, name).strip()
        if not raw.lstrip("-").isdigit():
            errors[name] = "new.bad_number"
        else:
            numbers[name] = int(raw)
    if errors:
        return None, errors
    spec = projects.ProjectSpec(
        name=form.name,
        template=form.template,
        schema=schema,
        instructions=form.instructions,
        settings={
            "max_overlap": numbers["max_overlap"],
            "min_overlap": numbers["min_overlap"],
            "lease_ttl_seconds": numbers["lease_ttl"],
            "assignment_policy": form.policy,
        },
    )
    return spec, {}


class ProjectFormIn(BaseModel):
    """The create-project form as posted; numbers stay strings so bad ones can be shown."""

    csrf_token: str = ""
    template: str = ""
    name: str = ""
    labels: str = ""
    instructions: str = ""
    max_overlap: str = ""
    min_overlap: str = ""
    lease_ttl: str = ""
    policy: str = ""


@router.post("/projects/new", response_model=None)
def create_project_submit(
    request: Request,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    posted: Annotated[ProjectFormIn, Form()],
) -> Response:
    """Create the project and answer 303 to its page, or show the form with field errors."""
    check_csrf(platform.secret, user, posted.csrf_token)
    form = ProjectForm(**posted.model_dump(exclude={"csrf_token"}))
    spec, errors = _parse_form(form)
    if spec is None:
        return _form_page(request, user, replace(form, errors=errors), status_code=422)
    try:
        project = projects.create_project(uow, spec, actor=user.actor)
    except InvalidInput as e:
        target = _FIELD_OF.get(str(e.details.get("field", "")), "labels")
        bad = replace(form, errors={target: e.message})
        return _form_page(request, user, bad, status_code=422)
    return RedirectResponse(f"/projects/{project.id}", status_code=303)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(
    project_id: ProjectId, request: Request, user: PageUserDep, uow: UowDep
) -> HTMLResponse:
    project = dashboards.managed_project(uow, actor=user.actor, project_id=project_id)
    summary = dict(request.query_params) if "method" in request.query_params else None
    context = {"project": project, "formats": EXPORT_FORMATS, "summary": summary}
    return render(request, "requester/project.html", context, user=user)


@router.post("/projects/{project_id}/import", response_class=RedirectResponse)
def import_submit(
    project_id: ProjectId,
    file: UploadFile,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    csrf: CsrfField = "",
) -> RedirectResponse:
    """Save the upload and queue the import (the JSON route's own code), then show the job."""
    check_csrf(platform.secret, user, csrf)
    job = import_api.create_import(
        project_id, file, user.actor, platform, uow, import_api.ImportQuery()
    )
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _job_errors(job: Job) -> list[dict[str, Any]]:
    raw = (job.result or {}).get("errors")
    return [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: JobId, request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    job = jobs.get_job(uow, actor=user.actor, job_id=job_id)
    context = {
        "job": job,
        "result": job.result or {},
        "errors": _job_errors(job),
        "rejects_url": job_rejects_url(job.id),
        "finished": job.status.value in ("done", "failed"),
    }
    return render(request, "requester/job.html", context, user=user)


@router.post("/projects/{project_id}/aggregate", response_class=RedirectResponse)
def aggregate_submit(
    project_id: ProjectId, user: PageUserDep, platform: PlatformDep, csrf: CsrfField = ""
) -> RedirectResponse:
    """Run aggregation now; the summary is shown on the project page the 303 leads to."""
    check_csrf(platform.secret, user, csrf)
    s = aggregation.aggregate(
        platform.uow, actor=user.actor, project_id=project_id, trainer=platform.trainer
    )
    query = {
        "method": s.method,
        "items": s.n_items,
        "labels": s.n_labels,
        "workers": s.n_workers,
        "accuracy": "" if s.accuracy_on_gold is None else f"{s.accuracy_on_gold:.3f}",
    }
    return RedirectResponse(f"/projects/{project_id}?{urlencode(query)}", status_code=303)


def _quality_charts(report: quality_report.QualityReport) -> dict[str, Any]:
    """The quality plots' data: counts and per-worker numbers (at most the report's cap)."""
    return {
        "per_item": [[n_labels, n_items] for n_labels, n_items in report.labels_per_item],
        "gold": [w.gold_accuracy for w in report.workers if w.gold_accuracy is not None],
        "consensus": [
            w.consensus_accuracy for w in report.workers if w.consensus_accuracy is not None
        ],
        "cost": [
            [p.cum_labels / p.cum_items, p.cum_mean_confidence, p.n_labels]
            for p in report.cost_curve
        ],
    }


@router.get("/projects/{project_id}/dashboard", response_class=HTMLResponse)
def dashboard_page(
    project_id: ProjectId, request: Request, user: PageUserDep, uow: UowDep
) -> HTMLResponse:
    page = dashboard_pages.dashboard_page(uow, actor=user.actor, project_id=project_id)
    view, report = page.dashboard, page.report
    c = view.project.counters
    charts = {
        "progress": {"done": c.n_done, "open": c.n_open, "review": c.n_review},
        "labels": [[label, n] for label, n in view.label_counts],
        "confidence": {
            "edges": [i / CONFIDENCE_BINS for i in range(CONFIDENCE_BINS + 1)],
            "counts": list(view.confidence_bins),
        },
        **_quality_charts(report),
    }
    context = {
        "view": view,
        "report": report,
        "charts": charts,
        "plotly_url": PLOTLY_URL,
    }
    return render(request, "requester/dashboard.html", context, user=user)


@router.post("/projects/{project_id}/workers/{user_id}/status", response_class=RedirectResponse)
def worker_status_submit(
    project_id: ProjectId,
    user_id: UserId,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    status: Annotated[UserStatus, Form()],
    csrf: CsrfField = "",
) -> RedirectResponse:
    """Suspend, ban or reactivate a worker's account (platform-wide; admins only)."""
    check_csrf(platform.secret, user, csrf)
    auth.set_status(uow, actor=user.actor, user_id=user_id, status=status)
    return RedirectResponse(f"/projects/{project_id}/dashboard#workers", status_code=303)
