"""Page routes through TestClient: login flow, role checks, CSRF rejection and 303 flows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shoplabel.domain.users import Role, UserStatus
from shoplabel.jobs.worker import drain
from shoplabel.services import assignment, auth, submissions
from shoplabel.web.i18n import MESSAGES
from shoplabel.web.pages import PAGE_MODULES
from shoplabel.web.security import SESSION_COOKIE
from tests.factories import add_items, matching_payload
from tests.web.conftest import Api
from tests.web.pages.conftest import form_csrf, page_login


def test_every_message_key_exists_in_both_languages() -> None:
    en, zh = set(MESSAGES["en"]), set(MESSAGES["zh-CN"])
    assert en - zh == set(), "missing in zh-CN"
    assert zh - en == set(), "missing in en"
    assert all(v.strip() for lang in MESSAGES.values() for v in lang.values())


def test_root_redirects_to_login_then_home_by_role(api: Api) -> None:
    r = api.client.get("/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    api.user("req", Role.REQUESTER)
    page_login(api.client, "req")
    r = api.client.get("/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/projects")


def test_login_sets_httponly_lax_cookie_and_shows_field_errors(api: Api) -> None:
    api.user("wanda", Role.WORKER)
    token = form_csrf(api.client.get("/login").text)
    bad = api.client.post(
        "/login", data={"username": "wanda", "password": "nope-nope", "csrf_token": token}
    )
    assert bad.status_code == 401
    assert 'id="password-error"' in bad.text
    assert MESSAGES["en"]["login.failed"] in bad.text
    ok = api.client.post(
        "/login",
        data={"username": "wanda", "password": "correct horse battery", "csrf_token": token},
        follow_redirects=False,
    )
    assert (ok.status_code, ok.headers["location"]) == (303, "/home")
    cookie = next(h for h in ok.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_login_without_csrf_is_rejected(api: Api) -> None:
    api.user("wanda", Role.WORKER)
    api.client.get("/login")
    r = api.client.post("/login", data={"username": "wanda", "password": "x"})
    assert r.status_code == 403
    assert MESSAGES["en"]["error.csrf"] in r.text


def test_pages_need_a_session(api: Api) -> None:
    r = api.client.get("/projects", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_worker_cannot_open_requester_or_admin_pages(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner)
    api.user("wanda", Role.WORKER)
    page_login(api.client, "wanda")
    for path in ("/projects", "/projects/new", f"/projects/{project.id}/dashboard", "/admin/users"):
        r = api.client.get(path)
        assert r.status_code in (403, 404), path
        assert "<html" in r.text
    assert api.client.get(f"/projects/{project.id}").status_code in (403, 404)


def test_form_posts_without_csrf_are_rejected(api: Api) -> None:
    api.user("req", Role.REQUESTER)
    page_login(api.client, "req")
    r = api.client.post("/projects/new", data={"name": "x", "template": "product_matching"})
    assert r.status_code == 403
    r = api.client.post("/logout", data={"csrf_token": "forged"})
    assert r.status_code == 403


def test_create_project_form_303_and_field_errors(api: Api) -> None:
    api.user("req", Role.REQUESTER)
    csrf = page_login(api.client, "req")
    form = {
        "csrf_token": csrf,
        "template": "product_matching",
        "name": "Match",
        "labels": "{not json",
        "instructions": "",
        "max_overlap": "3",
        "min_overlap": "1",
        "lease_ttl": "600",
        "policy": "round-robin",
    }
    bad = api.client.post("/projects/new", data=form)
    assert bad.status_code == 422
    assert 'id="labels-error"' in bad.text
    bad = api.client.post("/projects/new", data={**form, "labels": "", "min_overlap": "5"})
    assert bad.status_code == 422
    assert 'id="min_overlap-error"' in bad.text
    ok = api.client.post("/projects/new", data={**form, "labels": ""}, follow_redirects=False)
    assert ok.status_code == 303
    page = api.client.get(ok.headers["location"])
    assert page.status_code == 200
    assert "Match" in page.text


def test_worker_home_lists_projects_with_own_counts(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner)
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(3)])
    api.user("wanda", Role.WORKER)
    page_login(api.client, "wanda")
    home = api.client.get("/home")
    assert home.status_code == 200
    assert project.name in home.text
    assert f"/projects/{project.id}/annotate" in home.text
    annotate = api.client.get(f"/projects/{project.id}/annotate")
    assert annotate.status_code == 200
    assert '"kind": "categorical"' in annotate.text


def test_admin_changes_role_and_suspends(api: Api) -> None:
    api.user("root", Role.ADMIN)
    worker = api.user("wanda", Role.WORKER)
    csrf = page_login(api.client, "root")
    r = api.client.post(
        f"/admin/users/{worker.user_id}/role",
        data={"csrf_token": csrf, "role": "reviewer"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = api.client.post(
        f"/admin/users/{worker.user_id}/status",
        data={"csrf_token": csrf, "status": "suspended"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    admin = auth.actor_for(api.uow(), username="root")
    users = {u.username: u for u in auth.list_users(api.uow(), actor=admin, offset=0, limit=10)}
    assert users["wanda"].role is Role.REVIEWER
    assert users["wanda"].status is UserStatus.SUSPENDED


def test_language_follows_cookie_and_accept_language(api: Api) -> None:
    zh = api.client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert MESSAGES["zh-CN"]["login.title"] in zh.text
    r = api.client.get("/lang/en?next=/login", follow_redirects=False)
    assert r.status_code == 303
    api.client.cookies.set("lang", "en")
    en = api.client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert MESSAGES["en"]["login.title"] in en.text


def test_plotly_is_served_from_the_installed_package(api: Api) -> None:
    r = api.client.get("/assets/plotly.min.js")
    assert r.status_code == 200
    assert "plotly" in r.text[:2000].lower()


def test_dashboard_and_aggregate(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner)
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(4)])
    rng = np.random.default_rng(0)
    for name in ("w1", "w2"):
        worker = api.user(name, Role.WORKER)
        while task := assignment.next_task(api.uow(), actor=worker, project_id=project.id, rng=rng):
            submissions.submit(api.uow(), actor=worker, lease_id=task.lease_id, value="same")
    csrf = page_login(api.client, "req")
    r = api.client.get(f"/projects/{project.id}/dashboard")
    assert r.status_code == 200
    assert 'id="chart-labels"' in r.text
    r = api.client.post(
        f"/projects/{project.id}/aggregate", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "method=" in r.headers["location"]
    page = api.client.get(r.headers["location"])
    assert 'id="aggregate-summary"' in page.text
    dash = api.client.get(f"/projects/{project.id}/dashboard")
    # The run queued the quality snapshot; the page says so and does not compute it.
    assert 'id="refreshing"' in dash.text and 'id="no-snapshot"' in dash.text
    assert '[["same", 4]]' not in dash.text
    assert drain(api.platform.uow) == 1
    dash = api.client.get(f"/projects/{project.id}/dashboard")
    assert '[["same", 4]]' in dash.text
    assert 'id="snapshot-age"' in dash.text and 'id="refreshing"' not in dash.text
    # Eight labels this hour, counted by the submit transactions.
    hour = api.clock.now.replace(minute=0, second=0, microsecond=0).isoformat()
    assert f'"activity": [["{hour}", 8]]' in dash.text


def test_every_page_route_group_is_documented() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "ui.md").read_text(encoding="utf-8")
    names = [m.__name__.rsplit(".", 1)[1] for m in PAGE_MODULES]
    missing = [n for n in names if f"## `{n}`" not in text]
    assert not missing, f"undocumented page route groups: {missing}"
