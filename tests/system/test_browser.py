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
from qa_app.database import utcnow
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
        seed_activity(1, utcnow().date())  # as seed-demo does: nothing dated after now
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


def test_agent_reads_the_contact_and_the_guidance_they_were_scored_on(
    page: Any, live_server: str
) -> None:
    """Issue 19, item 4: the agent disputes nothing blind."""
    sign_in(page, live_server, "agent02@demo.test")
    page.click("text=My feedback")
    page.locator(".list-group a.list-group-item").first.click()
    page.wait_for_selector("#interaction")
    contact = page.locator("#interaction")
    expect(contact).to_contain_text("The contact you were scored on")
    expect(contact).to_contain_text("D1-")  # the demo's call and ticket references
    expect(contact.locator(".transcript")).to_contain_text("Agent:")
    guidance = page.locator(".guidance").first
    expect(guidance).to_be_visible()
    assert len(guidance.inner_text().strip()) > 20


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
    manager.check("input[name=decision][value=reject]")  # no decision is chosen beforehand
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


def test_a_manager_teaches_the_app_an_export_it_does_not_know(
    page: Any, live_server: str, demo_app: Flask
) -> None:
    """An ACD report no preset knows is refused; the editor under the problems shows its
    columns, the manager says what each is once, and the same file then imports."""
    from qa_app.stats.models import AgentDailyStat

    header = "Bearbeiter;E-Mail;Datum;Kanal;Gespräche;Gesprächszeit"
    rows = [
        ("Ann", "agent@demo.test", "12/01/2026", "Telefon", 10, "95,5"),
        ("Bob", "agent02@demo.test", "12/01/2026", "Telefon", 7, "61"),
    ]
    text = "Tagesbericht Team Nord;;;;;\n" + header + "\n"
    text += "".join(";".join(map(str, row)) + "\n" for row in rows)
    upload = {"name": "tagesbericht.csv", "mimeType": "text/csv", "buffer": text.encode()}
    chosen = {"E-Mail": "agent", "Datum": "day", "Kanal": "channel",
              "Gespräche": "contacts_handled", "Gesprächszeit": "handle_seconds"}  # fmt: skip

    sign_in(page, live_server, "manager@demo.test")
    page.goto(f"{live_server}/stats/import")
    page.set_input_files("#file", files=[upload])
    page.fill("#source", "acd-nord")
    page.click("#submit")
    expect(page.locator("#profile-editor-title")).to_be_visible()
    # A refused file's page answers 400, which Chromium logs: expected here, and only that.
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    ]
    page.errors.clear()
    for column in header.split(";"):
        row = page.locator("tr", has=page.locator(f"th:text-is('{column}')"))
        row.locator("select").select_option(chosen.get(column, ""))
    page.select_option("#profile-date_order", "month-first")
    page.select_option("#profile-duration_unit", "minutes")
    page.fill("#profile-channels", "Telefon = phone")
    page.click("#profile-submit")
    page.wait_for_url(f"{live_server}/stats/import?source=acd-nord")
    expect(page.locator(".alert-success")).to_contain_text("Import profile for acd-nord saved")
    expect(page.locator("#source")).to_have_value("acd-nord")

    page.set_input_files("#file", files=[upload])
    page.uncheck("#dry_run")
    page.click("#submit")
    expect(page.locator(".alert-success")).to_contain_text(
        'Recognised as the import profile "acd-nord"'
    )
    with demo_app.app_context():
        stored = db.session.execute(
            sa.select(AgentDailyStat.contacts_handled, AgentDailyStat.handle_seconds)
            .where(AgentDailyStat.source == "acd-nord", AgentDailyStat.channel == "all")
            .order_by(AgentDailyStat.contacts_handled)
        ).all()
        days = set(
            db.session.scalars(
                sa.select(AgentDailyStat.day).where(AgentDailyStat.source == "acd-nord")
            )
        )
    # Minutes with a decimal comma, in seconds; 12/01/2026 month-first is 1 December.
    assert [tuple(row) for row in stored] == [(7, 61 * 60), (10, 5730)]
    assert days == {date(2026, 12, 1)}


def test_agent_follows_a_notification_from_the_navigation_bar(
    page: Any, live_server: str, demo_app: Flask
) -> None:
    """Feedback released to the agent shows as an unread count; opening the notification
    leads to the evaluation and clears the count."""
    from qa_app.auth.models import User
    from qa_app.evaluations.models import Evaluation
    from qa_app.notifications import events

    with demo_app.app_context():
        agent = db.session.scalar(sa.select(User).where(User.email == "agent@demo.test"))
        evaluation = db.session.scalars(
            sa.select(Evaluation).where(Evaluation.agent_id == agent.id).order_by(Evaluation.id)
        ).first()
        events.feedback_released(evaluation)
        db.session.commit()
        evaluation_id = evaluation.id
    sign_in(page, live_server, "agent@demo.test")
    badge = page.locator("#nav-notifications .badge")
    assert badge.inner_text() == "1"
    page.click("#nav-notifications")
    page.locator("#notifications button", has_text="released feedback for you").first.click()
    page.wait_for_url(f"{live_server}/evaluations/{evaluation_id}")
    assert page.locator("#nav-notifications .badge").count() == 0


def test_a_dispute_reaches_a_named_reviewer_who_decides_it(
    new_page: Callable[[], Any], live_server: str, demo_app: Flask
) -> None:
    """Issue 19, items 1-3: the demo's teams have one supervisor, who may not decide disputes
    about his own evaluations. An admin names supervisor 2 dispute reviewer of team 1; an
    agent disputes two criteria, a reason each; supervisor 2 finds the dispute on the home
    page, sees the two criteria marked with their reasons, re-scores one answer (the live
    score follows) and upholds it."""
    base = live_server
    admin = new_page()
    sign_in(admin, base, "admin@demo.test")
    admin.goto(f"{base}/admin/teams")
    admin.click("table a:has-text('Customer Service')")  # supervisor@demo.test's team
    reviewer_box = admin.locator(
        "input[name=dispute_reviewer_ids] + label:has-text('supervisor02@demo.test')"
    )
    admin.check(f"#{reviewer_box.get_attribute('for')}")
    admin.click("#submit")
    expect(admin.locator(".alert-success")).to_contain_text("Saved team")

    supervisor = new_page()
    sign_in(supervisor, base, "supervisor@demo.test")
    released_before = _released_by(demo_app, "supervisor@demo.test")
    supervisor.goto(f"{base}/evaluations/queue")
    supervisor.locator("button:has-text('Evaluate')").first.click()
    supervisor.wait_for_selector("#evaluation-form")
    answer_everything(supervisor)
    supervisor.click("#submit")
    supervisor.wait_for_url(f"{base}/evaluations/queue")
    new = _released_by(demo_app, "supervisor@demo.test").items() - released_before.items()
    assert len(new) == 1, new
    [(evaluation_id, agent_email)] = new

    agent = new_page()
    sign_in(agent, base, agent_email)
    agent.goto(f"{base}/feedback/{evaluation_id}/dispute")
    rows = agent.locator(".dispute-criterion")
    labels = []
    for index, reason in enumerate(("I did verify the caller.", "I summarised at the end.")):
        row = rows.nth(index)
        expect(row.locator("textarea")).to_be_hidden()  # shown once the criterion is ticked
        row.locator("input[type=checkbox]").check()
        row.locator("textarea").fill(reason)
        labels.append(row.locator(".form-check-label").inner_text())
    agent.click("#submit")
    expect(agent.locator(".alert-success")).to_contain_text("Your dispute was sent.")
    expect(agent.locator("body")).to_contain_text("I did verify the caller.")

    reviewer = new_page()
    sign_in(reviewer, base, "supervisor02@demo.test")
    dispute_path = f"/disputes/{_dispute_of(demo_app, evaluation_id)}"
    waiting = reviewer.locator(
        ".dispute-waiting", has=reviewer.locator(f"a[href='{dispute_path}']")
    )
    expect(waiting).to_contain_text(", ".join(labels))  # labels, never keys
    waiting.locator("a").click()
    disputed = reviewer.locator(".criterion-disputed")
    expect(disputed).to_have_count(2)
    expect(disputed.nth(0)).to_contain_text("I did verify the caller.")
    expect(disputed.nth(1)).to_contain_text("I summarised at the end.")
    expect(reviewer.locator("#live-score .fw-semibold")).to_have_text("100.0")
    options = disputed.nth(1).locator(".btn-group label.btn-outline-primary")
    options.nth(1 if options.count() == 2 else 0).click()  # a worse answer than the best
    expect(reviewer.locator("#live-score .fw-semibold")).not_to_have_text("100.0")
    reviewer.check("input[name=decision][value=uphold]")
    reviewer.fill("#note", "Re-scored the summary after listening again.")
    reviewer.click("#submit")
    expect(reviewer.locator(".alert-success")).to_contain_text("Dispute decided")
    agent.goto(f"{base}/evaluations/{evaluation_id}")
    expect(agent.locator("body")).to_contain_text("Re-scored the summary after listening again.")


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
