"""Reveal routes and the privacy page over HTTP: roles, stable error codes, the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shoplabel.dataprep.pii.sealing import Keyring
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.users import Actor, Role
from shoplabel.jobs.worker import drain
from shoplabel.services import imports
from shoplabel.services.privacy import PrivacyKeys
from shoplabel.web.app import create_app
from tests.conftest import Clock, Database
from tests.pii_seed import REVIEWS, leaks, reviews_csv
from tests.web.conftest import API, Api, build_platform, error_code
from tests.web.pages.conftest import form_csrf, page_login

KEYS = PrivacyKeys(Keyring.parse("k1:" + "B" * 43 + "="), b"api-pii-key")
POLICY = {"fields": {"review": {"worker": "tag", "manager": "partial"}}}


@pytest.fixture
def papi(db: Database, tmp_path: Path, clock: Clock) -> Iterator[Api]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    platform = replace(build_platform(db, data_dir, clock), privacy=KEYS)
    with TestClient(create_app(platform)) as client:
        yield Api(client=client, platform=platform, clock=clock, db=db)


def _seeded(api: Api, tmp_path: Path) -> tuple[Actor, ProjectId, list[int]]:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner, template="review_sentiment", settings={"privacy": POLICY})
    src = tmp_path / "reviews.csv"
    src.write_bytes(reviews_csv())
    imports.import_file(api.platform.uow, src, actor=owner, project_id=project.id, keys=KEYS)
    items = api.client.get(f"{API}/projects/{project.id}/items", headers=api.auth("req")).json()
    return owner, project.id, [it["id"] for it in items["items"]]


def test_reveal_route_roles_codes_and_audit(papi: Api, tmp_path: Path) -> None:
    api = papi
    _, pid, ids = _seeded(api, tmp_path)
    api.user("wk", Role.WORKER)
    api.user("root", Role.ADMIN)
    api.user("bob", Role.REQUESTER)
    url = f"{API}/items/{ids[0]}/reveal"
    r = api.client.post(url, json={"reason": "refund dispute"}, headers=api.auth("req"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["originals"] == {"review": REVIEWS[0]} and body["item_id"] == ids[0]
    for name, status, code in (
        ("wk", 403, "permission_denied"),
        ("bob", 404, "project_not_found"),
    ):
        r = api.client.post(url, json={"reason": "x"}, headers=api.auth(name))
        assert (r.status_code, error_code(r)) == (status, code), name
        assert not leaks(r.text)
    r = api.client.post(url, json={"reason": ""}, headers=api.auth("root"))
    assert (r.status_code, error_code(r)) == (422, "invalid_input")
    r = api.client.post(url, json={}, headers=api.auth("root"))
    assert (r.status_code, error_code(r)) == (422, "invalid_request")
    r = api.client.post(url, json={"reason": "y", "fields": ["nope"]}, headers=api.auth("root"))
    assert (r.status_code, error_code(r)) == (404, "nothing_to_reveal")
    r = api.client.post(
        f"{API}/items/999999/reveal", json={"reason": "x"}, headers=api.auth("root")
    )
    assert (r.status_code, error_code(r)) == (404, "item_not_found")
    r = api.client.post(url, json={"reason": "audit"}, headers=api.auth("root"))
    assert r.status_code == 200
    # Without the key the server answers a stable 500 code and records nothing.
    keyless = api.with_settings()
    keyless.app.state.platform = replace(api.platform, privacy=PrivacyKeys.none())  # type: ignore[attr-defined]
    r = keyless.post(url, json={"reason": "x"}, headers=api.auth("req"))
    assert (r.status_code, error_code(r)) == (500, "data_key_unknown")
    audit = api.client.get(f"{API}/projects/{pid}/reveals", headers=api.auth("req")).json()
    assert [(a["actor_username"], a["reason"], a["fields"]) for a in audit["items"]] == [
        ("root", "audit", ["review"]),
        ("req", "refund dispute", ["review"]),
    ]
    assert not leaks(str(audit))
    page = api.client.get(f"{API}/projects/{pid}/reveals?limit=1", headers=api.auth("root")).json()
    assert page["next_before_id"] == page["items"][0]["id"]
    r = api.client.get(f"{API}/projects/{pid}/reveals", headers=api.auth("wk"))
    assert (r.status_code, error_code(r)) == (403, "permission_denied")


def test_privacy_page_reveals_with_a_reason_and_lists_the_audit(papi: Api, tmp_path: Path) -> None:
    api = papi
    _, pid, ids = _seeded(api, tmp_path)
    api.user("wk", Role.WORKER)
    owner = TestClient(api.client.app)
    csrf = page_login(owner, "req")
    page = owner.get(f"/projects/{pid}/privacy?item_id={ids[1]}")
    assert page.status_code == 200
    assert "收件人:王**" in page.text and not leaks(page.text)
    assert 'id="no-reveals"' in page.text
    form = {"item_id": str(ids[1]), "reason": "courier complaint", "csrf_token": "bad"}
    r = owner.post(f"/projects/{pid}/privacy/reveal", data=form)
    assert r.status_code == 403 and not leaks(r.text)
    r = owner.post(f"/projects/{pid}/privacy/reveal", data={**form, "csrf_token": csrf})
    assert r.status_code == 200
    assert REVIEWS[1] in r.text.replace("&#xff0c;", "，")
    assert "courier complaint" in r.text and 'id="reveal-audit"' in r.text
    again = owner.get(f"/projects/{pid}/privacy")
    assert "courier complaint" in again.text and not leaks(again.text)
    assert form_csrf(again.text) == csrf
    r = owner.get(f"/projects/{pid}/privacy?item_id=999999")
    assert r.status_code == 404
    worker = TestClient(api.client.app)
    page_login(worker, "wk")
    r = worker.get(f"/projects/{pid}/privacy?item_id={ids[1]}")
    assert r.status_code == 403 and not leaks(r.text)


def test_upload_into_a_masked_project_without_a_key_fails_and_stores_nothing(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner, template="review_sentiment", settings={"privacy": POLICY})
    files = {"file": ("reviews.csv", reviews_csv(), "text/csv")}
    r = api.client.post(
        f"{API}/projects/{project.id}/imports", files=files, headers=api.auth("req")
    )
    assert r.status_code == 202, r.text
    assert drain(api.platform.uow) == 1  # the platform of `api` has no data key
    job = api.client.get(f"{API}/jobs/{r.json()['id']}", headers=api.auth("req")).json()
    assert job["status"] == "failed" and job["error"].startswith("data_key_missing:")
    assert not leaks(str(job))
    shown = api.client.get(f"{API}/projects/{project.id}", headers=api.auth("req")).json()
    assert shown["counters"]["n_items"] == 0
    r = api.client.patch(
        f"{API}/projects/{project.id}/settings",
        json={"privacy": {"fields": {"review": {"worker": "blur"}}}},
        headers=api.auth("req"),
    )
    assert (r.status_code, error_code(r)) == (422, "invalid_settings")
    assert r.json()["error"]["details"] == {"field": "privacy"}
