"""The JSON API under ``/api/v1``: one router module per resource."""

from fastapi import APIRouter

from shoplabel.web.api import (
    accounts,
    ai,
    annotations,
    audit,
    auth,
    data_quality,
    exams,
    export,
    health,
    imports,
    items,
    jobs,
    pay,
    payouts,
    privacy,
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
    # Routes are matched in this order, one regex at a time: the labelling loop (next task,
    # submit) is by far the most frequent request, so its router comes first.
    for module in (
        tasks,
        auth,
        accounts,
        projects,
        templates,
        imports,
        jobs,
        exams,
        standing,
        items,
        annotations,
        review,
        quality,
        export,
        privacy,
        pay,
        payouts,
        audit,
        health,
        data_quality,
        ai,
        training,
    ):
        router.include_router(module.router)
    return router
