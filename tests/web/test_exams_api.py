"""The exam routes: status codes, stable error codes, no gold in question data."""

from __future__ import annotations

from shoplabel.domain.users import Role
from tests.factories import add_items, matching_payload
from tests.web.conftest import API, Api, error_code

EXAM = {"questions": 2, "pass_mark": 1.0, "max_attempts": 1, "cooldown_hours": 1}


def test_exam_flow_over_http(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    api.user("w0", Role.WORKER)
    project = api.project(owner, settings={"exam": EXAM})
    gold = ["same", "different"]
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(2)], gold=gold)
    headers = api.auth("w0")
    r = api.client.post(f"{API}/projects/{project.id}/tasks/next", headers=headers)
    assert (r.status_code, error_code(r)) == (403, "exam_required")
    status = api.client.get(f"{API}/projects/{project.id}/exam", headers=headers).json()
    assert status["status"] == "not_started"
    exam = api.client.post(f"{API}/projects/{project.id}/exam", headers=headers).json()
    assert exam["status"] == "in_progress"
    assert "gold" not in exam["question"]["data"]
    answers = {}
    with api.uow().reading() as uow:
        answers = {int(i): g for i, g in uow.items.gold_labels(project.id).items()}
    while exam["question"] is not None:
        q = exam["question"]["item_id"]
        r = api.client.post(
            f"{API}/projects/{project.id}/exam/answers",
            headers=headers,
            json={"item_id": q, "value": answers[q]},
        )
        assert r.status_code == 200, r.text
        exam = r.json()
    assert exam["status"] == "passed"
    r = api.client.post(f"{API}/projects/{project.id}/tasks/next", headers=headers)
    assert r.status_code == 200
    r = api.client.post(
        f"{API}/projects/{project.id}/exam/answers",
        headers=headers,
        json={"item_id": 1, "value": "maybe"},
    )
    assert r.status_code in (409, 422)
