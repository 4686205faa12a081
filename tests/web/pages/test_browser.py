"""The pages in a real browser: Debian's Chromium driven by Playwright against a live server.

Each page visited is screenshotted at 1280x720 and 390x844 into a temporary folder and checked
for horizontal overflow and for raw catalogue keys (an untranslated string).
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shoplabel.domain.ai import ReviewFlag
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.training import FeedbackSignal
from shoplabel.domain.users import Actor, Role
from shoplabel.services import (
    auth,
    feedback,
    imports,
    pay_rules,
    pay_run,
    projects,
    submissions,
    worker_quality,
)
from shoplabel.services.feedback import FeedbackInput
from shoplabel.web.i18n import MESSAGES
from tests.factories import PASSWORD, add_items, matching_payload
from tests.pii_seed import REVIEWS, leaks, reviews_csv
from tests.services.review_crowd import label
from tests.web.pages.conftest import LiveServer

pytestmark = pytest.mark.browser

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORTS = ((1280, 720), (390, 844))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_names = itertools.count()
_KEY = re.compile(
    r"\b(?:" + "|".join(sorted({k.split(".")[0] for k in MESSAGES["en"]})) + r")\.[a-z_]+\b"
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make browser-deps)")
    pw = playwright_sync.sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    context.set_default_timeout(10_000)
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


def user(server: LiveServer, role: Role) -> Actor:
    name = f"{role.value}{next(_names)}"
    made = auth.create_user(
        server.platform.uow(), actor=None, username=name, password=PASSWORD, role=role
    )
    return Actor.of(made)


def project(
    server: LiveServer, owner: Actor, template: str, schema: dict[str, Any] | None = None
) -> ProjectId:
    spec = projects.ProjectSpec(
        name=f"{template} {next(_names)}",
        template=template,
        schema=schema,
        settings={"max_overlap": 1, "min_overlap": 1},
    )
    return projects.create_project(server.platform.uow(), spec, actor=owner).id


def login(page: Any, username: str) -> None:
    """Log in with the keyboard only: the username field has the focus."""
    page.goto("/login")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/(home|projects|admin/users)$"))


def check_layout(page: Any, shots: Path, name: str) -> None:
    """Screenshot at both sizes; no horizontal overflow and no raw catalogue key on the page."""
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(100)  # let responsive charts re-lay out after the resize
        page.screenshot(path=str(shots / f"{name}-{width}x{height}.png"), full_page=True)
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{name} overflows at {width}px: {scroll} > {inner}"
        text = page.inner_text("body")
        leaked = [k for k in _KEY.findall(text) if k in MESSAGES["en"]]
        assert not leaked, f"{name}: untranslated keys {leaked}"
    page.set_viewport_size({"width": 1280, "height": 720})


def labels_of(server: LiveServer, owner: Actor, project_id: ProjectId) -> list[Any]:
    rows = submissions.list_annotations(
        server.platform.uow(), actor=owner, project_id=project_id, limit=100
    )
    return [a.value for a in rows]


def wait_next_item(page: Any, previous: str | None) -> str:
    """Wait until the annotate page shows a task other than ``previous``; return its lease."""
    page.wait_for_function(
        "prev => { const t = document.getElementById('task');"
        " return !t.hidden && t.dataset.lease && t.dataset.lease !== prev; }",
        arg=previous or "",
    )
    lease: str = page.get_attribute("#task", "data-lease")
    return lease


def test_worker_labels_ten_items_by_keyboard(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid = project(live_server, owner, "product_categorisation")
    payloads = [
        {
            "title": f"Stainless kettle {i}",
            "description": "A 1.7 l kettle with auto shut-off. " * 12,
            "price": f"{20 + i}.99",
            "attributes": {"brand": "Acme", "capacity": "1.7 l"},
            "image_url": f"{live_server.url}/static/missing-{i}.png",
        }
        for i in range(12)
    ]
    add_items(live_server.platform.uow(), pid, payloads)
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    check_layout(page, shots, "worker-home")
    with page.expect_response(re.compile(r"/tasks/next$")) as first:
        page.goto(f"/projects/{pid}/annotate")
    task = first.value.json()
    assert "gold" not in task
    assert "gold" not in task["data"]
    lease = wait_next_item(page, None)
    assert page.locator("img.product-image").get_attribute("referrerpolicy") == "no-referrer"
    assert page.locator("details.long").count() == 1
    check_layout(page, shots, "annotate-categorical")
    page.keyboard.press("?")
    assert page.is_visible("#help")
    check_layout(page, shots, "annotate-help")
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    assert page.is_visible("#instructions")
    page.keyboard.press("i")
    for n in range(10):
        page.keyboard.press("2")
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.getElementById('progress').textContent === '{n + 1}'")
        if n < 9:
            lease = wait_next_item(page, lease)
    assert labels_of(live_server, owner, pid) == ["home"] * 10
    page.keyboard.press("s")
    wait_next_item(page, lease)
    page.goto("/home")
    assert page.locator("[data-testid=my-labels]").first.inner_text() == "10"


def test_span_by_mouse_and_keyboard(page: Any, live_server: LiveServer, shots: Path) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid = project(live_server, owner, "attribute_extraction")
    title = "Apple iPhone 15 Pro 256GB Black"
    add_items(live_server.platform.uow(), pid, [{"title": title, "description": "Phone."}])
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    page.goto(f"/projects/{pid}/annotate")
    wait_next_item(page, None)
    first = page.locator('#spantext span[data-i="0"]').bounding_box()
    fifth = page.locator('#spantext span[data-i="4"]').bounding_box()
    y = first["y"] + first["height"] / 2
    page.mouse.move(first["x"] + 1, y)
    page.mouse.down()
    page.mouse.move(fifth["x"] + fifth["width"] - 1, y, steps=5)
    page.mouse.up()
    page.keyboard.press("1")  # brand
    assert page.locator("#spanlist li[data-label=brand]").inner_text().endswith("Apple")
    page.keyboard.press("ArrowRight")  # caret from 5 to 6, the start of "iPhone"
    for _ in range(6):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("2")  # model
    check_layout(page, shots, "annotate-spans")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done", state="visible")
    assert labels_of(live_server, owner, pid) == [
        [
            {"start": 0, "end": 5, "label": "brand"},
            {"start": 6, "end": 12, "label": "model"},
        ]
    ]


def test_pairwise_and_rating_by_keyboard(page: Any, live_server: LiveServer, shots: Path) -> None:
    owner = user(live_server, Role.REQUESTER)
    pair = project(live_server, owner, "custom", {"kind": "pairwise", "allow_tie": True})
    rating = project(
        live_server, owner, "custom", {"kind": "rating", "min": 1, "max": 5, "step": 1}
    )
    side = {"title": "Sony WH-1000XM5 wireless noise cancelling headphones", "price": "299"}
    add_items(live_server.platform.uow(), pair, [{"left": side, "right": {**side, "price": "279"}}])
    add_items(live_server.platform.uow(), rating, [{"review": "Good value, fast delivery."}])
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    page.goto(f"/projects/{pair}/annotate")
    wait_next_item(page, None)
    check_layout(page, shots, "annotate-pairwise")
    page.set_viewport_size({"width": 390, "height": 844})
    left, right = (page.locator(f".side[data-side={s}]").bounding_box() for s in ("left", "right"))
    assert right["y"] >= left["y"] + left["height"] - 1, "sides must stack on a phone"
    page.set_viewport_size({"width": 1280, "height": 720})
    left, right = (page.locator(f".side[data-side={s}]").bounding_box() for s in ("left", "right"))
    assert abs(left["y"] - right["y"]) < 1, "sides must sit side by side on a desktop"
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done", state="visible")
    page.goto(f"/projects/{rating}/annotate")
    wait_next_item(page, None)
    page.keyboard.press("3")
    page.keyboard.press("ArrowUp")
    check_layout(page, shots, "annotate-rating")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done", state="visible")
    assert labels_of(live_server, owner, pair) == ["right"]
    assert labels_of(live_server, owner, rating) == [4]


CSV = (
    "external_id,title,description,price\n"
    "a1,Cotton T-shirt,Soft cotton,9.99\n"
    "a2,,Missing the required title,5.00\n"
    "a3,Rice cooker 1.8 l,Non-stick bowl,49.00\n"
)


def test_requester_creates_imports_and_sees_dashboard(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    requester = user(live_server, Role.REQUESTER)
    login(page, requester.username)
    check_layout(page, shots, "projects")
    page.goto("/projects/new")
    page.select_option("#template", "product_categorisation")
    assert '"electronics"' in page.input_value("#labels")
    assert page.locator("#label-rows tbody tr").count() == 7
    page.click("#add-label")  # the label editor writes its rows back into the JSON field
    row = page.locator("#label-rows tbody tr").last
    row.locator("input[data-col=value]").fill("toys")
    row.locator("input[data-col=description]").fill("Toys and games.")
    row.locator("input[data-col=hotkey]").fill("t")
    added = json.loads(page.input_value("#labels"))["labels"][-1]
    assert added == {"value": "toys", "description": "Toys and games.", "hotkey": "t"}
    page.fill("#name", "Categories")
    page.fill("#max_overlap", "two")
    assert not page.is_visible("#target_confidence")
    page.select_option("#overlap_mode", "dynamic")
    page.fill("#target_confidence", "0.9")
    page.fill("#gold_rate", "0.1")
    page.check("#exam")
    page.fill("#exam_questions", "3")
    page.fill("#exam_pass_mark", "0.7")
    page.select_option("#rules_mode", "custom")
    page.fill("#quality_rules", '{"rules": [')
    assert page.is_visible("#quality_rules-live")  # checked as typed, before any post
    check_layout(page, shots, "new-project-wizard")
    page.click("button[type=submit].primary")
    assert page.is_visible("#max_overlap-error")
    assert page.is_visible("#quality_rules-error")
    check_layout(page, shots, "new-project-error")
    page.fill("#max_overlap", "2")
    page.select_option("#rules_mode", "default")
    page.fill("#review_stages", "check, expert")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/projects/\d+$"))
    pid = ProjectId(int(page.url.rsplit("/", 1)[1]))
    created = projects.get_project(live_server.platform.uow(), actor=requester, project_id=pid)
    assert created.settings.exam == {"questions": 3, "pass_mark": 0.7}
    assert (created.settings.gold_rate, created.settings.review_stages) == (
        0.1,
        ("check", "expert"),
    )
    assert created.schema.labels[-1].hotkey == "t"
    check_layout(page, shots, "project")
    page.set_input_files(
        "#file", files=[{"name": "items.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    page.wait_for_selector("#row-errors", timeout=20_000)
    rows = page.locator("#row-errors tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").first.inner_text() == "2"
    check_layout(page, shots, "import-job")
    page.click("text=" + MESSAGES["en"]["job.back"])
    page.click("text=" + MESSAGES["en"]["project.dashboard"])
    page.wait_for_selector("#chart-progress .main-svg")
    page.wait_for_selector("#chart-activity .main-svg", state="attached")
    assert page.is_visible("#no-activity")  # nothing labelled yet
    assert page.is_visible("#no-snapshot")
    page.click("#refresh")  # queued; the page polls the job and reloads when it is done
    page.wait_for_selector("#snapshot-age", timeout=20_000)
    page.wait_for_selector("#chart-confidence .main-svg")
    page.wait_for_selector("#chart-cost .main-svg")
    assert page.locator(".js-plotly-plot").count() == 7
    assert page.is_visible("#alpha")
    check_layout(page, shots, "dashboard")


def test_worker_cannot_open_requester_pages(page: Any, live_server: LiveServer) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid = project(live_server, owner, "product_matching")
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    for path in ("/projects", "/projects/new", f"/projects/{pid}", f"/projects/{pid}/dashboard"):
        response = page.goto(path)
        assert response.status in (403, 404), path
        assert page.is_visible("text=" + MESSAGES["en"]["error.back"])


def test_chinese_pages_and_admin(page: Any, live_server: LiveServer, shots: Path) -> None:
    admin = user(live_server, Role.ADMIN)
    target = user(live_server, Role.WORKER)
    page.goto("/login")
    page.click("a[hreflang=zh-CN]")
    assert page.is_visible("text=" + MESSAGES["zh-CN"]["login.title"])
    check_layout(page, shots, "login-zh")
    login(page, admin.username)
    check_layout(page, shots, "admin-users-zh")
    row = page.locator(f"tr[data-user={target.username}]")
    row.locator("select[name=status]").select_option("suspended")
    row.locator("form[action$=status] button").click()
    page.wait_for_url(re.compile(r"/admin/users$"))
    status = page.locator(f"tr[data-user={target.username}] td").nth(2).inner_text()
    assert status == MESSAGES["zh-CN"]["status.suspended"]
    page.click("nav >> text=" + MESSAGES["zh-CN"]["nav.health"])
    page.wait_for_url(re.compile(r"/admin/health$"))
    assert page.inner_text("#schema-status") == MESSAGES["zh-CN"]["health.at_head"]
    assert page.inner_text("#db-status") == MESSAGES["zh-CN"]["health.reachable"]
    check_layout(page, shots, "admin-health-zh")


def test_ordinal_and_multi_label_by_keyboard(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    owner = user(live_server, Role.REQUESTER)
    relevance = project(live_server, owner, "query_product_relevance")
    tags = {"kind": "multi_label", "labels": ["gift", "eco", "sale"], "min_selected": 1}
    multi = project(live_server, owner, "custom", tags)
    product = {
        "title": "华为 MatePad 11 平板电脑",
        "price": "¥2299",
        "attributes": {"存储": "128G"},
    }
    add_items(live_server.platform.uow(), relevance, [{"query": "平板电脑", "product": product}])
    add_items(live_server.platform.uow(), multi, [{"title": "Bamboo toothbrush, 4 pack"}])
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    page.goto(f"/projects/{relevance}/annotate")
    wait_next_item(page, None)
    assert page.locator(".query").inner_text().endswith("平板电脑")
    check_layout(page, shots, "annotate-ordinal")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done", state="visible")
    page.goto(f"/projects/{multi}/annotate")
    wait_next_item(page, None)
    page.keyboard.press("Enter")  # nothing selected yet: refused with a message, not sent
    assert page.locator("#status.error").is_visible()
    for key in ("1", "3", "2", "2"):  # 2 toggled on and off again
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    page.wait_for_selector("#done", state="visible")
    assert labels_of(live_server, owner, relevance) == ["exact"]
    assert labels_of(live_server, owner, multi) == [["gift", "sale"]]


def _split_project(server: LiveServer, owner: Actor, n_items: int) -> tuple[ProjectId, list[Any]]:
    """Two workers disagree on ``n_items`` items (max overlap 2), which go to review, and
    agree on one more, which the crowd closes."""
    settings = {"overlap_mode": "dynamic", "min_overlap": 2, "max_overlap": 2}
    spec = projects.ProjectSpec(
        name=f"Matching review {next(_names)}",
        template="product_matching",
        settings={**settings, "target_confidence": 0.8, "gold_rate": 0},
    )
    pid = projects.create_project(server.platform.uow(), spec, actor=owner).id
    add_items(server.platform.uow(), pid, [matching_payload(i) for i in range(n_items + 1)])
    proj = projects.get_project(server.platform.uow(), actor=owner, project_id=pid)
    w0, w1 = user(server, Role.WORKER), user(server, Role.WORKER)
    items = []
    for _ in range(n_items):
        item = label(server.platform.uow, w0, proj, "same", 1500)
        assert label(server.platform.uow, w1, proj, "different", 2500) == item
        items.append(item)
    agreed = label(server.platform.uow, w0, proj, "same", 1000)  # closed by the crowd
    assert label(server.platform.uow, w1, proj, "same", 1000) == agreed
    return pid, items


def _statuses(server: LiveServer, items: list[Any]) -> list[ItemStatus]:
    with server.platform.uow().reading() as uow:
        return [uow.items.get(i).status for i in items]


def test_reviewer_resolves_disagreements_by_keyboard(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid, items = _split_project(live_server, owner, 2)
    reviewer = user(live_server, Role.REVIEWER)
    login(page, reviewer.username)
    page.click("nav >> text=" + MESSAGES["en"]["nav.review"])
    page.click(f"a[href='/projects/{pid}/review']")
    page.wait_for_selector(f"#review-item[data-item='{items[0]}']")
    assert page.locator("#review-labels tbody tr").count() == 2
    assert page.locator("#posterior .bar").count() == 2
    check_layout(page, shots, "review-queue")
    page.keyboard.press("Enter")  # no decision yet: the error is shown next to the field
    page.wait_for_selector("#decision-error")
    page.keyboard.press("c")
    assert page.is_visible("#values")
    page.keyboard.press("2")  # "different"; the reason field takes the focus
    page.keyboard.type("Different model numbers")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#review-item[data-item='{items[1]}']")
    assert page.is_visible("#last")
    page.keyboard.press("?")
    assert page.is_visible("#help")
    check_layout(page, shots, "review-help")
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    page.wait_for_selector("#queue-empty")
    assert _statuses(live_server, items) == [ItemStatus.DONE, ItemStatus.DONE]
    page.context.clear_cookies()
    login(page, owner.username)
    page.goto(f"/projects/{pid}/dashboard")
    page.click("#refresh")
    page.wait_for_selector("#snapshot-age", timeout=20_000)
    page.wait_for_selector("#chart-activity .bars .point", state="attached")  # this hour's labels
    assert not page.is_visible("#no-activity")
    page.wait_for_selector("#chart-accuracy .main-svg")
    page.wait_for_selector("#chart-per-item .main-svg")
    assert page.locator("#worker-table tr[data-worker]").count() == 2
    page.wait_for_selector("#chart-cost .scatterlayer .trace")
    assert not page.is_visible("text=" + MESSAGES["en"]["dash.no_cost"])
    check_layout(page, shots, "dashboard-quality")


def test_reviewer_sees_why_automatic_review_flagged_an_item(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid, items = _split_project(live_server, owner, 1)
    with live_server.platform.uow() as uow:
        consensus = uow.consensus.get_many(items)[items[0]]
        value = str(consensus.value)
        suggested = "different" if value == "same" else "same"
        reason = (
            f"automatic review (cleanlab): the consensus '{value}' has label quality 0.08; "
            f"the model answers '{suggested}' with probability 92%"
        )
        uow.ai.add_review_flags(pid, [ReviewFlag(items[0], value, suggested, 0.08, reason)])
        uow.commit()
    login(page, user(live_server, Role.REVIEWER).username)
    page.goto(f"/projects/{pid}/review")
    page.wait_for_selector(f"#review-item[data-item='{items[0]}']")
    assert page.inner_text("#review-flag h2") == MESSAGES["en"]["review.flag"]
    assert page.inner_text("#flag-reason") == reason
    assert page.inner_text("#flag-suggested") == suggested
    check_layout(page, shots, "review-flag")
    page.keyboard.press("a")  # the reviewer keeps the consensus: the flag is settled
    page.keyboard.press("Enter")
    page.wait_for_selector("#queue-empty")
    assert not page.is_visible("#review-flag")


def test_worker_takes_the_exam_by_keyboard(page: Any, live_server: LiveServer, shots: Path) -> None:
    owner = user(live_server, Role.REQUESTER)
    exam = {"questions": 2, "pass_mark": 0.5, "training": True}
    spec = projects.ProjectSpec(
        name=f"Exam {next(_names)}",
        template="product_matching",
        settings={"exam": exam, "gold_rate": 0},
    )
    pid = projects.create_project(live_server.platform.uow(), spec, actor=owner).id
    payloads = [matching_payload(i) for i in range(3)]
    add_items(live_server.platform.uow(), pid, payloads, gold=["different"] * 3)
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    page.goto(f"/projects/{pid}/exam")
    check_layout(page, shots, "exam-start")
    page.keyboard.press("Enter")
    page.wait_for_selector("#question")
    check_layout(page, shots, "exam-question")
    page.keyboard.press("1")  # "same": wrong, and training mode reveals the answer
    page.wait_for_selector("#revealed-answer")
    assert page.inner_text("#revealed-answer") == "different"
    check_layout(page, shots, "exam-revealed")
    page.keyboard.press("2")
    page.wait_for_selector("#exam-passed")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/projects/{pid}/annotate$"))
    page.click("#standing summary")
    assert page.is_visible("#standing .stats")
    check_layout(page, shots, "annotate-standing")


def test_worker_sees_masked_text_and_owner_reveals_with_an_audit(
    browser: Any, page: Any, live_server: LiveServer, shots: Path, tmp_path: Path
) -> None:
    owner = user(live_server, Role.REQUESTER)
    spec = projects.ProjectSpec(
        name=f"masked reviews {next(_names)}",
        template="review_sentiment",
        settings={"privacy": {"fields": {"review": {"worker": "tag", "manager": "partial"}}}},
    )
    pid = projects.create_project(live_server.platform.uow(), spec, actor=owner).id
    src = tmp_path / "reviews.csv"
    src.write_bytes(reviews_csv(gold=[""] * len(REVIEWS)))  # no gold: every item is a task
    imports.import_file(
        live_server.platform.uow,
        src,
        actor=owner,
        project_id=pid,
        keys=live_server.platform.privacy,
    )
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    page.goto(f"/projects/{pid}/annotate")
    wait_next_item(page, None)
    shown = page.inner_text("#task")
    assert "[PHONE]" in shown or "[NAME]" in shown, shown
    assert not leaks(page.content())
    check_layout(page, shots, "annotate-masked")
    assert page.goto(f"/projects/{pid}/privacy").status == 403

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    context.set_default_timeout(10_000)
    owner_page = context.new_page()
    try:
        login(owner_page, owner.username)
        owner_page.goto(f"/projects/{pid}")
        owner_page.click("text=" + MESSAGES["en"]["project.privacy"])
        owner_page.wait_for_selector("#no-reveals")
        item = projects.list_items(live_server.platform.uow(), actor=owner, project_id=pid)[0]
        owner_page.fill("#item_id", str(item.id))
        owner_page.click("#item-lookup button")
        owner_page.wait_for_selector("#reveal-form")
        assert "138****5678" in owner_page.inner_text("#masked-payload")
        assert not leaks(owner_page.content())
        check_layout(owner_page, shots, "privacy-item")
        owner_page.fill("#reason", "customer asked for a callback")
        owner_page.click("#reveal-form button")
        owner_page.wait_for_selector("#originals")
        assert REVIEWS[0] in owner_page.inner_text("#originals")
        row = owner_page.locator("#reveal-audit tbody tr").first.inner_text()
        assert owner.username in row and "customer asked for a callback" in row and "review" in row
        check_layout(owner_page, shots, "privacy-revealed")
    finally:
        context.close()


def test_worker_sees_earnings_rejections_and_joins_the_leaderboard(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    uows = live_server.platform.uow
    owner = user(live_server, Role.REQUESTER)
    worker = user(live_server, Role.WORKER)
    paid, rejected = (
        projects.get_project(uows(), actor=owner, project_id=project(live_server, owner, t))
        for t in ("product_matching", "product_matching")
    )
    rule = {"currency": "USD", "reward": 150, "leaderboard": True}
    for p in (paid, rejected):
        pay_rules.set_rule(uows(), actor=owner, project_id=p.id, rule=rule)
        add_items(uows(), p.id, [matching_payload(i) for i in range(3)])
    for _ in range(3):
        label(uows, worker, paid, "same", 3000)
    label(uows, worker, rejected, "same", 3000)
    pay_run.run(uows)
    with uows() as uow:
        uow.workers.add_event(
            rejected.id, worker.user_id, rule="fast", actions=[], reason="answers too fast"
        )
        worker_quality.reject_labels(uow, uow.projects.get(rejected.id), worker.user_id)
        uow.commit()
    pay_run.run(uows)
    login(page, worker.username)
    page.click("nav a[href='/earnings']")
    page.wait_for_url(re.compile(r"/earnings$"))
    assert page.inner_text("[data-testid=pending]") == "4.50"
    reversal = page.locator("#rejections tr[data-kind=reversal]")
    assert "answers too fast" in reversal.inner_text()
    check_layout(page, shots, "earnings")
    page.click("a[hreflang=zh-CN]")
    assert page.is_visible("text=" + MESSAGES["zh-CN"]["pay.pending"])
    check_layout(page, shots, "earnings-zh")
    page.click("a[hreflang=en]")
    page.goto(f"/projects/{paid.id}/leaderboard")
    page.fill("#display_name", "Kettle King")
    page.click("#opt-in")
    page.wait_for_selector("#opt-out")
    page.goto(f"/projects/{paid.id}/leaderboard?period=all")
    row = page.locator("#leaderboard tr.me")
    assert "Kettle King" in row.inner_text() and "4.50" in row.inner_text()
    check_layout(page, shots, "leaderboard")


#: Per template (or custom kind): the schema, one item payload, the keys that answer an item
#: and the label they store.
_SIDE = {"title": "Sony WH-1000XM5 wireless headphones", "price": "299"}
EVERY_TEMPLATE: dict[str, tuple[str, dict[str, Any] | None, dict[str, Any], list[str], Any]] = {
    "relevance": (
        "query_product_relevance",
        None,
        {"query": "wireless headphones", "product": {"title": "Sony WH-1000XM5", "price": "299"}},
        ["1"],
        "exact",
    ),
    "matching": ("product_matching", None, matching_payload(0), ["2"], "different"),
    "categorisation": ("product_categorisation", None, {"title": "Rice cooker"}, ["2"], "home"),
    "attributes": (
        "attribute_extraction",
        None,
        {"title": "Apple iPhone 15 Pro 256GB Black"},
        ["Shift+ArrowRight"] * 5 + ["1"],
        [{"start": 0, "end": 5, "label": "brand"}],
    ),
    "sentiment": ("review_sentiment", None, {"review": "物流很快，质量很好"}, ["1"], "positive"),
    "intent": ("search_intent", None, {"query": "iphone 15 pro case"}, ["1"], "specific_product"),
    "pairwise": ("custom", {"kind": "pairwise"}, {"left": _SIDE, "right": _SIDE}, ["1"], "left"),
    "rating": ("custom", {"kind": "rating", "min": 1, "max": 5}, {"review": "Fine."}, ["4"], 4),
    "multi_label": (
        "custom",
        {"kind": "multi_label", "labels": ["gift", "eco", "sale"]},
        {"title": "Bamboo toothbrush"},
        ["1", "3"],
        ["gift", "sale"],
    ),
}


@pytest.mark.parametrize("case", sorted(EVERY_TEMPLATE))
def test_worker_labels_ten_items_of_each_template_by_keyboard_only(
    page: Any, live_server: LiveServer, shots: Path, case: str
) -> None:
    template, schema, payload, keys, stored = EVERY_TEMPLATE[case]
    owner = user(live_server, Role.REQUESTER)
    pid = project(live_server, owner, template, schema)
    add_items(live_server.platform.uow(), pid, [payload] * 10, prefix=case)
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    page.goto(f"/projects/{pid}/annotate")
    lease = wait_next_item(page, None)
    check_layout(page, shots, f"annotate-every-{case}")
    for n in range(10):
        for key in keys:
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        if n < 9:
            page.wait_for_function(f"document.getElementById('progress').textContent === '{n + 1}'")
            lease = wait_next_item(page, lease)
    page.wait_for_selector("#done", state="visible")
    assert labels_of(live_server, owner, pid) == [stored] * 10


# --- Data quality (the data_quality page module) ---------------------------------------------

DQ_CSV = (
    "external_id,left.name,right.name,gold\n"
    "d1,Sony WH-1000XM4 headphones,Sony WH1000XM4/B,same\n"
    "d2,Sony WH-1000XM4 headphones,Sony WH1000XM4/B,different\n"
    "d3,华为 Mate 60 Pro 手机 12GB+512GB,华为Mate60Pro,\n"
    "d4,华为 Mate 60 Pro 手机 12GB+512GB 黑色,华为Mate60Pro,\n"
    "d5,Apple iPad Air,客服 13812345678 user@example.com,\n"
)


def _run_job_from_page(page: Any, button: str) -> None:
    page.click(button)
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    page.wait_for_selector("#job[data-finished=true]", timeout=30_000)
    assert page.inner_text("#job-status") == MESSAGES["en"]["jobstatus.done"]
    page.click("#data-quality-link")
    page.wait_for_url(re.compile(r"/data-quality$"))


def test_requester_runs_cleaning_and_reads_the_report(
    page: Any,
    live_server: LiveServer,
    shots: Path,
    tmp_path: Path,
) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid = project(live_server, owner, "product_matching")
    src = tmp_path / "pairs.csv"
    src.write_text(DQ_CSV, encoding="utf-8")
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


def test_worker_cannot_open_the_data_quality_page(page: Any, live_server: LiveServer) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid = project(live_server, owner, "product_matching")
    worker = user(live_server, Role.WORKER)
    login(page, worker.username)
    response = page.goto(f"/projects/{pid}/data-quality")
    assert response.status in (403, 404)


def test_requester_sees_production_feedback_on_the_dashboard(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    owner = user(live_server, Role.REQUESTER)
    pid = project(live_server, owner, "product_matching")
    add_items(live_server.platform.uow(), pid, [matching_payload(i) for i in range(3)])
    proj = projects.get_project(live_server.platform.uow(), actor=owner, project_id=pid)
    login(page, owner.username)
    page.goto(f"/projects/{pid}/dashboard")
    page.wait_for_selector("#no-feedback")
    worker = user(live_server, Role.WORKER)
    item = label(live_server.platform.uow, worker, proj, "same", 1200)  # done: 1 label
    for signal, value, comment in (
        (FeedbackSignal.WRONG_LABEL, "different", "returned as a mismatch"),
        (FeedbackSignal.CLICKED, "same", ""),
        (FeedbackSignal.WRONG_LABEL, "same", ""),
    ):
        body = FeedbackInput(signal=signal, item_id=item, value=value, comment=comment)
        feedback.submit_feedback(live_server.platform.uow(), actor=owner, project_id=pid, body=body)
    page.goto(f"/projects/{pid}/dashboard")
    page.wait_for_selector("#feedback-counts")
    assert page.inner_text("#feedback-counts [data-signal='wrong_label'] dd") == "2"
    assert page.inner_text("#feedback-counts [data-signal='clicked'] dd") == "1"
    assert page.locator("#feedback-table tbody tr").count() == 3
    assert page.locator("#feedback-table tr.disagrees").count() == 1  # "different" vs "same"
    assert "returned as a mismatch" in page.inner_text("#feedback-table")
    total = page.inner_text("#feedback-total")
    assert total.startswith("3 ") and "1 " in total
    check_layout(page, shots, "dashboard-feedback")
