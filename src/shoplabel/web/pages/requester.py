"""Requester pages: project list, create form, project page, import job, aggregation, dashboard.

Every handler calls one service that checks the role, so a worker opening one of these pages
gets the 403/404 error page from the service's own ``PermissionDenied`` / ``NotFound``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shoplabel.domain.ids import JobId, ProjectId, UserId
from shoplabel.domain.jobs import Job
from shoplabel.domain.projects import OverlapMode
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
    quality_snapshots,
)
from shoplabel.services.dashboards import CONFIDENCE_BINS
from shoplabel.services.quality_report import WorkerQuality
from shoplabel.services.quality_snapshots import QualitySnapshot
from shoplabel.web.api import imports as import_api
from shoplabel.web.deps import PlatformDep, UowDep
from shoplabel.web.pages.assets import PLOTLY_URL
from shoplabel.web.pages.common import CSRF_FIELD, PageUserDep, check_csrf, render
from shoplabel.web.pages.project_form import (
    ProjectForm,
    ProjectFormIn,
    default_form,
    error_field,
    parse_form,
    template_defaults,
)
from shoplabel.web.urls import job_rejects_url

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
EXPORT_FORMATS: Final = ("jsonl", "csv", "parquet")


def _form_page(
    request: Request, user: Any, form: ProjectForm, *, status_code: int = 200
) -> HTMLResponse:
    context = {
        "form": form,
        "templates": TEMPLATES,
        "policies": POLICIES,
        "overlap_modes": [m.value for m in OverlapMode],
        "defaults": template_defaults(),
    }
    return render(request, "requester/new.html", context, user=user, status_code=status_code)


@router.get("/projects", response_class=HTMLResponse)
def project_list(request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    rows = dashboards.managed_projects(uow, actor=user.actor)
    return render(request, "requester/projects.html", {"projects": rows}, user=user)


@router.get("/projects/new", response_class=HTMLResponse)
def new_project_page(request: Request, user: PageUserDep, uow: UowDep) -> HTMLResponse:
    dashboards.managed_projects(uow, actor=user.actor, limit=1)  # the role check
    return _form_page(request, user, default_form())


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
    form = posted.form()
    spec, errors = parse_form(form)
    if spec is None:
        return _form_page(request, user, replace(form, errors=errors), status_code=422)
    try:
        project = projects.create_project(uow, spec, actor=user.actor)
    except InvalidInput as e:
        bad = replace(form, errors={error_field(e.details.get("field")): e.message})
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


def _quality_charts(snapshot: QualitySnapshot | None) -> dict[str, Any]:
    """The stored report's plot data: counts and per-worker numbers (at most the report's cap)."""
    if snapshot is None:
        return {"labels": [], "per_item": [], "gold": [], "consensus": [], "cost": []}
    report = snapshot.report
    return {
        "labels": [[label, n] for label, n in snapshot.label_counts],
        "confidence": {
            "edges": [i / CONFIDENCE_BINS for i in range(CONFIDENCE_BINS + 1)],
            "counts": list(snapshot.confidence_bins),
        },
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


def _workers(page: dashboard_pages.DashboardPage) -> list[WorkerQuality]:
    """The snapshot's worker rows with their live standing."""
    if page.snapshot is None:
        return []
    return [
        replace(w, status=page.statuses.get(w.worker_id, w.status))
        for w in page.snapshot.report.workers
    ]


@router.get("/projects/{project_id}/dashboard", response_class=HTMLResponse)
def dashboard_page(
    project_id: ProjectId, request: Request, user: PageUserDep, uow: UowDep
) -> HTMLResponse:
    page = dashboard_pages.dashboard_page(uow, actor=user.actor, project_id=project_id)
    c = page.project.counters
    charts = {
        "progress": {"done": c.n_done, "open": c.n_open, "review": c.n_review},
        "activity": [[at.isoformat(), n] for at, n in page.activity],
        "bucket": page.bucket,
        **_quality_charts(page.snapshot),
    }
    job = request.query_params.get("job", "")
    context = {
        "project": page.project,
        "snapshot": page.snapshot,
        "report": page.snapshot.report if page.snapshot else None,
        "workers": _workers(page),
        "charts": charts,
        "plotly_url": PLOTLY_URL,
        "pending_job": page.pending_job or (int(job) if job.isdigit() else None),
        "feedback": page.feedback,
        "recent_feedback": page.recent_feedback,
    }
    return render(request, "requester/dashboard.html", context, user=user)


@router.post("/projects/{project_id}/dashboard/refresh", response_class=RedirectResponse)
def dashboard_refresh(
    project_id: ProjectId,
    user: PageUserDep,
    platform: PlatformDep,
    uow: UowDep,
    csrf: CsrfField = "",
) -> RedirectResponse:
    """Queue a quality snapshot job; the dashboard polls it and reloads when it is done."""
    check_csrf(platform.secret, user, csrf)
    job = quality_snapshots.enqueue_refresh(uow, actor=user.actor, project_id=project_id)
    return RedirectResponse(f"/projects/{project_id}/dashboard?job={job.id}", status_code=303)


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
