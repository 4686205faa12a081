"""Review and quality routes: status codes, error codes and role checks over HTTP."""

from __future__ import annotations

from shoplabel.domain.users import Role
from tests.conftest import REPO
from tests.factories import add_items, matching_payload
from tests.services.review_crowd import DYNAMIC, label
from tests.web.conftest import API, Api, error_code


def _in_review(api: Api) -> tuple[int, int]:
    """A project (owner ``req``) with one item in review and one open; return their ids."""
    owner = api.user("req", Role.REQUESTER)
    workers = [api.user(f"w{i}", Role.WORKER) for i in range(3)]
    api.user("rev", Role.REVIEWER)
    project = api.project(owner, settings=DYNAMIC)
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(2)], gold=["same", None])
    item = label(api.uow, workers[0], project, "same", 1200)
    label(api.uow, workers[1], project, "different", 900)
    label(api.uow, workers[2], project, "same", None)
    return project.id, item


def test_review_routes_queue_and_decide(api: Api) -> None:
    pid, item = _in_review(api)
    rev = api.auth("rev")
    r = api.client.get(f"{API}/projects/{pid}/review", headers=rev)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stages"] == ["review"] and body["n_review"] == 1
    (view,) = body["items"]
    assert (view["item_id"], view["proposal"], view["gold"]) == (item, "same", None)
    assert [x["worker_name"] for x in view["labels"]] == ["w0", "w1", "w2"]
    owner_view = api.client.get(f"{API}/projects/{pid}/review", headers=api.auth("req")).json()
    assert owner_view["items"][0]["gold"] == "same"

    url = f"{API}/items/{item}/review"
    r = api.client.post(url, json={"decision": "reject"}, headers=rev)
    assert (r.status_code, error_code(r)) == (422, "invalid_input")
    r = api.client.post(url, json={"decision": "maybe"}, headers=rev)
    assert (r.status_code, error_code(r)) == (422, "invalid_request")
    r = api.client.post(
        url, json={"decision": "correct", "value": "nope", "reason": "x"}, headers=rev
    )
    assert (r.status_code, error_code(r)) == (422, "label_not_in_schema")
    r = api.client.post(url, json={"decision": "accept", "reason": "clear match"}, headers=rev)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["outcome"], out["status"], out["final_value"]) == ("resolved", "done", "same")
    assert out["decision"]["reason"] == "clear match"
    r = api.client.post(url, json={"decision": "accept"}, headers=rev)
    assert (r.status_code, error_code(r)) == (409, "item_not_in_review")
    counters = api.client.get(f"{API}/projects/{pid}", headers=api.auth("req")).json()["counters"]
    assert (counters["n_review"], counters["n_done"], counters["n_open"]) == (0, 1, 1)


def test_review_routes_refuse_workers_and_strangers(api: Api) -> None:
    pid, item = _in_review(api)
    h = api.auth("w0")
    r = api.client.get(f"{API}/projects/{pid}/review", headers=h)
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    r = api.client.post(f"{API}/items/{item}/review", json={"decision": "accept"}, headers=h)
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
    api.user("bob", Role.REQUESTER)
    r = api.client.get(f"{API}/projects/{pid}/review", headers=api.auth("bob"))
    assert (r.status_code, error_code(r)) == (404, "project_not_found")
    r = api.client.post(f"{API}/items/999999/review", json={"decision": "accept"}, headers=h)
    assert (r.status_code, error_code(r)) == (404, "item_not_found")
    r = api.client.get(f"{API}/projects/{pid}/review")
    assert (r.status_code, error_code(r)) == (401, "authentication_failed")


def test_quality_routes(api: Api) -> None:
    pid, _ = _in_review(api)
    owner = api.auth("req")
    r = api.client.get(f"{API}/projects/{pid}/quality", headers=owner)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["n_review"] == 1 and body["n_annotations"] == 3
    assert body["agreement"]["n_labels"] == 3 and body["agreement"]["sampled"] is False
    assert body["labels_per_item"] == [{"n_labels": 0, "n_items": 1}, {"n_labels": 3, "n_items": 1}]
    assert {w["worker_name"] for w in body["workers"]} == {"w0", "w1", "w2"}
    r = api.client.get(f"{API}/projects/{pid}/workers?limit=2", headers=owner)
    assert r.status_code == 200, r.text
    page = r.json()
    assert [w["worker_name"] for w in page["items"]] == ["w0", "w1"]
    assert page["items"][0]["median_duration_ms"] == 1200.0
    assert page["items"][0]["status"] == "active" and page["items"][0]["events"] == []
    assert page["next_after_id"] == page["items"][1]["worker_id"]
    for path in ("quality", "workers"):
        r = api.client.get(f"{API}/projects/{pid}/{path}", headers=api.auth("rev"))
        assert (r.status_code, error_code(r)) == (403, "permission_denied")


def test_every_api_tag_has_a_section_in_api_md(api: Api) -> None:
    spec = api.client.get(f"{API}/openapi.json").json()
    tags = {t for ops in spec["paths"].values() for op in ops.values() for t in op["tags"]}
    assert {"review", "quality"} <= tags
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    missing = sorted(t for t in tags if f"\n## {t}\n" not in text)
    assert not missing, f"API tags without a section in docs/api.md: {missing}"
