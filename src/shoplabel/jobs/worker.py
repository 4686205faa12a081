"""The background job worker: polls the outbox and runs one job at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from shoplabel.domain.ports import UnitOfWork
from shoplabel.services.ai_toolkit import AiToolkit
from shoplabel.services.jobs import run_next

__all__ = ["JobWorker", "drain"]

log = logging.getLogger(__name__)


def drain(
    uows: Callable[[], UnitOfWork], *, max_jobs: int = 1000, ai: AiToolkit | None = None
) -> int:
    """Run pending jobs until the queue is empty (CLI and tests); return how many ran."""
    ran = 0
    while ran < max_jobs and run_next(uows, ai=ai) is not None:
        ran += 1
    return ran


class JobWorker:
    """A daemon thread running jobs; started and stopped with the web app's lifespan."""

    def __init__(
        self,
        uows: Callable[[], UnitOfWork],
        *,
        poll_seconds: float,
        ai: AiToolkit | None = None,
    ) -> None:
        self._uows = uows
        self._ai = ai
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="shoplabel-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = run_next(self._uows, ai=self._ai)
            except Exception:
                # A bug in one job must not kill the worker; the job is already marked failed.
                log.exception("background job crashed")
                job = None
            if job is None:
                self._stop.wait(self._poll)
