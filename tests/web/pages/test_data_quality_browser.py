"""The data-quality page in a real browser: run the cleaning and report jobs from the page,
then read the stored report with its plotly charts (both window sizes, no raw keys)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from shoplabel.domain.users import Role
from shoplabel.services import imports
from shoplabel.web.i18n import MESSAGES
from tests.web.pages.conftest import LiveServer
from tests.web.pages.test_browser import (  # noqa: F401 - fixtures used by name
    browser,
    check_layout,
    login,
    page,
    project,
    shots,
    user,
)

pytestmark = pytest.mark.browser

CSV = (
    "external_id,left.name,right.name,gold\n"
    "d1,Sony WH-1000XM4 headphones,Sony WH1000XM4/B,same\n"
    "d2,Sony WH-1000XM4 headphones,Sony WH1000XM4/B,different\n"
    "d3,华为 Mate 60 Pro 手机 12GB+512GB,华为Mate60Pro,\n"
    "d4,华为 Mate 60 Pro 手机 12GB+512GB 黑色,华为Mate60Pro,\n"
    "d5,Apple iPad Air,客服 13812345678 user@example.com,\n"
)


def _run_job_from_page(page: Any, button: str) -> None:  # noqa: F811
    page.click(button)
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    page.wait_for_selector("#job[data-finished=true]", timeout=30_000)
    assert page.inner_text("#job-status") == MESSAGES["en"]["jobstatus.done"]
    page.click("#data-quality-link")
    page.wait_for_url(re.compile(r"/data-quality$"))


def test_requester_runs_cleaning_and_reads_the_report(
    page: Any,  # noqa: F811
    live_server: LiveServer,
    shots: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid = project(live_server, owner, "product_matching")
    src = tmp_path / "pairs.csv"
    src.write_text(CSV, encoding="utf-8")
    imports.import_file(live_server.platform.uow, src, actor=owner, project_id=pid)
    login(page, owner.username)
    page.goto(f"/projects/{pid}")
    page.click("text=" + MESSAGES["en"]["project.data_quality"])
    page.wait_for_selector("#no-report")
    check_layout(page, shots, "data-quality-empty")
    _run_job_from_page(page, "#run-dedup")
    _run_job_from_page(page, "#run-report")
    page.wait_for_selector("#chart-duplicates .main-svg")
    page.wait_for_selector("#chart-pii .main-svg")
    assert page.inner_text("#n-items") == "5"
    assert page.inner_text("#conflicting") == "1"
    assert page.inner_text("#pii-items") == "1 / 5"
    assert "13812345678" not in page.content()
    check_layout(page, shots, "data-quality")


def test_worker_cannot_open_the_data_quality_page(
    page: Any,  # noqa: F811 - the pytest fixture
    live_server: LiveServer,
) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid = project(live_server, owner, "product_matching")
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    response = page.goto(f"/projects/{pid}/data-quality")
    assert response.status in (403, 404)
