"""Page fixtures: TestClient helpers that log in through the form, and a live server for the
browser tests (uvicorn in a thread on a free port, over a temporary SQLite data directory)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from shoplabel.bootstrap import Platform, build
from shoplabel.config import Settings
from shoplabel.domain.ids import ProjectId
from shoplabel.jobs.worker import drain
from shoplabel.web.app import create_app
from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def form_csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def page_login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the login form; return the session's CSRF token from the landing page."""
    token = form_csrf(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    landing = client.get(r.headers["location"])
    return form_csrf(landing.text)


def refresh_dashboard(
    client: TestClient, platform: Platform, project: ProjectId, csrf: str
) -> None:
    """Press the dashboard's refresh button and run the queued snapshot job."""
    r = client.post(
        f"/projects/{project}/dashboard/refresh", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert drain(platform.uow) >= 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class LiveServer:
    """The app served by uvicorn in a background thread."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(platform),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("browser-data")
    settings = Settings(
        data_dir=data_dir,
        run_jobs=True,
        job_poll_seconds=0.1,
        secret_key="browser-test-secret",
        # A fixed test-only data key, so that masked projects can be imported (privacy tests).
        data_keys="browser:" + "C" * 43 + "=",
    )
    platform = build(settings)
    server = LiveServer(platform)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        platform.dispose()
