"""The create-project wizard, the admin health page and page-wide security through TestClient:
every setting the wizard offers is stored, bad input is shown next to its field with nothing
created, every post form carries the CSRF token and every page post refuses a missing one,
and nothing a worker receives carries a gold label."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from markupsafe import escape

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.projects import OverlapMode
from shoplabel.domain.users import Role
from shoplabel.services import projects
from shoplabel.web.i18n import MESSAGES
from shoplabel.web.pages import PAGE_MODULES
from tests.factories import add_items, matching_payload
from tests.web.conftest import API, Api
from tests.web.pages.conftest import page_login

EN = MESSAGES["en"]
RULES = {
    "rules": [
        {
            "name": "quick",
            "condition": "too_fast",
            "params": {"max_median_seconds": 2.0, "max_fast_fraction": 0.5, "min_labels": 10},
            "actions": [{"kind": "warn"}],
        }
    ]
}
SCHEMA = {
    "kind": "categorical",
    "labels": [
        {"value": "same", "title": "Same", "description": "Identical model.", "hotkey": "y"},
        {"value": "different", "title": "Different", "description": "", "hotkey": "n"},
    ],
}


def _form(csrf: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "template": "product_matching",
        "name": "Wizard",
        "labels": json.dumps(SCHEMA),
        "instructions": "Compare the model numbers.",
        "overlap_mode": "dynamic",
        "min_overlap": "2",
        "max_overlap": "5",
        "target_confidence": "0.9",
        "lease_ttl": "300",
        "policy": "round-robin",
        "gold_rate": "0.1",
        "exam": "on",
        "exam_questions": "4",
        "exam_pass_mark": "0.75",
        "rules_mode": "custom",
        "quality_rules": json.dumps(RULES),
        "review_stages": "first look, expert",
    }
    return {**form, **changes}


def _n_projects(api: Api) -> int:
    with api.uow().reading() as uow:
        return len(uow.projects.list_for(owner_id=None, open_or_member_of=None, offset=0, limit=99))


def test_wizard_stores_every_setting(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    csrf = page_login(api.client, "req")
    page = api.client.get("/projects/new").text
    for field in ("gold_rate", "exam", "exam_pass_mark", "quality_rules", "review_stages"):
        assert f'id="{field}"' in page, field
    assert 'id="label-editor"' in page and 'value="dynamic"' in page
    r = api.client.post("/projects/new", data=_form(csrf), follow_redirects=False)
    assert r.status_code == 303, r.text
    pid = ProjectId(int(r.headers["location"].rsplit("/", 1)[1]))
    p = projects.get_project(api.uow(), actor=owner, project_id=pid)
    s = p.settings
    assert (s.overlap_mode, s.min_overlap, s.max_overlap) == (OverlapMode.DYNAMIC, 2, 5)
    assert (s.target_confidence, s.gold_rate, s.lease_ttl_seconds) == (0.9, 0.1, 300)
    assert s.exam == {"questions": 4, "pass_mark": 0.75}
    assert s.quality_rules == RULES
    assert s.review_stages == ("first look", "expert")
    assert [(o.value, o.description, o.hotkey) for o in p.schema.labels] == [
        ("same", "Identical model.", "y"),
        ("different", "", "n"),
    ]


def test_wizard_defaults_leave_exam_and_custom_rules_off(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    csrf = page_login(api.client, "req")
    form = _form(csrf, rules_mode="default", overlap_mode="fixed")
    del form["exam"]  # an unchecked checkbox posts nothing
    r = api.client.post("/projects/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    pid = ProjectId(int(r.headers["location"].rsplit("/", 1)[1]))
    s = projects.get_project(api.uow(), actor=owner, project_id=pid).settings
    assert (s.exam, s.quality_rules, s.overlap_mode) == (None, None, OverlapMode.FIXED)


BAD_RULE = {"rules": [{"name": "x", "condition": "nope", "actions": [{"kind": "warn"}]}]}
HOTKEYS = {
    "kind": "categorical",
    "labels": [{"value": "a", "hotkey": "1"}, {"value": "b", "hotkey": "1"}],
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"gold_rate": "lots"}, "gold_rate"),
        ({"gold_rate": "0.9"}, "gold_rate"),
        ({"target_confidence": "1.5"}, "target_confidence"),
        ({"min_overlap": "7"}, "min_overlap"),
        ({"exam_questions": "four"}, "exam_questions"),
        ({"exam_pass_mark": "most"}, "exam_pass_mark"),
        ({"exam_pass_mark": "1.5"}, "exam"),
        ({"quality_rules": "{nope"}, "quality_rules"),
        ({"quality_rules": json.dumps(BAD_RULE)}, "quality_rules"),
        ({"review_stages": " , "}, "review_stages"),
        ({"labels": json.dumps(HOTKEYS)}, "labels"),
        ({"name": "  "}, "name"),
    ],
)
def test_wizard_shows_bad_input_next_to_the_field(
    api: Api, changes: dict[str, str], field: str
) -> None:
    api.user("req", Role.REQUESTER)
    csrf = page_login(api.client, "req")
    r = api.client.post("/projects/new", data=_form(csrf, **changes))
    assert r.status_code == 422
    errors = re.findall(r'<p class="error" id="([a-z_]+)-error"', r.text)
    assert errors == [field], r.text[-3000:]
    assert f'aria-describedby="{field}-error"' in r.text or field == "exam"
    for value in changes.values():  # what was typed is shown back
        assert str(escape(value)) in r.text
    assert _n_projects(api) == 0


def test_health_page_is_for_admins(api: Api) -> None:
    api.user("root", Role.ADMIN)
    api.user("req", Role.REQUESTER)
    api.user("wanda", Role.WORKER)
    page_login(api.client, "root")
    r = api.client.get("/admin/health")
    assert r.status_code == 200
    for part in ('id="db-status"', 'id="schema-status"', 'id="jobs-pending"', 'id="leases-active"'):
        assert part in r.text, part
    assert '<span class="health-ok">' + EN["health.at_head"] in r.text
    assert 'href="/admin/health"' in r.text
    for name in ("req", "wanda"):
        api.client.cookies.clear()
        page_login(api.client, name)
        assert api.client.get("/admin/health").status_code == 403
        assert 'href="/admin/health"' not in api.client.get("/").text


_POST_FORM = re.compile(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S)


def _seeded(api: Api) -> dict[str, Any]:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner, settings={"exam": {"questions": 1, "pass_mark": 1.0}})
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(3)], gold=["same"] * 3)
    api.user("root", Role.ADMIN)
    api.user("rev", Role.REVIEWER)
    api.user("wanda", Role.WORKER)
    return {"project_id": project.id, "item_id": 1, "user_id": 1, "job_id": 1}


def test_every_post_form_carries_the_sessions_csrf_token(api: Api) -> None:
    ids = _seeded(api)
    pid = ids["project_id"]
    pages = {
        "root": ["/admin/users", "/admin/health", "/projects", "/projects/new",
                 f"/projects/{pid}", f"/projects/{pid}/dashboard", f"/projects/{pid}/review"],
        "rev": ["/home", "/review", f"/projects/{pid}/exam"],
        "wanda": ["/home", f"/projects/{pid}/annotate", f"/projects/{pid}/exam"],
    }  # fmt: skip
    checked = 0
    for name, paths in pages.items():
        api.client.cookies.clear()
        csrf = page_login(api.client, name)
        for path in paths:
            r = api.client.get(path)
            assert r.status_code == 200, path
            forms = _POST_FORM.findall(r.text)
            assert forms, path  # at least the logout form
            for body in forms:
                assert f'name="csrf_token" value="{csrf}"' in body, (path, body[:200])
                checked += 1
    assert checked >= 15


def test_every_page_post_route_refuses_a_missing_csrf_token(api: Api) -> None:
    ids = _seeded(api)
    page_login(api.client, "root")
    superset = {"status": "active", "role": "worker", "item_id": "1", "value": '"same"',
                "decision": "accept", "reason": "x", "name": "x", "opt_in": "false",
                "currency": "USD", "minimum": "1000"}  # fmt: skip
    posts = [
        r.path
        for m in PAGE_MODULES
        for r in m.router.routes
        if isinstance(r, APIRoute) and "POST" in (r.methods or set())
    ]
    assert len(posts) >= 12
    for path in posts:
        url = path.format(**ids)
        uploads = ("/import", "/confirm")
        files = {"file": ("x.csv", b"a\n1\n", "text/csv")} if url.endswith(uploads) else None
        r = api.client.post(url, data=superset, files=files, follow_redirects=False)
        assert r.status_code == 403, (url, r.status_code)
        assert 'data-code="csrf_token_invalid"' in r.text, url


def test_nothing_a_worker_receives_carries_gold(api: Api) -> None:
    ids = _seeded(api)
    owner = api.user("req2", Role.REQUESTER)
    honeypots = api.project(owner, settings={"gold_rate": 0.5, "gold_min_every": 1})
    add_items(api.uow(), honeypots.id, [matching_payload(i) for i in range(4)], gold=["same"] * 4)
    csrf = page_login(api.client, "wanda")
    html = [
        api.client.get(p).text
        for p in (
            "/home",
            f"/projects/{honeypots.id}/annotate",
            f"/projects/{ids['project_id']}/exam",
        )
    ]
    start = api.client.post(f"/projects/{ids['project_id']}/exam/start", data={"csrf_token": csrf})
    assert start.status_code == 200 and 'id="question"' in start.text  # an exam question
    html.append(start.text)
    headers = {"X-CSRF-Token": csrf}
    for _ in range(4):
        task = api.client.post(f"{API}/projects/{honeypots.id}/tasks/next", headers=headers)
        assert task.status_code in (200, 201), task.text
        body = task.json()
        assert "gold" not in body and "gold" not in body["data"]
        skip = api.client.post(f"{API}/tasks/{body['lease_id']}/skip", headers=headers)
        assert skip.status_code == 204, skip.text
    for page in html:
        assert '"gold"' not in page and "gold=" not in page
