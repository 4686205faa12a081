"""Per-process "not again before" marks for hot-path housekeeping.

Some work on the next-task path only needs doing now and then: sweeping a project's expired
leases (a lease overdue by a second more holds its slot a second longer), or looking for
honeypots a worker has already exhausted. At 16 workers that work ran on every request. A
:class:`Throttle` remembers, per key, the time before which the work is skipped.

Times are the unit of work's clock (``uow.now()``), so tests with a fake clock see the work
happen as soon as they move time forward. Keys should include the project's creation time as
well as its id: several databases in one process (tests, the replay simulator) reuse ids.
Marks are per process: with several server processes each keeps its own, which only means
the work is done a little more often. Thread-safe and bounded (oldest marks are dropped).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from datetime import datetime, timedelta

__all__ = ["Throttle"]


class Throttle:
    def __init__(self, every: timedelta, *, max_keys: int = 4096) -> None:
        self._every = every
        self._max_keys = max_keys
        self._until: dict[Hashable, datetime] = {}
        self._lock = threading.Lock()

    def due(self, key: Hashable, now: datetime) -> bool:
        """Whether the work for ``key`` is due at ``now``. Does not mark it done: call
        :meth:`hold` after doing it (or after finding it pointless)."""
        until = self._until.get(key)
        return until is None or now >= until or now < until - self._every

    def hold(self, key: Hashable, now: datetime) -> None:
        """Skip the work for ``key`` until ``now + every``."""
        with self._lock:
            if key not in self._until and len(self._until) >= self._max_keys:
                self._until.pop(next(iter(self._until)))
            self._until[key] = now + self._every
