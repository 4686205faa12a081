"""Upload -> import job -> label -> export, over HTTP, with the import's error reporting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shoplabel.dataprep.readers import iter_record_batches
from shoplabel.domain.users import Role
from shoplabel.jobs.worker import drain
from tests.web.conftest import API, Api, error_code

CSV = (
    "external_id,left.name,right.name,gold\n"
    "a1,Sony WH-1000XM4,Sony WH1000XM4/B,same\n"
    "a2,Bose QC35,Sony WH-1000XM4,maybe\n"  # gold not in the schema
    "a3,Apple iPad Air,iPad Air 64GB,\n"
)


def _upload(api: Api, pid: int, data: bytes, *, user: str = "req", query: str = "") -> Any:
    files = {"file": ("pairs.csv", data, "text/csv")}
    return api.client.post(
        f"{API}/projects/{pid}/imports{query}", files=files, headers=api.auth(user)
    )


def _rows(path: Path) -> list[dict[str, Any]]:
    return [dict(r.fields) for batch in iter_record_batches(path) for r in batch.records]


def _label_everything(api: Api, pid: int) -> None:
    while True:
        r = api.client.post(f"{API}/projects/{pid}/tasks/next", headers=api.auth("wk"))
        if r.status_code == 204:
            return
        lease = r.json()["lease_id"]
        body = {"value": "same", "duration_ms": 1200}
        r = api.client.post(f"{API}/tasks/{lease}/annotations", json=body, headers=api.auth("wk"))
        assert r.status_code == 201, r.text


def _import_and_label(api: Api) -> int:
    owner = api.user("req", Role.REQUESTER)
    api.user("wk", Role.WORKER)
    pid = api.project(owner, settings={"max_overlap": 1}).id
    r = _upload(api, pid, CSV.encode())
    assert r.status_code == 202, r.text
    job = r.json()
    assert (job["kind"], job["status"], job["result"]) == ("import", "pending", None)
    assert drain(api.platform.uow) == 1
    r = api.client.get(f"{API}/jobs/{job['id']}", headers=api.auth("req"))
    done = r.json()
    assert done["status"] == "done", done
    result = done["result"]
    assert (result["rows"], result["inserted"], result["rejected"]) == (3, 2, 1)
    assert [(e["row"], e["field"], e["code"]) for e in result["errors"]] == [
        (2, "gold", "label_not_in_schema")
    ]
    assert "rejects_path" not in result  # server paths stay on the server
    assert done["progress_done"] == done["progress_total"]
    rejects = api.client.get(done["rejects_url"], headers=api.auth("req"))
    assert rejects.status_code == 200
    assert "attachment" in rejects.headers["content-disposition"]
    lines = rejects.text.splitlines()
    assert lines[0] == "row,field,code,reason"
    assert lines[1].startswith("2,gold,label_not_in_schema,")
    _label_everything(api, pid)
    return pid


def test_import_label_export_round_trip(api: Api, tmp_path: Path) -> None:
    pid = _import_and_label(api)
    h = api.auth("req")
    r = api.client.get(f"{API}/projects/{pid}/export?format=jsonl&kind=items", headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert 'filename="project-' in r.headers["content-disposition"]
    items = [json.loads(line) for line in r.text.splitlines()]
    assert sorted(i["external_id"] for i in items) == ["a1", "a3"]
    gold = {i["external_id"]: i["gold"] for i in items}
    assert gold == {"a1": "same", "a3": None}
    labels = [a for i in items for a in i["annotations"]]
    assert {(a["worker"], a["source"], a["value"]) for a in labels} == {("wk", "human", "same")}
    assert all(a["created_at"].startswith("2026-01-01") for a in labels)

    for fmt in ("csv", "parquet", "jsonl"):
        r = api.client.get(f"{API}/projects/{pid}/export?format={fmt}&kind=annotations", headers=h)
        assert r.status_code == 200, (fmt, r.text)
        path = tmp_path / f"export.{fmt}"
        path.write_bytes(r.content)
        rows = _rows(path)
        assert len(rows) == 2, fmt
        assert {str(row["worker"]) for row in rows} == {"wk"}
        assert {str(row["source"]) for row in rows} == {"human"}
        assert {str(row["external_id"]) for row in rows} == {"a1", "a3"}
        assert all(str(row["created_at"]).startswith("2026-01-01") for row in rows)
        assert {int(str(row["duration_ms"])) for row in rows} == {1200}
    assert not list((api.platform.settings.data_dir / "exports").iterdir())  # temp file gone

    r = api.client.get(f"{API}/projects/{pid}/export?format=csv&kind=items", headers=h)
    path = tmp_path / "items.csv"
    path.write_bytes(r.content)
    by_id = {row["external_id"]: row for row in _rows(path)}
    assert json.loads(str(by_id["a1"]["annotations"]))[0]["worker"] == "wk"


def test_export_rejects_unknown_format(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    pid = api.project(owner).id
    r = api.client.get(f"{API}/projects/{pid}/export?format=xlsx", headers=api.auth("req"))
    assert (r.status_code, error_code(r)) == (422, "invalid_request")
    r = api.client.get(f"{API}/projects/{pid}/export", headers=api.auth("req"))
    assert (r.status_code, r.content) == (200, b"")


def test_strict_import_with_a_bad_row_fails_and_stores_nothing(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    pid = api.project(owner).id
    r = _upload(api, pid, CSV.encode(), query="?strict=true")
    assert r.status_code == 202, r.text
    drain(api.platform.uow)
    job = api.client.get(f"{API}/jobs/{r.json()['id']}", headers=api.auth("req")).json()
    assert job["status"] == "failed"
    assert job["error"].startswith("import_rejected:")
    assert [(e["row"], e["code"]) for e in job["result"]["errors"]] == [(2, "label_not_in_schema")]
    project = api.client.get(f"{API}/projects/{pid}", headers=api.auth("req")).json()
    assert project["counters"]["n_items"] == 0
    items = api.client.get(f"{API}/projects/{pid}/items", headers=api.auth("req")).json()
    assert items["items"] == []
    assert api.client.get(job["rejects_url"], headers=api.auth("req")).status_code == 200


def test_upload_over_the_limit_is_413(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    pid = api.project(owner).id
    small = api.with_settings(max_upload_mb=1)
    big = b"external_id,left.name,right.name\n" + b"x,a,b\n" * 200_000  # 1.2 MB
    files = {"file": ("pairs.csv", big, "text/csv")}
    r = small.post(f"{API}/projects/{pid}/imports", files=files, headers=api.auth("req"))
    assert (r.status_code, error_code(r)) == (413, "upload_too_large")  # counted while copied
    huge = big * 3  # 3.6 MB: refused by its Content-Length before the body is read
    files = {"file": ("pairs.csv", huge, "text/csv")}
    r = small.post(f"{API}/projects/{pid}/imports", files=files)  # even before auth
    assert (r.status_code, error_code(r)) == (413, "upload_too_large")
    assert r.json()["error"]["details"] == {"max_upload_mb": 1}
    assert not list((api.platform.settings.data_dir / "uploads").iterdir())


def test_import_errors_before_any_job(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    pid = api.project(owner).id
    files = {"file": ("pairs.xlsx", b"x", "application/octet-stream")}
    r = api.client.post(f"{API}/projects/{pid}/imports", files=files, headers=api.auth("req"))
    assert (r.status_code, error_code(r)) == (422, "unsupported_format")
    r = _upload(api, pid, b"a\n", query="?fmt=xml")
    assert (r.status_code, error_code(r)) == (422, "unsupported_format")
    r = api.client.post(f"{API}/projects/{pid}/imports", headers=api.auth("req"))
    assert (r.status_code, error_code(r)) == (422, "invalid_request")
    r = _upload(api, 999999, CSV.encode())
    assert (r.status_code, error_code(r)) == (404, "project_not_found")


def test_jobs_are_private_to_their_project_managers(api: Api) -> None:
    owner = api.user("req", Role.REQUESTER)
    api.user("other", Role.REQUESTER)
    api.user("wk", Role.WORKER)
    pid = api.project(owner).id
    job = _upload(api, pid, CSV.encode()).json()
    for user in ("other", "wk"):
        r = api.client.get(f"{API}/jobs/{job['id']}", headers=api.auth(user))
        assert (r.status_code, error_code(r)) == (404, "job_not_found")
        r = api.client.get(f"{API}/jobs/{job['id']}/rejects", headers=api.auth(user))
        assert (r.status_code, error_code(r)) == (404, "job_not_found")
    r = api.client.get(f"{API}/jobs/{job['id']}/rejects", headers=api.auth("req"))
    assert (r.status_code, error_code(r)) == (404, "not_found")  # not run yet: no rejects
    r = api.client.get(f"{API}/jobs/999999", headers=api.auth("req"))
    assert (r.status_code, error_code(r)) == (404, "job_not_found")
