"""A worker sees their own quality standing and the reason for every decision."""

from __future__ import annotations

from shoplabel.domain.users import Role
from tests.factories import add_items, matching_payload
from tests.web.conftest import API, Api, error_code

RULES = {
    "rules": [
        {
            "name": "skips",
            "condition": "skip_streak",
            "params": {"max_streak": 2},
            "actions": [{"kind": "warn"}],
        }
    ]
}


def test_worker_sees_warnings_with_reasons(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    api.user("w0", Role.WORKER)
    project = api.project(owner, settings={"quality_rules": RULES})
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(5)])
    h = api.auth("w0")
    for _ in range(3):
        lease = api.client.post(f"{API}/projects/{project.id}/tasks/next", headers=h).json()
        assert (
            api.client.post(f"{API}/tasks/{lease['lease_id']}/skip", headers=h).status_code == 204
        )
    lease = api.client.post(f"{API}/projects/{project.id}/tasks/next", headers=h).json()
    r = api.client.post(
        f"{API}/tasks/{lease['lease_id']}/annotations", headers=h, json={"value": "same"}
    )
    assert r.status_code == 201
    standing = api.client.get(f"{API}/projects/{project.id}/standing", headers=h).json()
    assert standing["status"] == "active"
    [event] = standing["events"]
    assert event["rule"] == "skips" and "skip" in event["reason"]
    r = api.client.get(f"{API}/projects/{project.id}/standing", headers=api.auth("req"))
    assert (r.status_code, error_code(r)) == (403, "permission_denied")
