"""The built-in task templates (a read-only registry)."""

from __future__ import annotations

from fastapi import APIRouter

from shoplabel.domain.templates import TEMPLATES
from shoplabel.web.deps import CurrentActor
from shoplabel.web.schemas.projects import TemplateRead

__all__ = ["router"]

router = APIRouter(tags=["templates"])


@router.get("/templates")
def list_templates(_actor: CurrentActor) -> list[TemplateRead]:
    """Every template, for any logged-in user (``custom`` takes any label schema)."""
    return [TemplateRead.from_domain(t) for t in TEMPLATES.values()]
