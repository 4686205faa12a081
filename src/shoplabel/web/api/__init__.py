"""The JSON API under ``/api/v1``: one router module per resource."""

from fastapi import APIRouter, FastAPI

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

__all__ = ["API_ROUTERS", "include_api"]

# Routes are matched in this order, one regex at a time: the labelling loop (next task,
# submit) is by far the most frequent request, so its router comes first.
API_ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
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
    )
)


def include_api(app: FastAPI) -> None:
    """Every API route under :data:`API_PREFIX`, each module's router included in ``app``
    itself. Not through one ``/api/v1`` router that includes them: FastAPI (0.165) walks a
    nested router's whole include tree to check its version on every request, which cost
    about 50 calls per request before the route was even matched."""
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
