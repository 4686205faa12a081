"""A short-lived, bounded in-process cache of authenticated tokens.

Every API request authenticates its bearer or session secret; without a cache that is a read
transaction per request (two per next + submit cycle), a sizeable share of a request's cost.
A :class:`TokenCache` remembers which actor a token hash resolved to for ``ttl`` seconds.

Staleness is bounded and documented (docs/configuration.md, ``auth_cache_seconds``):

- In the process that revokes a token, logs out, or changes a user's role or status, every
  cache of that process is cleared at once (:func:`invalidate_all`), so the change applies to
  the next request.
- Other server processes (``--workers`` > 1) notice within ``ttl`` seconds; so does a token
  reaching its expiry time.

Only successful authentications are cached: unknown, revoked or expired tokens always reach
the database, so a cache never turns a failure into a success. A lookup that started before an
invalidation is not cached (generation check), so a revoke racing a request cannot leave the
revoked token cached.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable

from shoplabel.domain.users import Actor

__all__ = ["TokenCache", "generation", "invalidate_all"]

_LIVE: weakref.WeakSet[TokenCache] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()
_generation = 0


def generation() -> int:
    """Bumped by every :func:`invalidate_all`; read it before a database lookup and pass it
    to :meth:`TokenCache.put`."""
    return _generation


class TokenCache:
    """Token hash -> actor, for ``ttl`` seconds, at most ``max_entries`` (least recent out).

    Thread-safe. ``ttl <= 0`` disables caching.
    """

    def __init__(
        self,
        *,
        ttl: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, Actor]] = OrderedDict()
        with _LIVE_LOCK:
            _LIVE.add(self)

    def get(self, token_hash: str) -> Actor | None:
        """The cached actor for ``token_hash``, or ``None`` (unknown or stale)."""
        with self._lock:
            hit = self._entries.get(token_hash)
            if hit is None:
                return None
            if hit[0] <= self._clock():
                del self._entries[token_hash]
                return None
            self._entries.move_to_end(token_hash)
            return hit[1]

    def put(self, token_hash: str, actor: Actor, *, since: int) -> None:
        """Cache ``actor`` unless caching is off or an invalidation happened after the
        lookup began (``since`` is the :func:`generation` read before it)."""
        if self.ttl <= 0:
            return
        with self._lock:
            if since != _generation:
                return
            self._entries[token_hash] = (self._clock() + self.ttl, actor)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def invalidate_all() -> None:
    """Forget every cached token in this process (after a revoke, logout, role or status
    change: rare events, so clearing everything keeps the rule simple and safe)."""
    global _generation  # one process-wide counter, guarded by _LIVE_LOCK
    with _LIVE_LOCK:
        _generation += 1
        caches = list(_LIVE)
    for cache in caches:
        cache.clear()
