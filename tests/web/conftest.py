"""The ``api`` fixture: a TestClient on ``create_app`` over the real SQLite / PostgreSQL ``db``.

Users are created through the services; most tests then authenticate with API tokens issued by
the service (bearer headers), which costs no password hashing, and the auth tests log in for
real. The platform's units of work share one settable :class:`Clock` for lease expiry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from shoplabel.bootstrap import Platform
from shoplabel.config import Settings
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role
from shoplabel.services import auth
from shoplabel.web.app import create_app
from tests.conftest import Clock, Database
from tests.factories import PASSWORD, make_project

SECRET = "web-test-secret"
API = "/api/v1"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with production parameters costs ~0.3 s per hash on CI machines; the web tests
    check HTTP behaviour, not the hash strength (tests/services covers the real hasher)."""
    monkeypatch.setattr(
        auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@dataclass
class Api:
    """A client plus helpers to act as admin, requesters and workers."""

    client: TestClient
    platform: Platform
    clock: Clock
    db: Database
    _headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        return self.platform.uow()

    def user(self, username: str, role: Role) -> Actor:
        """Create a user through the service and remember a bearer token for them."""
        user = auth.create_user(
            self.uow(), actor=None, username=username, password=PASSWORD, role=role
        )
        issued = auth.create_token(self.uow(), actor=None, username=username, name="t", days=None)
        self._headers[username] = {"Authorization": f"Bearer {issued.secret}"}
        return Actor.of(user)

    def auth(self, username: str) -> dict[str, str]:
        """Bearer headers for a user made with :meth:`user`."""
        return self._headers[username]

    def project(self, owner: Actor, **kwargs: Any) -> Project:
        return make_project(self.uow(), owner, **kwargs)

    def login(self, username: str) -> dict[str, Any]:
        """Log in with the password (sets the session cookie on the client); return the body."""
        r = self.client.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def with_settings(self, **changes: Any) -> TestClient:
        """A second client on an app whose settings differ (same database and clock)."""
        settings = self.platform.settings.model_copy(update=changes)
        return TestClient(create_app(replace(self.platform, settings=settings)))


def build_platform(db: Database, data_dir: Path, clock: Clock) -> Platform:
    settings = Settings(data_dir=data_dir, database_url=db.url, run_jobs=False, secret_key=SECRET)

    def uow() -> UnitOfWork:
        return db.uow(clock)

    return Platform(settings=settings, uow=uow, secret=SECRET, dispose=lambda: None)


@pytest.fixture
def api(db: Database, tmp_path: Path, clock: Clock) -> Iterator[Api]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    platform = build_platform(db, data_dir, clock)
    with TestClient(create_app(platform)) as client:
        yield Api(client=client, platform=platform, clock=clock, db=db)


def error_code(response: Any) -> str:
    """The stable code of an error response (and a check of the envelope)."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    code: str = body["error"]["code"]
    return code
