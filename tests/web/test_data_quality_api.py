"""Data-quality routes over HTTP: cleaning job, duplicate groups and decisions, the stored
report (never computed in the request), originals; and the page's role checks."""

from __future__ import annotations

from shoplabel.domain.users import Role
from shoplabel.jobs.worker import drain
from tests.web.conftest import API, Api, error_code
from tests.web.pages.conftest import page_login

CSV = (
    "external_id,left.name,right.name,gold\n"
    "a1,Sony WH-1000XM4 headphones,Sony WH1000XM4/B,same\n"
    "a2,Sony WH-1000XM4 headphones,Sony WH1000XM4/B,different\n"
    "a3,Ｂｏｓｅ  QC35 <b>II</b>,Bose QuietComfort 35 II,\n"
    "a4,Apple iPad Air,iPad Air 64GB 电话 13812345678,\n"
)


def _setup(api: Api) -> int:
    owner = api.user("req", Role.REQUESTER)
    api.user("wk", Role.WORKER)
    pid = api.project(owner).id
    files = {"file": ("pairs.csv", CSV.encode(), "text/csv")}
    r = api.client.post(f"{API}/projects/{pid}/imports", files=files, headers=api.auth("req"))
    assert r.status_code == 202, r.text
    assert drain(api.uow) == 1
    return pid


def test_cleaning_groups_decisions_and_report_over_http(api: Api) -> None:
    pid = _setup(api)
    req, wk = api.auth("req"), api.auth("wk")
    r = api.client.get(f"{API}/projects/{pid}/data-report", headers=req)
    assert r.status_code == 200 and r.json()["report"] is None
    assert api.client.post(f"{API}/projects/{pid}/dedup", json={}, headers=wk).status_code == 403
    bad = api.client.post(f"{API}/projects/{pid}/dedup", json={"threshold": 2}, headers=req)
    assert (bad.status_code, error_code(bad)) == (422, "invalid_request")
    r = api.client.post(f"{API}/projects/{pid}/dedup", json={"fields": ["left.name"]}, headers=req)
    assert r.status_code == 202 and r.json()["kind"] == "dedup"
    r = api.client.post(f"{API}/projects/{pid}/data-report", headers=req)
    assert r.status_code == 202 and r.json()["kind"] == "data_report"
    assert drain(api.uow) == 2
    job = api.client.get(f"{API}/jobs/{r.json()['id']}", headers=req).json()
    assert job["status"] == "done"

    groups = api.client.get(f"{API}/projects/{pid}/duplicates?kind=exact", headers=req).json()
    (group,) = groups["items"]
    assert group["conflicting"] and len(group["item_ids"]) == 2
    assert api.client.get(f"{API}/projects/{pid}/duplicates", headers=wk).status_code == 403
    url = f"{API}/duplicate-groups/{group['id']}/decision"
    r = api.client.post(url, json={"decision": "keep_one"}, headers=req)
    assert (r.status_code, error_code(r)) == (422, "invalid_duplicate_decision")
    r = api.client.post(url, json={"decision": "keep_all"}, headers=wk)
    assert r.status_code == 403
    r = api.client.post(
        url,
        json={"decision": "keep_one", "keep_item_id": group["item_ids"][0], "propagate": True},
        headers=req,
    )
    assert r.status_code == 200, r.text
    # The other member has gold of its own: it leaves the queue but keeps its gold.
    assert (r.json()["n_closed"], r.json()["n_propagated"]) == (1, 0)
    missing = api.client.post(
        f"{API}/duplicate-groups/999/decision", json={"decision": "keep_all"}, headers=req
    )
    assert (missing.status_code, error_code(missing)) == (404, "duplicate_group_not_found")

    report = api.client.get(f"{API}/projects/{pid}/data-report", headers=req).json()["report"]
    assert report["n_items"] == 4 and report["pii"]["by_kind"] == {"phone": 1}
    assert api.client.get(f"{API}/projects/{pid}/data-report", headers=wk).status_code == 403

    items = api.client.get(f"{API}/projects/{pid}/items", headers=req).json()["items"]
    bose = next(i for i in items if i["external_id"] == "a3")
    orig = api.client.get(f"{API}/items/{bose['id']}/original", headers=req).json()
    assert orig["changed"] and orig["payload"]["left"]["name"] == "Bose QC35 II"
    assert orig["original"]["left"]["name"] == "Ｂｏｓｅ  QC35 <b>II</b>"
    assert api.client.get(f"{API}/items/{bose['id']}/original", headers=wk).status_code == 403


def test_data_quality_page_shows_the_stored_report(api: Api) -> None:
    pid = _setup(api)
    page_login(api.client, "req")
    page = api.client.get(f"/projects/{pid}/data-quality")
    assert page.status_code == 200
    assert 'id="no-report"' in page.text
    api.client.post(f"{API}/projects/{pid}/data-report", headers=api.auth("req"))
    drain(api.uow)
    page = api.client.get(f"/projects/{pid}/data-quality")
    assert 'id="chart-pii"' in page.text and '<dd id="n-items">4</dd>' in page.text
    assert "13812345678" not in page.text  # the report counts PII, never shows it
    no_csrf = api.client.post(f"/projects/{pid}/data-quality/report", follow_redirects=False)
    assert no_csrf.status_code == 403
    api.client.cookies.clear()
    page_login(api.client, "wk")
    assert api.client.get(f"/projects/{pid}/data-quality").status_code == 403
