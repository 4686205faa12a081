"""Pay pages through TestClient: worker earnings and leaderboard opt-in, requester costs,
admin payouts (create and confirm by form, 303), roles and CSRF."""

from __future__ import annotations

import io

from shoplabel.domain.users import Role
from shoplabel.services import pay_run, payouts
from tests.factories import add_items, matching_payload
from tests.payments.pay_crowd import PAIRS
from tests.services.review_crowd import label
from tests.web.conftest import API, Api
from tests.web.pages.conftest import page_login


def _paid(api: Api) -> int:
    owner = api.user("req", Role.REQUESTER)
    w0, w1 = api.user("w0", Role.WORKER), api.user("w1", Role.WORKER)
    project = api.project(owner, settings=PAIRS)
    add_items(api.uow(), project.id, [matching_payload(i) for i in range(3)])
    rule = {"currency": "CNY", "reward": 120, "leaderboard": True}
    api.client.post(f"{API}/projects/{project.id}/pay-rules", json=rule, headers=api.auth("req"))
    for _ in range(2):
        item = label(api.uow, w0, project, "same", 3000)
        assert label(api.uow, w1, project, "same", 3000) == item
    pay_run.run(api.uow)
    return project.id


def test_worker_earnings_and_leaderboard_pages(api: Api) -> None:
    pid = _paid(api)
    csrf = page_login(api.client, "w0")
    page = api.client.get("/earnings")
    assert page.status_code == 200
    assert 'data-testid="pending">2.40<' in page.text
    assert 'href="/earnings"' in page.text
    board = api.client.get(f"/projects/{pid}/leaderboard")
    assert 'id="opt-in"' in board.text
    assert (
        api.client.post(f"/projects/{pid}/leaderboard", data={"opt_in": "true"}).status_code == 403
    )
    r = api.client.post(
        f"/projects/{pid}/leaderboard",
        data={"opt_in": "true", "display_name": "Speedy", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    board = api.client.get(f"/projects/{pid}/leaderboard?period=all")
    assert "Speedy" in board.text and 'id="opt-out"' in board.text
    assert api.client.get(f"/projects/{pid}/costs").status_code == 403
    assert api.client.get("/admin/payouts").status_code == 403


def test_requester_costs_page(api: Api) -> None:
    pid = _paid(api)
    page_login(api.client, "req")
    dash = api.client.get(f"/projects/{pid}/dashboard")
    assert f'href="/projects/{pid}/costs"' in dash.text
    page = api.client.get(f"/projects/{pid}/costs")
    assert page.status_code == 200
    assert 'data-testid="spent">4.80 CNY<' in page.text
    assert 'data-testid="per-label">1.2000<' in page.text
    api.client.cookies.set("lang", "zh-CN")
    zh = api.client.get(f"/projects/{pid}/costs")
    assert "每条采纳标注成本" in zh.text


def test_admin_creates_and_confirms_a_payout_by_form(api: Api) -> None:
    _paid(api)
    api.user("root", Role.ADMIN)
    csrf = page_login(api.client, "root")
    r = api.client.post(
        "/admin/payouts",
        data={"currency": "cny", "minimum": "100", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert (r.status_code, r.headers["location"]) == (303, "/admin/payouts?notice=created")
    page = api.client.get(r.headers["location"])
    assert 'data-batch="1"' in page.text
    (batch,) = payouts.list_batches(api.uow(), actor=None)
    _, lines = payouts.batch_lines(api.uow(), actor=None, batch_id=batch.id)
    text = "reference,status,amount_minor,provider_ref\n" + "".join(
        f"{x.reference},paid,{x.amount},alipay-{x.id}\n" for x in lines
    )
    files = {"file": ("confirm.csv", io.BytesIO(text.encode()), "text/csv")}
    ok = api.client.post(
        "/admin/payouts/confirm", data={"csrf_token": csrf}, files=files, follow_redirects=False
    )
    assert ok.status_code == 303
    files = {"file": ("confirm.csv", io.BytesIO(text.encode()), "text/csv")}
    again = api.client.post("/admin/payouts/confirm", data={"csrf_token": csrf}, files=files)
    assert again.status_code == 409
    assert "payout_already_confirmed" in again.text
