"""The journeys in a real browser: Chromium driven by Playwright against a live server.

Outside CI these skip when Chromium or Playwright is missing; under CI=true they must run
(`.ci/run` installs Debian's chromium).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from werkzeug.serving import make_server

from qa_app import create_app
from qa_app.demo import seed_demo
from qa_app.demo_activity import seed_activity
from qa_app.extensions import db
from qa_app.scorecards.services import sync_scorecard_files
from tests.conftest import make_config

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


try:
    from playwright.sync_api import expect
except ImportError:  # reported by _need_browser
    expect = None


def _need_browser() -> Any:
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed"
    if missing is None and not shutil.which(CHROMIUM):
        missing = f"Chromium is not at {CHROMIUM} (apt-get install chromium)"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {missing}: browser tests must run")
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the demo centre on its own SQLite file, served on a free loopback port."""
    path = tmp_path_factory.mktemp("browser") / "demo.sqlite"
    app = create_app(make_config(f"sqlite:///{path}", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000"))
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo(seed=1)
        sync_scorecard_files(Path(app.config["SCORECARDS_DIR"]))
        seed_activity(1, date.today())
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(live_server: str) -> Iterator[Any]:
    """A fresh browser page; console errors fail the test."""
    sync_playwright = _need_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        yield page
        browser.close()
    assert errors == [], errors


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", "demo1234")
    page.click("#submit")
    page.wait_for_url(f"{base}/**")


def answer_everything(page: Any) -> int:
    """Click an answer for every criterion: the best one, N/A where the kind is numeric."""
    groups = page.locator(".criterion .btn-group")
    count = groups.count()
    for index in range(count):
        group = groups.nth(index)
        labels = group.locator("label.btn-outline-primary")
        if labels.count():
            labels.nth(0 if labels.count() == 2 else labels.count() - 1).click()
        else:
            group.locator("input[type=number]").fill("3")
    return count


def test_supervisor_scores_an_assignment_in_one_pass(page: Any, live_server: str) -> None:
    started = time.monotonic()
    sign_in(page, live_server, "supervisor@demo.test")
    page.click("text=My queue")
    page.locator("button:has-text('Evaluate')").first.click()
    page.wait_for_selector("#evaluation-form")
    answered = answer_everything(page)
    # Only the script writes "answered / total": the score below is the live one.
    expect(page.locator("#live-score")).to_contain_text(f"{answered} / {answered}")
    assert page.locator("#live-score .fw-semibold").inner_text() == "100.0"
    page.fill("#strengths", "Clear, warm and complete.")
    page.click("#submit")
    page.wait_for_url(f"{live_server}/evaluations/queue")
    assert "Evaluation submitted and released to the agent." in page.content()
    elapsed = time.monotonic() - started
    print(f"sign-in to submitted evaluation: {elapsed:.1f} s, {answered} criteria")
    assert answered >= 8
    page.click("text=Sign out")
    page.wait_for_url(f"{live_server}/login")


def test_agent_reads_and_acknowledges_new_feedback(page: Any, live_server: str) -> None:
    sign_in(page, live_server, "agent@demo.test")
    page.click("text=My feedback")
    new = page.locator(".list-group-item-primary").first
    new.click()
    page.wait_for_selector(".guidance")
    assert page.locator(".guidance").count() >= 8
    page.click("text=Acknowledge")
    page.fill("#comment", "Thanks, understood.")
    page.click("#submit")
    assert "the feedback is acknowledged" in page.content()


def test_live_score_updates_without_saving(page: Any, live_server: str) -> None:
    sign_in(page, live_server, "supervisor02@demo.test")
    page.goto(f"{live_server}/evaluations/queue")
    page.locator("button:has-text('Evaluate')").first.click()
    page.wait_for_selector("#evaluation-form")
    page.locator(".criterion .btn-group").first.locator("label.btn-outline-primary").first.click()
    expect(page.locator("#live-score")).to_contain_text("1 /")
