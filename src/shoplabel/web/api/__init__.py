"""The JSON API under ``/api/v1``: one router module per resource."""

from fastapi import APIRouter

from shoplabel.web.api import (
    accounts,
    ai,
    annotations,
    auth,
    exams,
    export,
    health,
    imports,
    items,
    jobs,
    projects,
    quality,
    review,
    standing,
    tasks,
    templates,
    training,
)
from shoplabel.web.urls import API_PREFIX

__all__ = ["api_router"]


def api_router() -> APIRouter:
    """A new router holding every API route under :data:`API_PREFIX`."""
    router = APIRouter(prefix=API_PREFIX)
    for module in (
        auth,
        accounts,
        projects,
        templates,
        imports,
        jobs,
        exams,
        standing,
        tasks,
        items,
        annotations,
        review,
        quality,
        export,
        health,
        ai,
        training,
    ):
        router.include_router(module.router)
    return router
