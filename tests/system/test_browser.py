"""The journeys in a real browser: Chromium driven by Playwright against a live server.

Outside CI these skip when Chromium or Playwright is missing; under CI=true they must run
(`.ci/run` installs Debian's chromium).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import flask_migrate
import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from qa_app import create_app
from qa_app.demo.activity import seed_activity
from qa_app.demo.organisation import seed_demo
from qa_app.extensions import db
from qa_app.scorecards.services import sync_scorecard_files
from tests.conftest import make_config

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Where a failed test's pages are saved (kept by CI as artefacts).
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", "test-results/screenshots"))
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
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app with the demo centre on its own SQLite file."""
    path = tmp_path_factory.mktemp("browser") / "demo.sqlite"
    app = create_app(make_config(f"sqlite:///{path}", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000"))
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo(seed=1)
        sync_scorecard_files(Path(app.config["SCORECARDS_DIR"]))
        seed_activity(1, date.today())
        db.session.commit()
    return app


@pytest.fixture(scope="module")
def live_server(demo_app: Flask) -> Iterator[str]:
    """The demo app served on a free loopback port."""
    app = demo_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser(live_server: str) -> Iterator[Any]:
    """Chromium, launched for one test."""
    sync_playwright = _need_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[[], Any]]:
    """Open pages in fresh browser contexts (one per person); console errors fail the test,
    and every page still open when the test fails is saved as a screenshot."""
    pages: list[Any] = []

    def open_page() -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        page.errors = []
        page.on(
            "console",
            lambda message: page.errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        pages.append(page)
        return page

    yield open_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages, start=1):
            path = SCREENSHOTS / f"{request.node.name}-{number}.png"
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot of the failed page: {path}")
    assert [error for page in pages for error in page.errors] == []


@pytest.fixture
def page(new_page: Callable[[], Any]) -> Any:
    """One fresh browser page."""
    return new_page()


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


def _released_by(app: Flask, evaluator_email: str) -> dict[int, str]:
    """The released evaluations of an evaluator: id → the agent's e-mail."""
    from qa_app.auth.models import User
    from qa_app.evaluations.models import Evaluation

    evaluator = sa.orm.aliased(User)
    with app.app_context():
        rows = db.session.execute(
            sa.select(Evaluation.id, User.email)
            .join(User, User.id == Evaluation.agent_id)
            .join(evaluator, evaluator.id == Evaluation.evaluator_id)
            .where(evaluator.email == evaluator_email, Evaluation.status == "released")
        ).all()
        db.session.rollback()
        return dict(rows)


def _dispute_of(app: Flask, evaluation_id: int) -> int:
    from qa_app.evaluations.models import Dispute

    with app.app_context():
        dispute_id = db.session.scalar(
            sa.select(Dispute.id).where(Dispute.evaluation_id == evaluation_id)
        )
        db.session.rollback()
        return dispute_id


def test_scored_feedback_is_disputed_decided_and_exported(
    new_page: Callable[[], Any], live_server: str, demo_app: Flask, tmp_path: Path
) -> None:
    """The three people of a QA programme, one evaluation: the supervisor scores it, the agent
    reads and disputes it, a manager (the evaluator may not) decides, then exports to Excel."""
    base = live_server
    supervisor = new_page()
    sign_in(supervisor, base, "supervisor03@demo.test")
    released_before = _released_by(demo_app, "supervisor03@demo.test")
    supervisor.goto(f"{base}/evaluations/queue")
    supervisor.locator("button:has-text('Evaluate')").first.click()
    supervisor.wait_for_selector("#evaluation-form")
    answer_everything(supervisor)
    supervisor.fill("#strengths", "Friendly opening, <b>clear</b> summary.")
    supervisor.click("#submit")
    supervisor.wait_for_url(f"{base}/evaluations/queue")
    new = _released_by(demo_app, "supervisor03@demo.test").items() - released_before.items()
    assert len(new) == 1, new
    [(evaluation_id, agent_email)] = new
    evaluation_path = f"/evaluations/{evaluation_id}"

    agent = new_page()
    sign_in(agent, base, agent_email)
    agent.click("text=My feedback")
    agent.locator(f"a[href='{evaluation_path}']").click()
    agent.wait_for_selector(".guidance")
    # What the supervisor typed is shown as text, never as markup.
    expect(agent.locator("body")).to_contain_text("Friendly opening, <b>clear</b> summary.")
    agent.click("a:has-text('Dispute')")
    agent.fill("#reason", "The customer hung up before I could summarise.")
    agent.click("#submit")
    expect(agent.locator(".alert-success")).to_contain_text("Your dispute was sent.")

    manager = new_page()
    sign_in(manager, base, "manager@demo.test")
    manager.click("text=Disputes")
    manager.locator(f"a[href='/disputes/{_dispute_of(demo_app, evaluation_id)}']").click()
    manager.select_option("#decision", "reject")
    manager.fill("#note", "The summary is required even on short calls.")
    manager.click("#submit")
    expect(manager.locator(".alert-success")).to_contain_text("Dispute decided")

    agent.goto(f"{base}{evaluation_path}")
    expect(agent.locator("body")).to_contain_text("The summary is required even on short calls.")

    manager.goto(f"{base}/exports/")
    with manager.expect_download() as download_info:
        manager.click("#submit")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    workbook = openpyxl.load_workbook(saved, read_only=True)
    assert workbook.sheetnames[:4] == ["Summary", "Evaluations", "Answers", "Criteria"]
    ids = [row[0] for row in workbook["Evaluations"].iter_rows(min_row=2, values_only=True)]
    assert evaluation_id in ids
    workbook.close()


def _team_with_recent_open_disputes(app: Flask) -> tuple[str, set[str], int]:
    """The demo team with the most open disputes about evaluations of the last 90 days: its
    name, its agents' names, and how many such disputes other teams have."""
    from datetime import UTC, datetime, timedelta

    from qa_app.auth.models import User
    from qa_app.evaluations.models import Dispute, DisputeStatus, Evaluation
    from qa_app.teams.models import Team

    since = datetime.now(UTC) - timedelta(days=89)
    with app.app_context():
        counts = db.session.execute(
            sa.select(Team.name, sa.func.count(Dispute.id))
            .join(Evaluation, Evaluation.id == Dispute.evaluation_id)
            .join(User, User.id == Evaluation.agent_id)
            .join(Team, Team.id == User.team_id)
            .where(Dispute.status == DisputeStatus.OPEN, Evaluation.submitted_at >= since)
            .group_by(Team.name)
            .order_by(sa.func.count(Dispute.id).desc(), Team.name)
        ).all()
        assert len(counts) >= 2, counts  # the demo has open disputes in several teams
        name = counts[0][0]
        agents = set(
            db.session.scalars(
                sa.select(User.display_name)
                .join(Team, Team.id == User.team_id)
                .where(Team.name == name)
            )
        )
        db.session.rollback()
        return name, agents, sum(count for _, count in counts[1:])


def test_manager_filters_the_team_dashboard_by_team(
    page: Any, live_server: str, demo_app: Flask
) -> None:
    """With one team chosen, every panel lists that team's agents only — the progress
    against target and the open disputes among them."""
    team, agents, elsewhere = _team_with_recent_open_disputes(demo_app)
    assert elsewhere > 0
    sign_in(page, live_server, "manager@demo.test")
    page.goto(f"{live_server}/dashboard/team")
    progress_teams = page.locator("[data-panel=progress] tbody td:nth-child(2)")
    assert len(set(progress_teams.all_inner_texts())) >= 2  # every team before filtering
    page.select_option("#team_id", label=team)
    page.click("button:has-text('Show')")
    page.wait_for_url(f"{live_server}/dashboard/team?*team_id=*")
    expect(page.locator("#team_id option:checked")).to_have_text(team)
    assert set(progress_teams.all_inner_texts()) == {team}
    progress_agents = page.locator("[data-panel=progress] tbody td:nth-child(1)")
    assert set(progress_agents.all_inner_texts()) <= agents
    disputed = page.locator("[data-panel=disputes] li a").all_inner_texts()
    assert disputed and set(disputed) <= agents, disputed
    table_teams = page.locator("[data-panel=agents] tbody td:nth-child(2)").all_inner_texts()
    assert set(table_teams) == {team}
    heat_agents = page.locator("[data-panel=heat] tbody th").all_inner_texts()
    assert heat_agents and set(heat_agents) <= agents
    overdue = page.locator("[data-panel=training] li a").all_inner_texts()
    assert set(overdue) <= agents
