"""App-level behaviour: health, OpenAPI, the error envelope for unknown routes and bad JSON."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shoplabel import __version__
from shoplabel.domain.projects import ProjectSettings
from shoplabel.domain.users import Role
from shoplabel.errors import InvalidInput, NotFound, StorageBusy
from shoplabel.web.app import app_from_env
from shoplabel.web.errors import STATUS, UploadTooLarge, status_for
from shoplabel.web.schemas.projects import ProjectSettingsUpdate
from shoplabel.web.urls import API_PREFIX, DOCS_URL, OPENAPI_URL
from tests.web.conftest import API, SECRET, Api, error_code


def test_health_needs_no_auth_and_reveals_no_secrets(api: Api) -> None:
    r = api.client.get(f"{API}/health")
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "status": "ok",
        "version": __version__,
        "database": "sqlite" if api.db.kind == "sqlite" else "postgresql",
    }
    text = r.text
    assert SECRET not in text
    assert "://" not in text
    assert str(api.platform.settings.data_dir) not in text


def test_openapi_loads_and_every_route_is_versioned(api: Api) -> None:
    r = api.client.get(OPENAPI_URL)
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert len(paths) >= 20
    assert all(p.startswith(f"{API_PREFIX}/") for p in paths)
    # Routes outside the schema (the docs pages) must still live under /api.
    for route in api.client.app.routes:  # type: ignore[attr-defined]  # Starlette app
        path = getattr(route, "path", None)  # included routers have none: their routes
        if path is not None:  # are the OpenAPI paths checked above
            assert path.startswith((f"{API_PREFIX}/", DOCS_URL)), path
    assert api.client.get(DOCS_URL).status_code == 200


def test_unknown_route_and_method_use_the_envelope(api: Api) -> None:
    r = api.client.get(f"{API}/nope")
    assert (r.status_code, error_code(r)) == (404, "not_found")
    r = api.client.put(f"{API}/health")
    assert (r.status_code, error_code(r)) == (405, "method_not_allowed")
    assert "GET" in r.headers["allow"]


def test_malformed_json_is_invalid_request(api: Api) -> None:
    api.user("ann", Role.REQUESTER)
    headers = {**api.auth("ann"), "Content-Type": "application/json"}
    r = api.client.post(f"{API}/projects", content=b'{"name": ', headers=headers)
    assert (r.status_code, error_code(r)) == (422, "invalid_request")
    r = api.client.post(f"{API}/projects", json={"name": "x"}, headers=api.auth("ann"))
    assert (r.status_code, error_code(r)) == (422, "invalid_request")
    assert "body.template" in r.json()["error"]["details"]["fields"]
    r = api.client.get(f"{API}/projects?limit=0", headers=api.auth("ann"))
    assert (r.status_code, error_code(r)) == (422, "invalid_request")
    assert r.json()["error"]["details"]["fields"] == ["query.limit"]


def test_status_mapping_walks_the_class_tree() -> None:
    assert status_for(UploadTooLarge("big")) == 413
    assert status_for(InvalidInput("bad")) == 422
    assert status_for(NotFound("gone")) == 404
    assert status_for(StorageBusy("busy")) == 503
    assert ValueError not in STATUS


def test_lifespan_runs_the_job_worker_when_enabled(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    pid = api.project(owner).id
    files = {"file": ("pairs.csv", b"left.name,right.name\nA,B\n", "text/csv")}
    with api.with_settings(run_jobs=True, job_poll_seconds=0.05) as client:
        r = client.post(f"{API}/projects/{pid}/imports", files=files, headers=api.auth("req"))
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 20
        status = r.json()["status"]
        while status in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.05)
            job = client.get(f"{API}/jobs/{r.json()['id']}", headers=api.auth("req")).json()
            status = job["status"]
    assert status == "done"


def test_app_from_env_builds_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHOPLABEL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOPLABEL_RUN_JOBS", "false")
    monkeypatch.delenv("SHOPLABEL_DATABASE_URL", raising=False)
    with TestClient(app_from_env()) as client:
        assert client.get(f"{API}/health").json()["database"] == "sqlite"
    assert (tmp_path / "shoplabel.db").exists()


def test_settings_update_accepts_every_project_setting() -> None:
    wanted = {f.name for f in dataclasses.fields(ProjectSettings)}
    assert set(ProjectSettingsUpdate.model_fields) == wanted
