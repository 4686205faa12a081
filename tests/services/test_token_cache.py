"""The authentication cache: bounded staleness, immediate invalidation in-process, no
cached failures (real SQLite and PostgreSQL underneath)."""

from __future__ import annotations

import pytest

from shoplabel.domain.ids import UserId
from shoplabel.domain.users import Actor, Role, UserStatus
from shoplabel.errors import AccountDisabled, AuthenticationFailed
from shoplabel.services import auth
from shoplabel.services.token_cache import TokenCache, generation, invalidate_all
from tests.conftest import Database
from tests.factories import make_actor


class Ticks:
    """A settable monotonic clock for cache expiry."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _revoke_behind_the_cache(db: Database, secret: str) -> None:
    """What another server process does: revoke straight in the database."""
    with db.uow() as uow:
        uow.tokens.revoke_hash(auth.token_hash(secret))
        uow.commit()


def test_cached_token_is_trusted_for_at_most_ttl(db: Database) -> None:
    alice = make_actor(db.uow(), "alice", Role.WORKER)
    secret = auth.create_token(db.uow(), actor=None, username="alice", name="t", days=None).secret
    ticks = Ticks()
    cache = TokenCache(ttl=5.0, clock=ticks)
    assert auth.authenticate(db.uow(), secret=secret, cache=cache) == alice
    _revoke_behind_the_cache(db, secret)
    ticks.now += 4.9
    assert auth.cached_actor(cache, secret=secret) == alice  # stale, but within the bound
    assert auth.authenticate(db.uow(), secret=secret, cache=cache) == alice
    ticks.now += 0.2
    assert auth.cached_actor(cache, secret=secret) is None
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(db.uow(), secret=secret, cache=cache)


def test_revoke_status_and_role_changes_apply_at_once(db: Database) -> None:
    admin = make_actor(db.uow(), "root", Role.ADMIN)
    bob = make_actor(db.uow(), "bob", Role.WORKER)
    cache = TokenCache(ttl=300.0)
    first = auth.create_token(db.uow(), actor=None, username="bob", name="a", days=None)
    second = auth.create_token(db.uow(), actor=None, username="bob", name="b", days=None)
    assert auth.authenticate(db.uow(), secret=first.secret, cache=cache) == bob
    auth.revoke_token(db.uow(), actor=bob, token_id=first.token.id)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(db.uow(), secret=first.secret, cache=cache)

    assert auth.authenticate(db.uow(), secret=second.secret, cache=cache).role is Role.WORKER
    auth.change_role(db.uow(), actor=admin, user_id=bob.user_id, role=Role.REVIEWER)
    assert auth.authenticate(db.uow(), secret=second.secret, cache=cache).role is Role.REVIEWER
    auth.set_status(db.uow(), actor=admin, user_id=bob.user_id, status=UserStatus.BANNED)
    with pytest.raises(AccountDisabled):
        auth.authenticate(db.uow(), secret=second.secret, cache=cache)


def test_logout_clears_the_cache(db: Database) -> None:
    make_actor(db.uow(), "cy", Role.WORKER)
    secret = auth.create_token(db.uow(), actor=None, username="cy", name="t", days=None).secret
    cache = TokenCache(ttl=300.0)
    auth.authenticate(db.uow(), secret=secret, cache=cache)
    auth.logout(db.uow(), secret=secret)
    assert len(cache) == 0
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(db.uow(), secret=secret, cache=cache)


def test_failures_are_never_cached(db: Database) -> None:
    cache = TokenCache(ttl=300.0)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            auth.authenticate(db.uow(), secret="slt_unknown", cache=cache)
    assert len(cache) == 0


def test_lookup_racing_an_invalidation_is_not_cached() -> None:
    cache = TokenCache(ttl=300.0)
    actor = Actor(user_id=UserId(1), username="dee", role=Role.WORKER)
    since = generation()
    invalidate_all()  # a revoke committed while the lookup was running
    cache.put("h", actor, since=since)
    assert cache.get("h") is None
    cache.put("h", actor, since=generation())
    assert cache.get("h") == actor


def test_cache_is_bounded_and_can_be_off() -> None:
    actor = Actor(user_id=UserId(1), username="eve", role=Role.WORKER)
    cache = TokenCache(ttl=300.0, max_entries=2)
    for key in ("a", "b"):
        cache.put(key, actor, since=generation())
    assert cache.get("a") == actor  # "b" is now the least recently used
    cache.put("c", actor, since=generation())
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (actor, None, actor)
    off = TokenCache(ttl=0)
    off.put("a", actor, since=generation())
    assert off.get("a") is None
