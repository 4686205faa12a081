"""The requester's data-quality page: reads the stored report, never scans items itself.

"Recompute" queues the report job and "Find duplicates" the cleaning job; both answer 303 to
the job page, which shows progress.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoplabel.domain.ids import ProjectId
from shoplabel.services import data_report, dedup
from shoplabel.web.deps import PlatformDep, UowDep
from shoplabel.web.pages.assets import PLOTLY_URL
from shoplabel.web.pages.common import CSRF_FIELD, PageUserDep, check_csrf, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]


def _charts(report: dict[str, Any]) -> dict[str, Any]:
    """Plot data: plain lists the page's script draws with plotly."""
    return {
        "missing": [
            [m["field"], m["n_missing"]] for m in report.get("missing", []) if m["n_missing"]
        ],
        "duplicates": [
            [d["kind"], d["n_groups"], d["n_items"], d["n_conflicting"]]
            for d in report.get("duplicates", [])
        ],
        "flags": [[f"{f['code']}: {f['field']}", f["n_items"]] for f in report.get("flags", [])],
        "pii": sorted(report.get("pii", {}).get("by_kind", {}).items()),
        "labels": report.get("labels", {}).get("consensus", []),
    }


@router.get("/projects/{project_id}/data-quality", response_class=HTMLResponse)
def data_quality_page(
    project_id: ProjectId, request: Request, user: PageUserDep, uow: UowDep
) -> HTMLResponse:
    page = data_report.report_page(uow, actor=user.actor, project_id=project_id)
    report = dict(page.stored.report) if page.stored is not None else None
    context = {
        "project": page.project,
        "stored": page.stored,
        "report": report,
        "charts": _charts(report) if report is not None else {},
        "plotly_url": PLOTLY_URL,
    }
    return render(request, "requester/data_quality.html", context, user=user)


@router.post("/projects/{project_id}/data-quality/report", response_class=RedirectResponse)
def report_submit(
    project_id: ProjectId, user: PageUserDep, platform: PlatformDep, csrf: CsrfField = ""
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf)
    job = data_report.enqueue_report(platform.uow(), actor=user.actor, project_id=project_id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/projects/{project_id}/data-quality/dedup", response_class=RedirectResponse)
def dedup_submit(
    project_id: ProjectId, user: PageUserDep, platform: PlatformDep, csrf: CsrfField = ""
) -> RedirectResponse:
    check_csrf(platform.secret, user, csrf)
    job = dedup.enqueue_dedup(
        platform.uow(), actor=user.actor, project_id=project_id, options=dedup.DedupOptions()
    )
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
