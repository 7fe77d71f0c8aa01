"""The audit trail browser: filters by person, record, action and period, paged in the
database, read as changes; its export has the same filters and is audited itself."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime

import openpyxl
import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.stats.filters import default_start
from tests.conftest import Organisation, post_form

SignIn = Callable[[User], FlaskClient]
# The trail's days (signing in adds events of today).
NOVEMBER = "?start=2026-11-01&end=2026-11-30"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def trail(app: Flask, org: Organisation) -> None:
    """Three kinds of event by three people, on three days of November 2026."""
    events = [
        ("user.updated", "user", org.agent_a1.id, org.admin.id, 3,
         {"display_name": "Ann", "team_id": org.team_a.id},
         {"display_name": "Ann Agent", "team_id": org.team_b.id}),
        ("evaluation.submitted", "evaluation", 41, org.supervisor_a.id, 5, None,
         {"score": 78.84615384615384, "raw_score": 78.84615384615384, "auto_failed": False}),
        ("team.updated", "team", org.team_a.id, org.manager.id, 9,
         {"release_mode": "immediate"}, {"release_mode": "manual"}),
    ]  # fmt: skip
    with app.app_context():
        for action, kind, record_id, actor_id, day, before, after in events:
            db.session.add(
                AuditEvent(
                    action=action,
                    entity_type=kind,
                    entity_id=record_id,
                    actor_id=actor_id,
                    occurred_at=datetime(2026, 11, day, 12, tzinfo=UTC),
                    before=before,
                    after=after,
                    ip_address="198.51.100.7",
                )
            )
        db.session.commit()


def _page(client: FlaskClient, query: str = "", status: int = 200) -> str:
    response = client.get("/audit/" + query)
    assert response.status_code == status, response.status_code
    return html.unescape(response.get_data(as_text=True))


def _actions(page: str) -> list[str]:
    return re.findall(r'<div class="fw-semibold">([^<]+)</div>', page)


def test_the_trail_reads_as_changes_newest_first(
    org: Organisation, trail: None, sign_in_as: SignIn
) -> None:
    page = _page(sign_in_as(org.admin), NOVEMBER)
    assert _actions(page) == ["Team changed", "Evaluation submitted", "User changed"]
    assert "Release: immediate → manual" in page
    assert "Score: 78.8" in page and "78.846" not in page and "raw_score" not in page
    assert "Name: Ann → Ann Agent" in page
    assert "Team: Team A → Team B" in page
    assert "198.51.100.7" in page  # administrators look into sign-in trouble
    assert "198.51.100.7" not in _page(sign_in_as(org.manager), NOVEMBER)


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ("?actor_id={manager}&end=2026-11-30", ["Team changed"]),
        ("?entity_type=evaluation&entity_id=41", ["Evaluation submitted"]),
        ("?entity_type=user&end=2026-11-30", ["User changed"]),
        ("?action=user.updated", ["User changed"]),
        ("?start=2026-11-04&end=2026-11-08", ["Evaluation submitted"]),
        ("?start=2026-11-09&end=2026-11-30", ["Team changed"]),
        ("?end=2026-11-03", ["User changed"]),
    ],
)
def test_each_filter_narrows_the_trail(
    org: Organisation, trail: None, sign_in_as: SignIn, query: str, actions: list[str]
) -> None:
    page = _page(sign_in_as(org.manager), query.format(manager=org.manager.id))
    assert _actions(page) == actions


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?start=2026-11-09&end=2026-11-01", "The last day comes before the first."),
        ("?entity_id=41", "Choose the kind of record this id belongs to."),
        ("?actor_id=999999", "Not a valid choice."),
        ("?action=evaluation.hacked", "Not a valid choice."),
    ],
)
def test_a_wrong_filter_says_why(
    org: Organisation, trail: None, sign_in_as: SignIn, query: str, message: str
) -> None:
    assert message in _page(sign_in_as(org.admin), query, status=400)


def test_the_trail_is_paged_in_the_database(
    app: Flask, org: Organisation, sign_in_as: SignIn
) -> None:
    with app.app_context():
        db.session.add_all(
            AuditEvent(action="auth.locked", entity_type="user", entity_id=org.agent_a1.id)
            for _ in range(60)
        )
        db.session.commit()
    admin = sign_in_as(org.admin)
    first, second = (
        _page(admin, "?action=auth.locked"),
        _page(admin, "?action=auth.locked&page=2"),
    )
    assert "60 changes" in first
    assert len(_actions(first)) == 50 and len(_actions(second)) == 10


def test_the_export_has_the_filters_of_the_page_and_is_audited(
    app: Flask, org: Organisation, trail: None, sign_in_as: SignIn
) -> None:
    manager = sign_in_as(org.manager)
    response = post_form(
        manager,
        "/audit/export",
        {"actor_id": str(org.admin.id), "start": "2026-11-01", "end": "2026-11-30"},
        token_from="/audit/",
    )
    data = response.get_data()
    response.close()
    assert response.status_code == 200 and response.mimetype == XLSX
    rows = list(openpyxl.load_workbook(io.BytesIO(data))["Audit trail"].values)
    assert rows[0] == ("When", "Person", "Action", "Record", "Record id", "Changes", "Address")
    assert [row[1:6] for row in rows[1:]] == [
        (
            org.admin.display_name,
            "User changed",
            "User",
            org.agent_a1.id,
            "Name: Ann → Ann Agent\nTeam: Team A → Team B",
        )
    ]
    assert rows[1][0] == datetime(2026, 11, 3, 12) and rows[1][6] is None  # manager: no address
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "export.audit_trail")
        )
        assert event is not None and event.actor_id == org.manager.id
        assert event.after == {
            "via": "web",
            "filters": {
                "actor_id": org.admin.id,
                "entity_type": None,
                "entity_id": None,
                "action": None,
                "from": "2026-11-01",
                "to": "2026-11-30",
            },
            "rows": 1,
        }
    # The export is in the trail it exports, readable like every other event.
    assert "Audit trail exported" in _page(manager, "?action=export.audit_trail")


def test_the_export_form_carries_the_pages_filters(
    org: Organisation, trail: None, sign_in_as: SignIn
) -> None:
    page = _page(sign_in_as(org.admin), "?action=team.updated&start=2026-11-01")
    form = page[page.index('action="/audit/export"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="action" value="team.updated">' in form
    assert '<input type="hidden" name="start" value="2026-11-01">' in form


def test_a_refused_export_filter_writes_nothing(
    app: Flask, org: Organisation, trail: None, sign_in_as: SignIn
) -> None:
    response = post_form(
        sign_in_as(org.admin),
        "/audit/export",
        {"start": "2026-11-09", "end": "2026-11-01"},
        token_from="/audit/",
    )
    assert response.status_code == 400
    assert "The last day comes before the first." in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(AuditEvent.action == "export.audit_trail")
            )
            == 0
        )


def test_the_admin_home_names_recent_actions_in_words(
    org: Organisation, trail: None, sign_in_as: SignIn
) -> None:
    response = sign_in_as(org.admin).get("/")
    page = html.unescape(response.get_data(as_text=True))
    recent = page[page.index("Recent activity") :]
    assert "Team changed" in recent and "Team #" in recent
    assert "team.updated" not in recent and "<code>" not in recent
    assert 'href="/audit/"' in recent


def test_an_export_names_its_period_and_the_page_starts_with_the_last_90_days(
    app: Flask, org: Organisation, trail: None, sign_in_as: SignIn
) -> None:
    admin = sign_in_as(org.admin)
    response = post_form(admin, "/audit/export", {"action": "team.updated"}, token_from="/audit/")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose the first day to export." in page and "Choose the last day to export." in page
    today = datetime.now(UTC).date()
    first = _page(admin)
    # The day as the page's language (English, US) writes it, in a text box.
    shown = format_date(default_start(today), "M/d/y", locale="en")
    assert re.search(f'<input [^>]*name="start" [^>]*type="text" value="{re.escape(shown)}"', first)
    assert f'<input type="hidden" name="end" value="{today.isoformat()}">' in first
