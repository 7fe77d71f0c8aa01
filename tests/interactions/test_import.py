"""Importing interaction lists: aliases, every bad row reported, all or nothing, idempotent."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.interactions.importer import import_interactions
from qa_app.interactions.models import Interaction
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation, post_form
from tests.support.imports import import_as

BERLIN = ZoneInfo("Europe/Berlin")
GOOD = (
    "Agent;Media Type;Start Time;Call ID;Duration;Queue;Notes;Recording\n"
    "A-1;Voice;2026-11-02 09:15;C-100;0:05:30;Billing;Customer asked about a refund;"
    "https://rec.example/100\n"
    "a2@example.test;Web Chat;02.11.2026 10:00;C-101;420;Support;;\n"
    "A-1;E-Mail;2026-11-03T08:00:00;C-102;;;;\n"
)


@pytest.fixture
def importer(app: Flask, org: Organisation) -> Any:
    """Run an import as supervisor A (team A: agents A-1 and a2)."""
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "A-1"
        db.session.get(User, org.agent_b1.id).external_id = "B-1"
        db.session.commit()

    def run(
        text: str | bytes,
        *,
        filename: str = "calls.csv",
        dry_run: bool = False,
        source: str = "genesys",
        who: str = "supervisor_a",
        max_rows: int = 1000,
    ) -> Any:
        data = text.encode("utf-8") if isinstance(text, str) else text
        return import_as(
            app,
            org.member(who).id,
            import_interactions,
            data,
            filename,
            source=source,
            tz=BERLIN,
            max_bytes=1_000_000,
            max_rows=max_rows,
            dry_run=dry_run,
        )

    return run


def stored(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                sa.select(
                    Interaction.external_ref,
                    Interaction.agent_id,
                    Interaction.channel,
                    Interaction.occurred_at,
                    Interaction.duration_seconds,
                    Interaction.queue,
                    Interaction.source,
                ).order_by(Interaction.external_ref)
            )
        ]


def test_imports_a_semicolon_export_with_aliases(
    app: Flask, org: Organisation, importer: Any
) -> None:
    report = importer(GOOD)
    assert (report.rows, report.new, report.already_imported, report.agents) == (3, 3, 0, 2)
    rows = stored(app)
    a1, a2 = org.agent_a1.id, org.agent_a2.id
    assert rows == [
        ("C-100", a1, "phone", datetime(2026, 11, 2, 8, 15, tzinfo=UTC), 330, "Billing", "genesys"),
        ("C-101", a2, "chat", datetime(2026, 11, 2, 9, 0, tzinfo=UTC), 420, "Support", "genesys"),
        ("C-102", a1, "email", datetime(2026, 11, 3, 7, 0, tzinfo=UTC), None, None, "genesys"),
    ]
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "interactions.imported")
        )
    assert event.after["new"] == 3


def test_importing_again_adds_nothing(app: Flask, importer: Any) -> None:
    importer(GOOD)
    report = importer(GOOD)
    assert (report.new, report.already_imported) == (0, 3)
    assert len(stored(app)) == 3


def test_the_same_reference_from_another_source_is_another_interaction(
    app: Flask, importer: Any
) -> None:
    importer(GOOD)
    assert importer(GOOD, source="zendesk").new == 3
    assert len(stored(app)) == 6


def test_dry_run_writes_nothing(app: Flask, importer: Any) -> None:
    report = importer(GOOD, dry_run=True)
    assert (report.new, report.dry_run) == (3, True)
    assert stored(app) == []


def test_every_bad_row_is_reported_and_nothing_is_imported(app: Flask, importer: Any) -> None:
    text = (
        "Agent,Channel,Date,Ticket ID,Duration,Recording\n"
        "A-1,phone,2026-11-02 09:00,T-1,60,\n"  # good
        "nobody,phone,2026-11-02 09:00,T-2,60,\n"  # unknown agent
        "B-1,phone,2026-11-02 09:00,T-3,60,\n"  # another team's agent
        "A-1,fax,2026-11-02 09:00,T-4,60,\n"  # unknown channel
        "A-1,chat,2026-02-30 09:00,T-5,60,\n"  # not a date
        "A-1,chat,2026-11-02 09:00,T-1,60,\n"  # duplicate reference
        "A-1,chat,2026-11-02 09:00,,60,\n"  # no reference
        "A-1,chat,2026-11-02 09:00,T-8,-5,\n"  # negative duration
        "A-1,chat,2026-11-02 09:00,T-9,60,javascript:alert(1)\n"
        "sup.a@example.test,chat,2026-11-02 09:00,T-10,60,\n"  # not an agent
    )
    with pytest.raises(TableError) as caught:
        importer(text)
    found = {(p.row, p.column, p.reason.split(" (")[0]) for p in caught.value.problems}
    assert found == {
        (3, "Agent", "unknown agent"),
        (4, "Agent", "unknown agent"),  # another team's agent: like nobody (issue 17)
        (5, "Channel", "unknown channel"),
        (6, "Date", caught.value.problems[3].reason.split(" (")[0]),
        (7, "Ticket ID", "the same reference as row 2"),
        (8, "Ticket ID", "empty: a call or ticket id is needed to import once only"),
        (9, "Duration", "negative duration"),
        (10, "Recording", "not an http(s) link"),
        (11, "Agent", "unknown agent"),  # not an agent: unknown as one
    }
    assert stored(app) == []


def test_missing_columns_are_named(importer: Any) -> None:
    with pytest.raises(TableError) as caught:
        importer("Agent,Start\nA-1,2026-11-02 09:00\n")
    message = str(caught.value)
    assert "channel" in message and "external_ref" in message


def test_xlsx_export(app: Flask, importer: Any) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Login", "Channel", "Start", "Conversation ID", "Handle Time"])
    sheet.append(["A-1", "phone", datetime(2026, 11, 2, 9, 15), "X-1", 125])
    buffer = io.BytesIO()
    book.save(buffer)
    report = importer(buffer.getvalue(), filename="export.xlsx")
    assert report.new == 1
    assert stored(app)[0][3] == datetime(2026, 11, 2, 8, 15, tzinfo=UTC)


def test_row_limit(importer: Any) -> None:
    with pytest.raises(TableError, match="rows"):
        importer(GOOD, max_rows=2)


def test_manager_imports_for_every_team(app: Flask, importer: Any) -> None:
    text = "Agent,Channel,Date,Call ID\nB-1,phone,2026-11-02 09:00,M-1\n"
    assert importer(text, who="manager").new == 1


def test_web_upload_dry_run_then_import(
    app: Flask, org: Organisation, importer: Any, sign_in_as: Any
) -> None:
    client = sign_in_as(org.supervisor_a)

    def upload(dry_run: bool) -> Any:
        data = {"source": "genesys", "file": (io.BytesIO(GOOD.encode()), "calls.csv")}
        if dry_run:
            data["dry_run"] = "y"
        return post_form(client, "/interactions/import", data, content_type="multipart/form-data")

    checked = upload(True)
    assert checked.status_code == 200
    assert "The file names 2 agents. 3 interactions are new." in checked.get_data(as_text=True)
    assert stored(app) == []
    done = upload(False)
    assert done.status_code == 302
    assert len(stored(app)) == 3


@pytest.mark.parametrize(
    ("encoding", "named"), [("utf-8", "UTF-8"), ("utf-16", "UTF-16"), ("cp1252", "Windows-1252")]
)
def test_web_upload_says_which_encoding_it_read(
    org: Organisation, importer: Any, sign_in_as: Any, encoding: str, named: str
) -> None:
    client = sign_in_as(org.supervisor_a)
    text = GOOD.replace("Billing", "Büro")
    for dry_run in (True, False):
        data = {"source": "genesys", "file": (io.BytesIO(text.encode(encoding)), "calls.csv")}
        if dry_run:
            data["dry_run"] = "y"
        response = post_form(
            client,
            "/interactions/import",
            data,
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert f"Read as {named} text." in response.get_data(as_text=True)


def test_web_upload_shows_problems(
    app: Flask, org: Organisation, importer: Any, sign_in_as: Any
) -> None:
    client = sign_in_as(org.supervisor_a)
    bad = "Agent,Channel,Date,Call ID\nnobody,phone,2026-11-02 09:00,Z-1\n"
    response = post_form(
        client,
        "/interactions/import",
        {"source": "genesys", "file": (io.BytesIO(bad.encode()), "calls.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html and "unknown agent" in html and "nobody" in html


def test_agents_cannot_import(org: Organisation, sign_in_as: Any) -> None:
    assert sign_in_as(org.agent_a1).get("/interactions/import").status_code == 403


def test_role_fixture_is_an_agent(org: Organisation) -> None:
    assert org.agent_a1.role == Role.AGENT
