"""The FastAPI application factory.

``create_app(platform)`` wires an already built :class:`~shoplabel.bootstrap.Platform`; nothing
happens at import. ``uvicorn --factory shoplabel.web.app:app_from_env`` builds the platform from
``SHOPLABEL_*`` environment variables (that is what ``shoplabel serve`` runs in each worker).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from shoplabel import __version__
from shoplabel.bootstrap import Platform, build
from shoplabel.config import Settings
from shoplabel.jobs.worker import JobWorker
from shoplabel.web.api import include_api
from shoplabel.web.errors import install_error_handlers
from shoplabel.web.pages import install_pages
from shoplabel.web.uploads import DeclaredSizeLimit
from shoplabel.web.urls import DOCS_URL, OPENAPI_URL

__all__ = ["app_from_env", "create_app"]


def _lifespan(
    platform: Platform, *, dispose: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if platform.settings.run_jobs:
            worker = JobWorker(
                platform.uow,
                poll_seconds=platform.settings.job_poll_seconds,
                keys=platform.privacy,
                pay_run_seconds=platform.settings.pay_run_seconds,
                schedule_seconds=platform.settings.schedule_seconds,
                ai=platform.ai,
            )
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if dispose:
                platform.dispose()

    return lifespan


def create_app(platform: Platform, *, dispose_on_shutdown: bool = False) -> FastAPI:
    """Build the web app on ``platform``.

    Args:
        platform: Settings, unit-of-work factory and secret (see :func:`shoplabel.bootstrap.build`).
        dispose_on_shutdown: Close the platform's connections when the app stops (set when the
            app owns the platform, as in :func:`app_from_env`).
    """
    app = FastAPI(
        title="ShopLabel",
        version=__version__,
        summary="AI-assisted crowdsourcing for e-commerce labels.",
        openapi_url=OPENAPI_URL,
        docs_url=DOCS_URL,
        swagger_ui_oauth2_redirect_url=f"{DOCS_URL}/oauth2-redirect",
        redoc_url=None,
        lifespan=_lifespan(platform, dispose=dispose_on_shutdown),
    )
    app.state.platform = platform
    install_error_handlers(app)
    app.add_middleware(DeclaredSizeLimit, max_mb=platform.settings.max_upload_mb)
    include_api(app)
    install_pages(app)
    return app


def app_from_env() -> FastAPI:
    """Uvicorn factory: ``Settings()`` from the environment, then :func:`create_app`."""
    return create_app(build(Settings()), dispose_on_shutdown=True)
