"""``shoplabel serve``: the web app under Uvicorn."""

from __future__ import annotations

import os

import typer
import uvicorn

from shoplabel.cli.context import console, handle_errors, platform
from shoplabel.config import Settings

__all__ = ["serve", "serve_settings"]

_WORKER_STARTUP_SECONDS = 120


def serve_settings(settings: Settings, *, workers: int) -> None:
    """Migrate once, then run Uvicorn; each worker process builds its app from the env."""
    p = platform(settings)
    p.dispose()
    # Worker processes read Settings from the environment, so pass what the CLI decided.
    os.environ["SHOPLABEL_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        os.environ["SHOPLABEL_DATABASE_URL"] = settings.database_url
    console.print(f"ShopLabel on http://{settings.host}:{settings.port}  (API docs: /api/docs)")
    uvicorn.run(
        "shoplabel.web.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # Each worker process imports the app (numpy, scipy, scikit-learn) before it answers
        # the supervisor's health check; on a loaded machine that takes well over uvicorn's
        # default 5 s, and the supervisor then kills and respawns workers forever.
        timeout_worker_healthcheck=_WORKER_STARTUP_SECONDS,
    )


@handle_errors
def serve(
    host: str | None = typer.Option(None, help="Bind address (default $SHOPLABEL_HOST)."),
    port: int | None = typer.Option(None, help="Port (default $SHOPLABEL_PORT)."),
    workers: int | None = typer.Option(None, help="Worker processes ($SHOPLABEL_WORKERS)."),
) -> None:
    """Serve the web UI and the JSON API."""
    base = Settings()
    settings = base.model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    serve_settings(settings, workers=workers or base.workers)
