"""The pay, payouts and audit API over real SQLite and PostgreSQL: roles, codes, and the
whole flow from a pay rule to a confirmed payout."""

from __future__ import annotations

from typing import Any

from shoplabel.domain.users import Role
from shoplabel.services import audit
from tests.factories import add_items, matching_payload
from tests.payments.pay_crowd import PAIRS
from tests.services.review_crowd import label
from tests.web.conftest import API, Api, error_code


def _flow(api: Api) -> dict[str, Any]:
    owner = api.user("req", Role.REQUESTER)
    admin = api.user("root", Role.ADMIN)
    w0, w1 = api.user("w0", Role.WORKER), api.user("w1", Role.WORKER)
    project = api.project(owner, settings=PAIRS)
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(4)])
    rule = {"currency": "USD", "reward": 250, "leaderboard": True}
    r = api.client.post(
        f"{API}/projects/{project.id}/pay-rules", json=rule, headers=api.auth("req")
    )
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1
    for _ in range(3):
        item = label(api.uow, w0, project, "same", 3000)
        assert label(api.uow, w1, project, "same", 3000) == item
    return {"owner": owner, "admin": admin, "w0": w0, "w1": w1, "project": project}


def test_rule_earnings_costs_and_leaderboard(api: Api) -> None:
    f = _flow(api)
    pid = f["project"].id
    bad = api.client.post(
        f"{API}/projects/{pid}/pay-rules",
        json={"currency": "USD", "reward": -5},
        headers=api.auth("req"),
    )
    assert (bad.status_code, error_code(bad)) == (422, "pay_rule_negative")
    assert bad.json()["error"]["details"] == {"field": "reward"}
    denied = api.client.post(
        f"{API}/projects/{pid}/pay-rules",
        json={"currency": "USD", "reward": 1},
        headers=api.auth("w0"),
    )
    assert (denied.status_code, error_code(denied)) == (403, "permission_denied")
    assert api.client.post(f"{API}/pay/run", headers=api.auth("w0")).status_code == 403
    run = api.client.post(f"{API}/pay/run", headers=api.auth("root"))
    assert run.json()["n_entries"] == 6
    me = api.client.get(f"{API}/me/earnings", headers=api.auth("w0")).json()
    assert me["balances"] == [
        {
            "currency": "USD",
            "available": 750,
            "in_payout": 0,
            "pending": 750,
            "paid": 0,
            "earned": 750,
        }
    ]
    assert {e["amount_text"] for e in me["entries"]} == {"2.50"}
    assert all(e["project_id"] == pid for e in me["entries"])
    rules = api.client.get(f"{API}/projects/{pid}/pay-rules", headers=api.auth("w0")).json()
    assert rules[0]["rule"]["reward"] == 250
    costs = api.client.get(f"{API}/projects/{pid}/costs", headers=api.auth("req")).json()
    assert (costs["spent"], costs["n_accepted"], costs["cost_per_label"]) == (1500, 6, 250.0)
    assert sum(d["spend"] for d in costs["by_day"]) == 1500
    no = api.client.get(f"{API}/projects/{pid}/costs", headers=api.auth("w0"))
    assert (no.status_code, error_code(no)) == (403, "permission_denied")
    board = api.client.get(f"{API}/projects/{pid}/leaderboard", headers=api.auth("w0")).json()
    assert board["enabled"] and board["rows"] == [] and not board["opted_in"]
    opt = api.client.put(
        f"{API}/projects/{pid}/leaderboard/opt-in",
        json={"opt_in": True, "display_name": "Ace"},
        headers=api.auth("w0"),
    )
    assert opt.status_code == 204
    board = api.client.get(
        f"{API}/projects/{pid}/leaderboard?period=all", headers=api.auth("w1")
    ).json()
    assert [(r["rank"], r["name"], r["n_accepted"], r["is_me"]) for r in board["rows"]] == [
        (1, "Ace", 3, False)
    ]
    assert "w0" not in str(board)


def test_payouts_export_confirm_and_audit(api: Api) -> None:
    f = _flow(api)
    api.client.post(f"{API}/pay/run", headers=api.auth("root"))
    assert api.client.get(f"{API}/payouts", headers=api.auth("req")).status_code == 403
    none = api.client.post(
        f"{API}/payouts", json={"currency": "USD", "minimum": 100_000}, headers=api.auth("root")
    )
    assert none.status_code == 204
    made = api.client.post(
        f"{API}/payouts", json={"currency": "USD", "minimum": 500}, headers=api.auth("root")
    )
    assert made.status_code == 201, made.text
    batch = made.json()
    assert (batch["n_lines"], batch["total"]) == (2, 1500)
    csv_text = api.client.get(
        f"{API}/payouts/{batch['id']}/export?format=csv", headers=api.auth("root")
    ).text
    assert csv_text.startswith("reference,batch_id,worker_id,username,currency,amount_minor,amount")
    lines = api.client.get(f"{API}/payouts/{batch['id']}/lines", headers=api.auth("root")).json()
    body = [
        {
            "reference": x["reference"],
            "status": "paid",
            "amount_minor": x["amount"],
            "provider_ref": "p1",
        }
        for x in lines
    ]
    ok = api.client.post(
        f"{API}/payouts/{batch['id']}/confirm", json=body, headers=api.auth("root")
    )
    assert ok.json() == {
        "batch_id": batch["id"],
        "n_paid": 2,
        "n_failed": 0,
        "n_unchanged": 0,
        "settled": True,
    }
    again = api.client.post(
        f"{API}/payouts/{batch['id']}/confirm", json=body, headers=api.auth("root")
    )
    assert (again.status_code, error_code(again)) == (409, "payout_already_confirmed")
    unknown = api.client.post(f"{API}/payouts/999/confirm", json=body, headers=api.auth("root"))
    assert (unknown.status_code, error_code(unknown)) == (404, "payout_batch_not_found")
    me = api.client.get(f"{API}/me/earnings", headers=api.auth("w1")).json()
    assert me["balances"][0]["paid"] == 750 and me["balances"][0]["pending"] == 0
    assert me["payouts"][0]["status"] == "paid"
    audit.seal(api.uow)
    assert api.client.get(f"{API}/audit/verify", headers=api.auth("w0")).status_code == 403
    verified = api.client.get(f"{API}/audit/verify", headers=api.auth("root")).json()
    # 1 rule change, 6 labels, 1 record of the 6 rewards, the batch's entries and the batch,
    # the confirmation's entries and the confirmation.
    assert verified["ok"] and verified["n_checked"] == 12
    assert f["admin"].username == "root"
