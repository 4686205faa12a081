"""Labelling over HTTP: next task, submit, skip, and each lease error with its stable code."""

from __future__ import annotations

from typing import Any

from shoplabel.domain.users import Role
from tests.factories import add_items, matching_payload
from tests.web.conftest import API, Api, error_code


def _project(api: Api, n_items: int = 2, **settings: Any) -> int:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner, settings={"max_overlap": 1, **settings})
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(n_items)])
    return project.id


def _next(api: Api, pid: int, user: str = "wk") -> dict[str, Any]:
    r = api.client.post(f"{API}/projects/{pid}/tasks/next", headers=api.auth(user))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _submit(api: Api, lease_id: int, value: Any, user: str = "wk") -> Any:
    return api.client.post(
        f"{API}/tasks/{lease_id}/annotations",
        json={"value": value, "duration_ms": 2000},
        headers=api.auth(user),
    )


def test_next_submit_until_nothing_is_left(api: Api) -> None:
    pid = _project(api)
    worker = api.user("wk", Role.WORKER)
    first = _next(api, pid)
    assert first["reason"] == "round_robin"
    assert set(first["data"]) == {"left", "right"}
    again = _next(api, pid)  # the held lease comes back
    assert (again["lease_id"], again["reason"]) == (first["lease_id"], "held_lease")
    r = _submit(api, first["lease_id"], "same")
    assert r.status_code == 201, r.text
    ann = r.json()
    assert (ann["worker_id"], ann["value"], ann["source"], ann["duration_ms"]) == (
        worker.user_id,
        "same",
        "human",
        2000,
    )
    assert ann["lease_id"] == first["lease_id"]
    second = _next(api, pid)
    assert second["item_id"] != first["item_id"]
    assert _submit(api, second["lease_id"], "different").status_code == 201
    r = api.client.post(f"{API}/projects/{pid}/tasks/next", headers=api.auth("wk"))
    assert r.status_code == 204
    assert r.content == b""
    counters = api.client.get(f"{API}/projects/{pid}", headers=api.auth("req")).json()["counters"]
    assert (counters["n_annotations"], counters["n_done"], counters["n_open"]) == (2, 2, 0)


def test_second_submit_is_lease_settled(api: Api) -> None:
    pid = _project(api)
    api.user("wk", Role.WORKER)
    task = _next(api, pid)
    assert _submit(api, task["lease_id"], "same").status_code == 201
    r = _submit(api, task["lease_id"], "same")
    assert (r.status_code, error_code(r)) == (409, "lease_settled")


def test_unknown_label_is_422_label_not_in_schema(api: Api) -> None:
    pid = _project(api)
    api.user("wk", Role.WORKER)
    task = _next(api, pid)
    r = _submit(api, task["lease_id"], "maybe")
    assert (r.status_code, error_code(r)) == (422, "label_not_in_schema")
    assert _submit(api, task["lease_id"], "same").status_code == 201  # the lease survived


def test_expired_lease_is_409_lease_expired(api: Api) -> None:
    pid = _project(api, lease_ttl_seconds=10)
    api.user("wk", Role.WORKER)
    task = _next(api, pid)
    api.clock.advance(11)
    r = _submit(api, task["lease_id"], "same")
    assert (r.status_code, error_code(r)) == (409, "lease_expired")
    assert r.json()["error"]["details"] == {"lease_id": task["lease_id"]}


def test_foreign_lease_is_409_lease_not_held(api: Api) -> None:
    pid = _project(api)
    api.user("wk", Role.WORKER)
    api.user("other", Role.WORKER)
    task = _next(api, pid)
    r = _submit(api, task["lease_id"], "same", user="other")
    assert (r.status_code, error_code(r)) == (409, "lease_not_held")
    r = api.client.post(f"{API}/tasks/{task['lease_id']}/skip", headers=api.auth("other"))
    assert (r.status_code, error_code(r)) == (409, "lease_not_held")


def test_skip_then_the_item_is_not_offered_again(api: Api) -> None:
    pid = _project(api, n_items=1)
    api.user("wk", Role.WORKER)
    task = _next(api, pid)
    r = api.client.post(f"{API}/tasks/{task['lease_id']}/skip", headers=api.auth("wk"))
    assert r.status_code == 204
    r = api.client.post(f"{API}/tasks/{task['lease_id']}/skip", headers=api.auth("wk"))
    assert (r.status_code, error_code(r)) == (409, "lease_settled")
    r = api.client.post(f"{API}/projects/{pid}/tasks/next", headers=api.auth("wk"))
    assert r.status_code == 204


def test_unknown_ids_and_wrong_roles(api: Api) -> None:
    pid = _project(api)
    api.user("wk", Role.WORKER)
    r = api.client.post(f"{API}/projects/999999/tasks/next", headers=api.auth("wk"))
    assert (r.status_code, error_code(r)) == (404, "project_not_found")
    r = _submit(api, 999999, "same")
    assert (r.status_code, error_code(r)) == (404, "lease_not_found")
    r = api.client.post(f"{API}/projects/{pid}/tasks/next", headers=api.auth("req"))
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    r = api.client.post(f"{API}/projects/abc/tasks/next", headers=api.auth("wk"))
    assert (r.status_code, error_code(r)) == (422, "invalid_request")
    task = _next(api, pid)
    r = api.client.post(
        f"{API}/tasks/{task['lease_id']}/annotations",
        json={"duration_ms": 5},
        headers=api.auth("wk"),
    )
    assert (r.status_code, error_code(r)) == (422, "invalid_request")
    assert r.json()["error"]["details"]["fields"] == ["body.value"]
    r = api.client.post(
        f"{API}/tasks/{task['lease_id']}/annotations",
        json={"value": "same", "duration_ms": -1},
        headers=api.auth("wk"),
    )
    assert (r.status_code, error_code(r)) == (422, "invalid_input")


def test_project_settings_update(api: Api) -> None:
    pid = _project(api)
    h = api.auth("req")
    r = api.client.patch(f"{API}/projects/{pid}/settings", json={"max_overlap": 4}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["max_overlap"] == 4
    r = api.client.patch(f"{API}/projects/{pid}/settings", json={"min_overlap": 9}, headers=h)
    assert (r.status_code, error_code(r)) == (422, "invalid_settings")
    r = api.client.patch(f"{API}/projects/{pid}/settings", json={"colour": "red"}, headers=h)
    assert (r.status_code, error_code(r)) == (422, "invalid_request")


def test_create_project_validates_template_and_schema(api: Api) -> None:
    api.user("req", Role.REQUESTER)
    h = api.auth("req")
    r = api.client.post(f"{API}/projects", json={"name": "p", "template": "nope"}, headers=h)
    assert (r.status_code, error_code(r)) == (422, "unknown_template")
    bad = {"name": "p", "template": "custom", "schema": {"kind": "stars"}}
    r = api.client.post(f"{API}/projects", json=bad, headers=h)
    assert (r.status_code, error_code(r)) == (422, "invalid_label_schema")
    good = {
        "name": "Sentiment",
        "template": "custom",
        "schema": {"kind": "categorical", "labels": ["pos", "neg"]},
        "settings": {"max_overlap": 2},
    }
    r = api.client.post(f"{API}/projects", json=good, headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert [o["value"] for o in body["schema"]["labels"]] == ["pos", "neg"]
    assert body["settings"]["max_overlap"] == 2
    page = api.client.get(f"{API}/projects?limit=1", headers=h).json()
    assert (len(page["items"]), page["next_offset"]) == (1, 1)
