"""The review UI in a real browser: Debian's Chromium, driven by Playwright, against the app
served by uvicorn on a loopback port. Screenshots go to test-artifacts/review/."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from sqlmodel import Session, col

from commwatch.store import AlertAck, ReviewCase, create_store_engine, ensure_schema
from review.config import ReviewConfig
from review.web import create_app
from tests.conftest import ROOT
from tests.review.seed import PASSWORD, USERS, Seeded, seed

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "review"

if not Path(CHROMIUM).exists():
    pytest.fail(f"Debian chromium is needed at {CHROMIUM} (apt-get install chromium)",
                pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded, object]]:
    db = tmp_path_factory.mktemp("browser") / "store.db"
    engine = create_store_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    seeded = seed(engine)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(engine, ReviewConfig(port=port), base)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield base, seeded, engine
    server.should_exit = True
    thread.join(timeout=5)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(5000)
    yield page
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def sign_in(page: object, base: str, role: str, then: str = "/queue") -> None:
    page.goto(f"{base}{then}")  # type: ignore[attr-defined]
    assert "/login" in page.url  # type: ignore[attr-defined]
    page.fill("input[name=email]", USERS[role])  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button:has-text('Sign in')")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}{then}")  # type: ignore[attr-defined]


def test_login_and_queue_filters(served: tuple[str, Seeded, object], page: object) -> None:
    base, seeded, _ = served
    page.goto(f"{base}/queue")  # type: ignore[attr-defined]
    page.fill("input[name=email]", USERS["reviewer"])  # type: ignore[attr-defined]
    page.fill("input[name=password]", "not the password")  # type: ignore[attr-defined]
    page.click("button:has-text('Sign in')")  # type: ignore[attr-defined]
    assert page.locator("p.error").is_visible()  # type: ignore[attr-defined]
    sign_in(page, base, "reviewer")
    rows = page.locator("tr.item")  # type: ignore[attr-defined]
    everything = rows.count()
    assert everything >= 4
    page.screenshot(path=str(ARTIFACTS / "queue-all.png"), full_page=True)  # type: ignore[attr-defined]
    page.select_option("select[name=tag]", "hardship")  # type: ignore[attr-defined]
    page.select_option("select[name=kind]", "messages")  # type: ignore[attr-defined]
    page.click("form#filters button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*tag=hardship.*"))  # type: ignore[attr-defined]
    assert "kind=messages" in page.url  # type: ignore[attr-defined]
    assert rows.count() == 1 and rows.first.get_attribute("data-key") == f"m:{seeded.chat}"
    page.reload()  # type: ignore[attr-defined]  # the filters live in the URL
    assert page.locator("select[name=tag]").input_value() == "hardship"  # type: ignore[attr-defined]
    assert rows.count() == 1


def test_disposition(served: tuple[str, Seeded, object], page: object) -> None:
    base, seeded, _ = served
    sign_in(page, base, "reviewer", f"/messages/{seeded.dispute}")
    mark = page.locator("mark.ev.tag-dispute")  # type: ignore[attr-defined]
    assert mark.inner_text() == "billed twice"
    page.locator("details.quoted summary").click()  # type: ignore[attr-defined]
    assert page.locator("details.quoted pre").is_visible()  # type: ignore[attr-defined]
    signal = page.locator(".signal[data-tag=dispute]")  # type: ignore[attr-defined]
    signal.locator("input[name=note]").fill("double billing confirmed with the warehouse")
    signal.locator("button[value=confirmed]").click()
    page.wait_for_load_state()  # type: ignore[attr-defined]
    assert "decided: confirmed" in signal.inner_text()
    assert "closed" in page.locator("dd.case-state").inner_text()  # type: ignore[attr-defined]


def test_escalation(served: tuple[str, Seeded, object], page: object) -> None:
    base, seeded, engine = served
    sign_in(page, base, "reviewer", f"/messages/{seeded.payload}")
    assert page.locator("script:has-text('alert')").count() == 0  # type: ignore[attr-defined]
    form = page.locator("form.message-action")  # type: ignore[attr-defined]
    form.locator("select[name=action]").select_option("escalate")
    form.locator("input[name=person]").fill("head.of.credit@halden-supply.example")
    form.locator("textarea[name=note]").fill("asks us to stop calling; legal should look")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()  # type: ignore[attr-defined]
    state = page.locator("dd.case-state").inner_text()  # type: ignore[attr-defined]
    assert "escalated" in state and "head.of.credit@" in state
    with Session(engine) as session:  # type: ignore[arg-type]
        case = session.scalars(select(ReviewCase).where(
            col(ReviewCase.message_id) == seeded.payload)).one()
        assert case.state == "escalated"


def test_alert_acknowledgement(served: tuple[str, Seeded, object], page: object) -> None:
    base, seeded, engine = served
    sign_in(page, base, "collector", f"/alerts/{seeded.maria_alert}")
    page.fill("form.ack-form input[name=note]", "called Dana, fix on the way")  # type: ignore[attr-defined]
    page.click("form.ack-form button")  # type: ignore[attr-defined]
    page.wait_for_selector("p.ack")  # type: ignore[attr-defined]
    assert "maria.lopez@" in page.locator("p.ack").inner_text()  # type: ignore[attr-defined]
    with Session(engine) as session:  # type: ignore[arg-type]
        assert session.scalars(select(AlertAck)).one().note == "called Dana, fix on the way"


def test_customer_page(served: tuple[str, Seeded, object], page: object) -> None:
    base, seeded, _ = served
    sign_in(page, base, "collector", f"/customers/{seeded.maria_customer}")
    assert "Brightline" in page.locator("h1").inner_text()  # type: ignore[attr-defined]
    assert page.locator("figure.chart svg polyline").count() >= 1  # type: ignore[attr-defined]
    assert page.locator("figure.chart svg circle").count() >= 3  # type: ignore[attr-defined]
    assert page.locator("section.timeline li").count() >= 4  # type: ignore[attr-defined]
    assert "broken" in page.locator("section.promises").inner_text()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "customer.png"), full_page=True)  # type: ignore[attr-defined]
    proposal = page.locator(".proposal-proposed")  # type: ignore[attr-defined]
    proposal.locator("input[name=note]").fill("reviewed the figures")
    proposal.locator("button[value=approve]").click()
    page.wait_for_selector(".proposal-approved")  # type: ignore[attr-defined]
    page.goto(f"{base}/customers/{seeded.tom_customer}")  # type: ignore[attr-defined]
    assert "Not found" in page.content()  # type: ignore[attr-defined]
