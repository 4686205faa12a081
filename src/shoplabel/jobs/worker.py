"""The background job worker: polls the outbox and runs one job at a time."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from shoplabel.domain.ports import UnitOfWork
from shoplabel.services import pay_run, relabelling
from shoplabel.services.ai_toolkit import AiToolkit
from shoplabel.services.jobs import run_next
from shoplabel.services.privacy import PrivacyKeys

__all__ = ["JobWorker", "drain"]

log = logging.getLogger(__name__)


def drain(
    uows: Callable[[], UnitOfWork],
    *,
    max_jobs: int = 1000,
    keys: PrivacyKeys | None = None,
    ai: AiToolkit | None = None,
) -> int:
    """Run pending jobs until the queue is empty (CLI and tests); return how many ran."""
    ran = 0
    while ran < max_jobs and run_next(uows, keys=keys, ai=ai) is not None:
        ran += 1
    return ran


class JobWorker:
    """A daemon thread running jobs; started and stopped with the web app's lifespan."""

    def __init__(
        self,
        uows: Callable[[], UnitOfWork],
        *,
        poll_seconds: float,
        keys: PrivacyKeys | None = None,
        pay_run_seconds: float = 0.0,
        schedule_seconds: float = 0.0,
        ai: AiToolkit | None = None,
    ) -> None:
        self._uows = uows
        self._keys = keys
        self._ai = ai
        self._poll = poll_seconds
        self._pay_every = pay_run_seconds
        self._next_pay = time.monotonic() + pay_run_seconds
        self._schedule_every = schedule_seconds
        # The first check comes soon after start: a restart must not delay due samples.
        self._next_schedule = time.monotonic() + min(schedule_seconds, 5.0)
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
                job = run_next(self._uows, keys=self._keys, ai=self._ai)
            except Exception:
                # A bug in one job must not kill the worker; the job is already marked failed.
                log.exception("background job crashed")
                job = None
            if job is None:
                self._run_pay()
                self._run_schedule()
                self._stop.wait(self._poll)

    def _run_pay(self) -> None:
        """Seal the audit trail and accrue pay when idle, every ``pay_run_seconds``."""
        if self._pay_every <= 0 or time.monotonic() < self._next_pay:
            return
        self._next_pay = time.monotonic() + self._pay_every
        try:
            pay_run.run(self._uows)
        except Exception:
            # Retried at the next period; every step is idempotent.
            log.exception("pay run crashed")

    def _run_schedule(self) -> None:
        """Queue the projects' periodic jobs that are due, every ``schedule_seconds``."""
        if self._schedule_every <= 0 or time.monotonic() < self._next_schedule:
            return
        self._next_schedule = time.monotonic() + self._schedule_every
        try:
            relabelling.schedule_due(self._uows, now=datetime.now(UTC))
        except Exception:
            # Retried at the next period; a due project is queued then.
            log.exception("periodic job scheduling crashed")
