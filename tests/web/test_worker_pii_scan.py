"""No worker ever receives unmasked PII or gold: walk EVERY route of the app as a worker (and
as a restricted reviewer) and scan every response body for the seeded personal data.

The routes come from the app's own route table, so a route added later is walked without
editing this file; a route whose path parameter the walk cannot fill fails the test with the
name of the parameter to add. Unsafe methods are called with an empty body (a worker may
send anything), after the safe ones, and the log-out routes last.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shoplabel.dataprep.pii.sealing import Keyring
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.users import Actor, Role
from shoplabel.jobs.worker import drain
from shoplabel.services.privacy import PrivacyKeys
from shoplabel.web.app import create_app
from tests.conftest import Clock, Database
from tests.pii_seed import REVIEWS, leaks, reviews_csv
from tests.services.review_crowd import DYNAMIC
from tests.web.conftest import API, Api, build_platform
from tests.web.pages.conftest import page_login

KEYS = PrivacyKeys(Keyring.parse("k1:" + "A" * 43 + "="), b"scan-pii-key")
POLICY = {"fields": {"review": {"worker": "tag", "reviewer": "partial", "manager": "partial"}}}
RATING_GOLD = (4.3217, 1.2343, 2.7164, 3.0473, None, None)
GOLD_TEXT = tuple(str(g) for g in RATING_GOLD if g is not None)
EXAM = {"questions": 2, "pass_mark": 1.0, "max_attempts": 3, "cooldown_hours": 0}
_PARAM = re.compile(r"{(\w+)}")
_LOGOUT = ("/logout", "/auth/logout", "/login")


@pytest.fixture
def papi(db: Database, tmp_path: Path, clock: Clock) -> Iterator[Api]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    platform = replace(build_platform(db, data_dir, clock), privacy=KEYS)
    with TestClient(create_app(platform)) as client:
        yield Api(client=client, platform=platform, clock=clock, db=db)


def app_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, through nested included routers."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for r in routes:
            if hasattr(r, "original_router"):
                yield from walk(r.original_router.routes, prefix + r.include_context.prefix)
            elif getattr(r, "methods", None):  # Mounts (static files) have no methods
                yield from ((m, prefix + r.path) for m in sorted(r.methods) if m != "HEAD")

    return sorted(set(walk(app.routes, "")))


@dataclass
class Walker:
    """Calls routes as one user: bearer token for the API, session cookie for pages."""

    api: Api
    username: str
    pages: TestClient
    csrf: str
    user_id: int
    seen: list[tuple[str, str, int, str]] = field(default_factory=list)

    def call(self, method: str, url: str, **kw: Any) -> Any:
        if url.startswith(API):
            r = self.api.client.request(method, url, headers=self.api.auth(self.username), **kw)
        else:
            if method != "GET":
                kw = {"data": {"csrf_token": self.csrf}}
            r = self.pages.request(method, url, follow_redirects=True, **kw)
        self.seen.append((method, url, r.status_code, r.text))
        return r

    def walk(self, routes: list[tuple[str, str]], ctx: dict[str, Any]) -> None:
        safe = [r for r in routes if r[0] == "GET"]
        unsafe = [r for r in routes if r[0] != "GET" and not r[1].endswith(_LOGOUT)]
        for method, path in safe + unsafe:
            self.call(method, fill(path, ctx), **({} if method == "GET" else {"json": {}}))


def fill(path: str, ctx: dict[str, Any]) -> str:
    missing = [p for p in _PARAM.findall(path) if p not in ctx]
    assert not missing, f"route {path}: add a value for {missing} to the walk context"
    return _PARAM.sub(lambda m: str(ctx[m.group(1)]), path)


def walker(api: Api, username: str, role: Role) -> Walker:
    actor = api.user(username, role)
    pages = TestClient(api.client.app)
    return Walker(api, username, pages, page_login(pages, username), actor.user_id)


def _import(api: Api, owner: Actor, template: str, data: bytes, **kw: Any) -> tuple[ProjectId, int]:
    """A masked project filled through the import API; return (project id, job id)."""
    settings = {"privacy": POLICY, **kw.pop("settings", {})}
    project = api.project(owner, template=template, settings=settings, **kw)
    files = {"file": ("reviews.csv", data, "text/csv")}
    r = api.client.post(
        f"{API}/projects/{project.id}/imports", files=files, headers=api.auth("req")
    )
    assert r.status_code == 202, r.text
    assert drain(api.platform.uow, keys=KEYS) == 1
    job = api.client.get(f"{API}/jobs/{r.json()['id']}", headers=api.auth("req")).json()
    assert job["result"]["inserted"] == len(REVIEWS), job
    return project.id, int(r.json()["id"])


def _label_all(w: Walker, pid: int, value: Any) -> int | None:
    """Take and answer tasks until none is left; return the last lease id."""
    lease = None
    while (r := w.call("POST", f"{API}/projects/{pid}/tasks/next")).status_code == 200:
        lease = r.json()["lease_id"]
        body = {"value": value, "duration_ms": 3000}
        assert w.call("POST", f"{API}/tasks/{lease}/annotations", json=body).status_code == 201
    return lease


def _pass_exam(w: Walker, api: Api, pid: ProjectId) -> None:
    with api.uow().reading() as uow:
        gold = {int(i): g for i, g in uow.items.gold_labels(pid).items()}
    exam = w.call("POST", f"{API}/projects/{pid}/exam").json()
    while exam["question"] is not None:
        body = {"item_id": exam["question"]["item_id"], "value": gold[exam["question"]["item_id"]]}
        exam = w.call("POST", f"{API}/projects/{pid}/exam/answers", json=body).json()
    assert exam["status"] == "passed", exam


def _scan(seen: list[tuple[str, str, int, str]]) -> list[tuple[str, str, int, list[str]]]:
    gold = GOLD_TEXT
    bad = []
    for method, url, status, text in seen:
        found = leaks(text) + [g for g in gold if g in text]
        if found:
            bad.append((method, url, status, found))
    return bad


def test_no_worker_facing_route_sends_unmasked_pii_or_gold(papi: Api) -> None:
    api = papi
    owner = api.user("req", Role.REQUESTER)
    rating, rating_job = _import(
        api,
        owner,
        "custom",
        reviews_csv(gold=RATING_GOLD),
        schema={"kind": "rating", "min": 0, "max": 5},
        settings={"exam": EXAM, "gold_rate": 0.3},
    )
    sentiment, sentiment_job = _import(
        api, owner, "review_sentiment", reviews_csv(), settings=DYNAMIC
    )
    wk, rv = walker(api, "wk", Role.WORKER), walker(api, "rv", Role.REVIEWER)
    helpers = [walker(api, f"h{i}", Role.WORKER) for i in range(2)]
    routes = app_routes(api.client.app)  # type: ignore[arg-type]  # the FastAPI app
    assert len(routes) >= 60

    # Project 1 (rating, gold values that cannot occur by chance, exam on gold items).
    _pass_exam(wk, api, rating)
    task = wk.call("POST", f"{API}/projects/{rating}/tasks/next").json()
    ctx: dict[str, Any] = {
        "project_id": rating,
        "item_id": task["item_id"],
        "lease_id": task["lease_id"],
        "job_id": rating_job,
        "user_id": wk.user_id,
        "token_id": 999_999,
        "batch_id": 999_999,
        "group_id": 999_999,
        "model_id": 999_999,
        "code": "zh",
    }
    wk.walk(routes, ctx)
    _label_all(wk, rating, 3)
    wk.walk(routes, ctx)  # again, with every item labelled

    # Project 2 (dynamic overlap): disagreement sends items to review.
    lease = _label_all(wk, sentiment, "positive")
    _label_all(helpers[0], sentiment, "negative")
    _label_all(helpers[1], sentiment, "positive")
    with api.uow().reading() as uow:
        in_review = uow.items.page(sentiment, after_id=0, limit=10, status=ItemStatus.REVIEW)
    assert in_review, "the walk needs items in review"
    ctx2 = {**ctx, "project_id": sentiment, "item_id": in_review[0].id, "lease_id": lease}
    ctx2["job_id"] = sentiment_job
    wk.walk(routes, ctx2)
    rv.walk(routes, ctx2)
    rv.walk(routes, ctx)
    for w in (wk, rv):
        for method, path in routes:
            if path.endswith(_LOGOUT) and method != "GET":
                w.call(method, fill(path, ctx), **({"json": {}} if path.startswith(API) else {}))

    # Every route was walked, as a worker.
    called = {(m, u) for m, u, _, _ in wk.seen}
    unwalked = [(m, p) for m, p in routes if (m, fill(p, ctx)) not in called]
    assert not unwalked, f"routes the worker walk missed: {unwalked}"
    # Nothing leaked: no seeded PII and no gold, in any response to the worker or reviewer.
    bad = _scan(wk.seen + rv.seen + helpers[0].seen)
    assert bad == [], "\n".join(map(str, bad))
    # The walk saw masked data (it is not vacuous) ...
    worker_text = "\n".join(t for _, _, status, t in wk.seen if status == 200)
    for tag in ("[PHONE]", "[EMAIL]", "[ADDRESS]", "[NAME]", "[ID]", "[CARD]", "[IP]", "[URL]"):
        assert tag in worker_text, tag
    reviewer_text = "\n".join(t for _, u, s, t in rv.seen if s == 200 and "review" in u)
    assert "138****5678" in reviewer_text  # the reviewers' partial view
    # ... and the scanner finds raw values where they are allowed: an audited reveal.
    r = api.client.post(
        f"{API}/items/{in_review[0].id}/reveal",
        json={"reason": "scan check"},
        headers=api.auth("req"),
    )
    assert r.status_code == 200 and leaks(r.text)
    owner_items = api.client.get(f"{API}/projects/{rating}/items", headers=api.auth("req")).text
    assert all(g in owner_items for g in GOLD_TEXT)
