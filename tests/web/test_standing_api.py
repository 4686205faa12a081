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


def test_standing_shows_per_class_skill_from_gold(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    api.user("w0", Role.WORKER)
    project = api.project(
        owner,
        settings={"gold_rate": 0.5, "gold_min_every": 1, "quality_rules": {"rules": []}},
    )
    add_items(
        api.uow(),
        project.id,
        [matching_payload(i) for i in range(4)],
        gold=["same", "same", "different", "different"],
        prefix="gold",
    )
    h = api.auth("w0")
    for _ in range(4):  # always "same": right on "same" gold, wrong on "different" gold
        lease = api.client.post(f"{API}/projects/{project.id}/tasks/next", headers=h).json()
        assert "gold" not in lease["data"]
        r = api.client.post(
            f"{API}/tasks/{lease['lease_id']}/annotations", headers=h, json={"value": "same"}
        )
        assert r.status_code == 201
    standing = api.client.get(f"{API}/projects/{project.id}/standing", headers=h).json()
    assert standing["n_checked"] == 4 and standing["agreement"] == 0.5
    assert standing["label_weight"] == 1.0
    # Beta(2, 1) prior: "same" (2 + 2) / (2 + 3), "different" (0 + 2) / (2 + 3)
    assert standing["class_accuracy"] == {"same": 0.8, "different": 0.4}
