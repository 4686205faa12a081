"""Accounts, sessions and tokens through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from shoplabel.domain.users import Role, UserStatus
from shoplabel.errors import (
    AccountDisabled,
    AuthenticationFailed,
    InvalidInput,
    PermissionDenied,
    UserExists,
)
from shoplabel.services import auth
from tests.conftest import Clock, Database
from tests.factories import PASSWORD, make_actor


def test_login_sessions_tokens_and_refusals(db: Database, clock: Clock) -> None:
    admin = make_actor(db.uow(), "root", Role.ADMIN)
    alice = make_actor(db.uow(), "alice", Role.REQUESTER, can_login=True)
    session = auth.login(db.uow(clock), username="alice", password=PASSWORD, session_hours=1)
    assert auth.authenticate(db.uow(clock), secret=session.secret) == alice
    for name, pw in (("alice", "wrong password"), ("nobody", PASSWORD), ("root", PASSWORD)):
        with pytest.raises(AuthenticationFailed):  # same answer: unknown, wrong, no password
            auth.login(db.uow(clock), username=name, password=pw, session_hours=1)
    clock.advance(3601)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(db.uow(clock), secret=session.secret)

    token = auth.create_token(db.uow(), actor=alice, username="alice", name="ci", days=None)
    assert auth.authenticate(db.uow(), secret=token.secret).username == "alice"
    assert [t.name for t in auth.list_tokens(db.uow(), actor=alice)] == ["ci"]
    with pytest.raises(PermissionDenied):
        auth.create_token(db.uow(), actor=alice, username="root", name="x", days=1)
    auth.revoke_token(db.uow(), actor=alice, token_id=token.token.id)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(db.uow(), secret=token.secret)

    other = auth.create_token(db.uow(), actor=None, username="alice", name="b", days=1)
    auth.set_status(db.uow(), actor=admin, user_id=alice.user_id, status=UserStatus.SUSPENDED)
    with pytest.raises(AccountDisabled):
        auth.authenticate(db.uow(), secret=other.secret)
    with pytest.raises(AccountDisabled):
        auth.login(db.uow(), username="alice", password=PASSWORD, session_hours=1)


def test_account_rules(db: Database) -> None:
    admin = make_actor(db.uow(), "root", Role.ADMIN)
    worker = make_actor(db.uow(), "w1", Role.WORKER)
    with pytest.raises(UserExists):
        make_actor(db.uow(), "w1", Role.WORKER)
    with pytest.raises(InvalidInput):
        auth.create_user(db.uow(), actor=admin, username="x y", password=PASSWORD, role=Role.WORKER)
    with pytest.raises(InvalidInput):
        auth.create_user(
            db.uow(), actor=admin, username="short", password="short", role=Role.WORKER
        )
    with pytest.raises(PermissionDenied):
        auth.create_user(db.uow(), actor=worker, username="w2", password=PASSWORD, role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        auth.list_users(db.uow(), actor=worker, offset=0, limit=10)
    promoted = auth.change_role(db.uow(), actor=admin, user_id=worker.user_id, role=Role.REVIEWER)
    assert promoted.role is Role.REVIEWER
    assert [u.username for u in auth.list_users(db.uow(), actor=admin, offset=0, limit=10)] == [
        "root",
        "w1",
    ]
