"""Reviewer, exam, standing and quality-dashboard pages through TestClient: roles, CSRF, the
decision flow with field errors, the exam flow, and the dashboard's quality sections."""

from __future__ import annotations

import re
from typing import Any

from shoplabel.domain.ids import ItemId, UserId
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role, UserStatus
from shoplabel.web.i18n import MESSAGES
from tests.factories import add_items, matching_payload
from tests.services.review_crowd import label
from tests.web.conftest import Api
from tests.web.pages.conftest import form_csrf, page_login, refresh_dashboard

#: Two labels at most; a 1-1 split leaves the posterior at 0.5 < 0.8, so the item goes to review.
SPLIT = {"overlap_mode": "dynamic", "min_overlap": 2, "max_overlap": 2, "target_confidence": 0.8}
EXAM = {"questions": 2, "pass_mark": 0.5, "max_attempts": 2, "cooldown_hours": 1, "training": True}
EN = MESSAGES["en"]


def _split_item(api: Api) -> tuple[Actor, Project, ItemId]:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner, settings=SPLIT)
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(2)])
    w0, w1 = api.user("w0", Role.WORKER), api.user("w1", Role.WORKER)
    item = label(api.uow, w0, project, "same", 1200)
    assert label(api.uow, w1, project, "different", 3400) == item
    return owner, project, item


def _status(api: Api, item: ItemId) -> ItemStatus:
    with api.uow().reading() as uow:
        return uow.items.get(item).status


def test_reviewer_corrects_a_split_item_with_field_errors_and_303(api: Api) -> None:
    _, project, item = _split_item(api)
    api.user("rev", Role.REVIEWER)
    csrf = page_login(api.client, "rev")
    home = api.client.get("/home").text
    assert 'href="/review"' in home
    listing = api.client.get("/review")
    assert f'href="/projects/{project.id}/review"' in listing.text
    page = api.client.get(f"/projects/{project.id}/review")
    assert page.status_code == 200
    assert f'data-item="{item}"' in page.text
    assert 'data-worker="w0"' in page.text and 'data-worker="w1"' in page.text
    assert 'id="posterior"' in page.text and "0.50" in page.text
    url = f"/projects/{project.id}/review/{item}"
    form = {"csrf_token": csrf, "decision": "correct", "stage": "0", "value": '"same"'}
    assert api.client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    bad = api.client.post(url, data=form)
    assert bad.status_code == 422
    assert 'id="reason-error"' in bad.text
    assert api.client.post(url, data={**form, "decision": ""}).status_code == 422
    ok = api.client.post(url, data={**form, "reason": "same model"}, follow_redirects=False)
    assert ok.status_code == 303
    assert ok.headers["location"] == f"/projects/{project.id}/review?after={item}&last=resolved"
    assert _status(api, item) is ItemStatus.DONE
    done = api.client.get(ok.headers["location"])
    assert 'id="queue-empty"' in done.text
    assert EN["review.last.resolved"] in done.text


def test_reviewer_rejects_and_the_item_goes_back_to_the_crowd(api: Api) -> None:
    _, project, item = _split_item(api)
    api.user("rev", Role.REVIEWER)
    csrf = page_login(api.client, "rev")
    form = {"csrf_token": csrf, "decision": "reject", "stage": "0", "reason": "unclear"}
    r = api.client.post(f"/projects/{project.id}/review/{item}", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("last=requeued")
    assert _status(api, item) is ItemStatus.OPEN


def test_workers_cannot_review_and_labellers_cannot_decide(api: Api) -> None:
    _, project, item = _split_item(api)
    csrf = page_login(api.client, "w0")
    assert api.client.get(f"/projects/{project.id}/review").status_code == 403
    form = {"csrf_token": csrf, "decision": "accept", "stage": "0"}
    r = api.client.post(f"/projects/{project.id}/review/{item}", data=form)
    assert r.status_code == 403
    assert "<html" in r.text
    assert _status(api, item) is ItemStatus.REVIEW


def test_requester_sees_review_link_and_quality_dashboard(api: Api) -> None:
    _, project, item = _split_item(api)
    csrf = page_login(api.client, "req")
    refresh_dashboard(api.client, api.platform, project.id, csrf)
    assert f'href="/projects/{project.id}/review"' in api.client.get(f"/projects/{project.id}").text
    queue = api.client.get(f"/projects/{project.id}/review")
    assert queue.status_code == 200 and f'data-item="{item}"' in queue.text
    dash = api.client.get(f"/projects/{project.id}/dashboard")
    assert dash.status_code == 200
    for part in ('id="alpha"', "chart-per-item", "chart-accuracy", "chart-cost", "worker-table"):
        assert part in dash.text, part
    assert 'data-worker="w0"' in dash.text and 'data-worker="w1"' in dash.text
    assert EN["dash.status_note"] in dash.text
    assert "/workers/" not in dash.text  # suspend and ban are for admins


def test_admin_suspends_a_worker_from_the_dashboard(api: Api) -> None:
    _, project, _ = _split_item(api)
    api.user("root", Role.ADMIN)
    csrf = page_login(api.client, "root")
    refresh_dashboard(api.client, api.platform, project.id, csrf)
    dash = api.client.get(f"/projects/{project.id}/dashboard").text
    action = re.search(r'action="(/projects/\d+/workers/\d+/status)"', dash)
    assert action
    url = action.group(1)
    assert api.client.post(url, data={"status": "suspended"}).status_code == 403
    r = api.client.post(
        url, data={"csrf_token": csrf, "status": "suspended"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/projects/{project.id}/dashboard#workers"
    with api.uow().reading() as uow:
        worker_id = UserId(int(url.split("/")[-2]))
        assert uow.users.get(worker_id).status is UserStatus.SUSPENDED


def _exam_project(api: Api) -> tuple[Project, dict[ItemId, Any]]:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner, settings={"exam": EXAM})
    gold = ["same", "different", "same"]
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(3)], gold=gold)
    with api.uow().reading() as uow:
        return project, dict(uow.items.gold_labels(project.id))


def _question(html: str) -> int:
    match = re.search(r'id="question" data-item="(\d+)"', html)
    assert match, "no question on the page"
    return int(match.group(1))


def test_worker_takes_the_exam_sees_the_revealed_answer_then_labels(api: Api) -> None:
    project, gold = _exam_project(api)
    api.user("wanda", Role.WORKER)
    page_login(api.client, "wanda")
    assert f'href="/projects/{project.id}/exam"' in api.client.get("/home").text
    url = f"/projects/{project.id}/exam"
    start = api.client.get(url)
    assert 'data-status="not_started"' in start.text
    csrf = form_csrf(start.text)
    assert api.client.post(f"{url}/start", data={}).status_code == 403
    r = api.client.post(f"{url}/start", data={"csrf_token": csrf}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, url)
    q = ItemId(_question(api.client.get(url).text))
    wrong = '"same"' if gold[q] == "different" else '"different"'
    r = api.client.post(f"{url}/answer", data={"csrf_token": csrf, "item_id": q, "value": wrong})
    assert r.status_code == 200, r.text
    assert f'id="revealed-answer">{gold[q]}<' in r.text
    q = ItemId(_question(r.text))
    right = f'"{gold[q]}"'
    done = api.client.post(f"{url}/answer", data={"csrf_token": csrf, "item_id": q, "value": right})
    assert 'data-status="passed"' in done.text
    assert f'href="/projects/{project.id}/annotate"' in done.text


def test_annotate_page_shows_my_standing_to_labellers_only(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner)
    wanda = api.user("wanda", Role.WORKER)
    page_login(api.client, "wanda")
    page = api.client.get(f"/projects/{project.id}/annotate")
    assert 'id="standing"' in page.text
    assert EN["standing.no_events"] in page.text
    with api.uow() as uow:
        uow.workers.add_event(
            project.id,
            wanda.user_id,
            rule="too_fast",
            actions=[{"kind": "warn"}],
            reason="median 1.2 s per label < 3 s over 40 labels",
        )
        uow.commit()
    page = api.client.get(f"/projects/{project.id}/annotate")
    assert "median 1.2 s per label &lt; 3 s over 40 labels" in page.text
    api.client.cookies.clear()
    page_login(api.client, "req")
    page = api.client.get(f"/projects/{project.id}/annotate")
    assert page.status_code == 200 and 'id="standing"' not in page.text
