"""The role matrix: who sees and does what, and gold never reaching a worker."""

from __future__ import annotations

import json
from typing import Any

from shoplabel.domain.users import Role
from tests.factories import add_items
from tests.web.conftest import API, Api, error_code

RATING = {"kind": "rating", "min": 0, "max": 5}
GOLD = [4.321, 1.234, 2.718]


def _rating_project(api: Api, owner_name: str = "req") -> int:
    owner = api.user(owner_name, Role.REQUESTER)
    project = api.project(owner, template="custom", schema=RATING)
    payloads = [{"title": f"Item {i}", "text": f"text {i}"} for i in range(len(GOLD))]
    add_items(api.uow(), project.id, payloads, gold=GOLD)
    return project.id


def test_worker_cannot_create_import_export_or_list_items(api: Api) -> None:
    pid = _rating_project(api)
    api.user("wk", Role.WORKER)
    h = api.auth("wk")
    r = api.client.post(f"{API}/projects", json={"name": "x", "template": "custom"}, headers=h)
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    files = {"file": ("items.csv", b"title\nA\n", "text/csv")}
    r = api.client.post(f"{API}/projects/{pid}/imports", files=files, headers=h)
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    assert not list((api.platform.settings.data_dir / "uploads").iterdir())
    r = api.client.get(f"{API}/projects/{pid}/export", headers=h)
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    r = api.client.get(f"{API}/projects/{pid}/items", headers=h)
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    r = api.client.patch(f"{API}/projects/{pid}/settings", json={"max_overlap": 5}, headers=h)
    assert (r.status_code, error_code(r)) == (403, "permission_denied")


def test_requester_cannot_see_another_requesters_project(api: Api) -> None:
    pid = _rating_project(api, "alice")
    api.user("bob", Role.REQUESTER)
    api.user("root", Role.ADMIN)
    h = api.auth("bob")
    for method, path in [
        ("GET", f"/projects/{pid}"),
        ("GET", f"/projects/{pid}/items"),
        ("GET", f"/projects/{pid}/annotations"),
        ("GET", f"/projects/{pid}/export"),
        ("PATCH", f"/projects/{pid}/settings"),
        ("POST", f"/projects/{pid}/members"),
    ]:
        body: dict[str, Any] | None = {"user_id": 1} if method == "POST" else None
        if method == "PATCH":
            body = {"max_overlap": 2}
        r = api.client.request(method, f"{API}{path}", json=body, headers=h)
        assert (r.status_code, error_code(r)) == (404, "project_not_found"), path
    assert api.client.get(f"{API}/projects", headers=h).json()["items"] == []
    assert [
        p["id"]
        for p in api.client.get(f"{API}/projects", headers=api.auth("alice")).json()["items"]
    ] == [pid]
    assert api.client.get(f"{API}/projects/{pid}", headers=api.auth("root")).status_code == 200
    r = api.client.get(f"{API}/projects/999999", headers=api.auth("root"))
    assert (r.status_code, error_code(r)) == (404, "project_not_found")


def test_worker_sees_open_projects_and_member_projects_only(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    worker = api.user("wk", Role.WORKER)
    open_p = api.project(owner)
    closed = api.project(owner, settings={"access": "members"})
    h = api.auth("wk")
    listed = api.client.get(f"{API}/projects", headers=h).json()["items"]
    assert [p["id"] for p in listed] == [open_p.id]
    r = api.client.get(f"{API}/projects/{closed.id}", headers=h)
    assert (r.status_code, error_code(r)) == (404, "project_not_found")
    r = api.client.post(f"{API}/projects/{closed.id}/tasks/next", headers=h)
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    r = api.client.post(
        f"{API}/projects/{closed.id}/members", json={"user_id": worker.user_id}, headers=h
    )
    assert (r.status_code, error_code(r)) == (404, "project_not_found")
    r = api.client.post(
        f"{API}/projects/{closed.id}/members",
        json={"user_id": worker.user_id},
        headers=api.auth("req"),
    )
    assert r.status_code == 204, r.text
    listed = api.client.get(f"{API}/projects", headers=h).json()["items"]
    assert sorted(p["id"] for p in listed) == sorted([open_p.id, closed.id])


def test_worker_reads_only_the_item_they_lease_and_never_gold(api: Api) -> None:
    pid = _rating_project(api)
    api.user("wk", Role.WORKER)
    api.user("wk2", Role.WORKER)
    h = api.auth("wk")
    seen: list[tuple[str, str]] = []  # (path, body) of every worker request

    def call(method: str, path: str, **kw: Any) -> Any:
        r = api.client.request(method, f"{API}{path}", headers=h, **kw)
        seen.append((path, r.text))
        return r

    call("GET", "/projects")
    call("GET", f"/projects/{pid}")
    task = call("POST", f"/projects/{pid}/tasks/next").json()
    item = call("GET", f"/items/{task['item_id']}")
    assert item.status_code == 200
    assert item.json()["gold"] is None
    assert item.json()["payload"] == task["data"]
    others = [i for i in range(1, 10) if i != task["item_id"]]
    for other in others[:3]:
        r = call("GET", f"/items/{other}")
        assert (r.status_code, error_code(r)) == (404, "item_not_found")
    r = api.client.get(f"{API}/items/{task['item_id']}", headers=api.auth("wk2"))
    assert (r.status_code, error_code(r)) == (404, "item_not_found")
    call("POST", f"/tasks/{task['lease_id']}/annotations", json={"value": 3})
    call("GET", f"/projects/{pid}/annotations")
    call("GET", f"/projects/{pid}/annotations?item_id={task['item_id']}")
    after = call("GET", f"/items/{task['item_id']}")  # lease settled: no longer readable
    assert (after.status_code, error_code(after)) == (404, "item_not_found")
    while call("POST", f"/projects/{pid}/tasks/next").status_code == 200:
        lease = json.loads(seen[-1][1])["lease_id"]
        call("POST", f"/tasks/{lease}/skip")
    for path, text in seen:
        for gold in GOLD:
            assert str(gold) not in text, (path, text)
    # The scan would catch a leak: the owner does see the gold values.
    owner_view = api.client.get(f"{API}/projects/{pid}/items", headers=api.auth("req")).text
    assert all(str(g) in owner_view for g in GOLD)
    owner_item = api.client.get(f"{API}/items/{task['item_id']}", headers=api.auth("req")).json()
    assert owner_item["gold"] in GOLD


def test_workers_see_only_their_own_annotations(api: Api) -> None:
    pid = _rating_project(api)
    w1 = api.user("w1", Role.WORKER)
    w2 = api.user("w2", Role.WORKER)
    for name in ("w1", "w2"):
        task = api.client.post(f"{API}/projects/{pid}/tasks/next", headers=api.auth(name)).json()
        r = api.client.post(
            f"{API}/tasks/{task['lease_id']}/annotations",
            json={"value": 2, "duration_ms": 1500},
            headers=api.auth(name),
        )
        assert r.status_code == 201, r.text
    mine = api.client.get(f"{API}/projects/{pid}/annotations", headers=api.auth("w1")).json()
    assert [a["worker_id"] for a in mine["items"]] == [w1.user_id]
    asked = api.client.get(
        f"{API}/projects/{pid}/annotations?worker_id={w2.user_id}", headers=api.auth("w1")
    ).json()
    assert [a["worker_id"] for a in asked["items"]] == [w1.user_id]
    everyone = api.client.get(f"{API}/projects/{pid}/annotations", headers=api.auth("req")).json()
    assert sorted(a["worker_id"] for a in everyone["items"]) == sorted([w1.user_id, w2.user_id])
    page = api.client.get(
        f"{API}/projects/{pid}/annotations?limit=1", headers=api.auth("req")
    ).json()
    assert len(page["items"]) == 1
    assert page["next_after_id"] == page["items"][0]["id"]


def test_user_administration_is_for_admins(api: Api) -> None:
    admin = api.user("root", Role.ADMIN)
    api.user("wk", Role.WORKER)
    r = api.client.get(f"{API}/users", headers=api.auth("wk"))
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    new = {"username": "carol", "password": "long enough pw", "role": "requester"}
    r = api.client.post(f"{API}/users", json=new, headers=api.auth("wk"))
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    r = api.client.post(f"{API}/users", json=new, headers=api.auth("root"))
    assert r.status_code == 201, r.text
    carol = r.json()
    assert (carol["username"], carol["role"], carol["status"]) == ("carol", "requester", "active")
    assert "password" not in r.text
    r = api.client.post(f"{API}/users", json=new, headers=api.auth("root"))
    assert (r.status_code, error_code(r)) == (409, "user_exists")
    r = api.client.post(
        f"{API}/users",
        json={**new, "username": "dan", "password": "short"},
        headers=api.auth("root"),
    )
    assert (r.status_code, error_code(r)) == (422, "invalid_input")
    r = api.client.patch(
        f"{API}/users/{carol['id']}",
        json={"role": "worker", "status": "suspended"},
        headers=api.auth("root"),
    )
    assert (r.json()["role"], r.json()["status"]) == ("worker", "suspended")
    r = api.client.patch(
        f"{API}/users/{admin.user_id}", json={"status": "banned"}, headers=api.auth("root")
    )
    assert (r.status_code, error_code(r)) == (422, "invalid_input")
    r = api.client.patch(f"{API}/users/{carol['id']}", json={}, headers=api.auth("root"))
    assert (r.status_code, error_code(r)) == (422, "invalid_input")
    r = api.client.patch(f"{API}/users/999999", json={"role": "worker"}, headers=api.auth("root"))
    assert (r.status_code, error_code(r)) == (404, "user_not_found")
    names = [
        u["username"]
        for u in api.client.get(f"{API}/users", headers=api.auth("root")).json()["items"]
    ]
    assert names == ["root", "wk", "carol"]


def test_templates_are_listed_for_any_user(api: Api) -> None:
    api.user("wk", Role.WORKER)
    r = api.client.get(f"{API}/templates", headers=api.auth("wk"))
    keys = [t["key"] for t in r.json()]
    assert "query_product_relevance" in keys
    assert "custom" in keys
    assert api.client.get(f"{API}/templates").status_code == 401
