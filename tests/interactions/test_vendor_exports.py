"""Interaction lists laid out as each vendor's documentation describes them
(tests/data/vendors/, see qa_app/uploads/presets/), imported with no hand edits: every
stored row is checked against the file read here with plain Python."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.importer import ImportReport, import_interactions
from qa_app.interactions.models import Interaction
from qa_app.teams.scope import UNKNOWN_AGENT
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation
from tests.support.imports import import_as

VENDORS = Path(__file__).parent.parent / "data" / "vendors"


@pytest.fixture
def vendor_import(app: Flask, org: Organisation) -> Callable[..., ImportReport]:
    def run(file: str | Path, *, source: str = "vendor", **options: Any) -> ImportReport:
        path = file if isinstance(file, Path) else VENDORS / file
        return import_as(
            app,
            org.admin.id,
            import_interactions,
            path.read_bytes(),
            path.name,
            source=source,
            max_bytes=1_000_000,
            max_rows=1000,
            **options,
        )

    return run


def stored(app: Flask) -> dict[str, dict[str, Any]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(User.email, Interaction).join(User, User.id == Interaction.agent_id)
        ).all()
        return {
            row.external_ref: {
                "agent": email,
                "channel": row.channel,
                "occurred_at": row.occurred_at.astimezone(UTC),
                "duration_seconds": row.duration_seconds,
                "queue": row.queue,
                "customer_ref": row.customer_ref,
                "transcript": row.transcript,
                "recording_url": row.recording_url,
            }
            for email, row in rows
        }


def test_talkdesk_calls_report(app: Flask, vendor_import: Callable[..., ImportReport]) -> None:
    report = vendor_import("talkdesk-calls.csv")
    assert report.recognised == "Talkdesk — Calls report export"
    text = (VENDORS / "talkdesk-calls.csv").read_text()
    expected = {
        row["call_id"]: {
            "agent": row["user_email"],
            "channel": "phone",  # inbound, outbound, voicemail: all calls
            # "2026-12-11T08:15:02Z": UTC, as documented
            "occurred_at": datetime.strptime(row["start_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=UTC
            ),
            "duration_seconds": int(row["talk_time"]),  # seconds
            "queue": row["ring_groups"] or None,
            "customer_ref": row["contact_phone_number"] or None,
            "transcript": row["notes"] or None,
            "recording_url": row["recording_url"] or None,
        }
        for row in csv.DictReader(io.StringIO(text))
    }
    assert stored(app) == expected
    assert (report.rows, report.new) == (3, 3)
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "interactions.imported")
        ).one()
        assert event.after["recognised"] == "Talkdesk — Calls report export"


@pytest.mark.parametrize(
    ("file", "title", "column", "names"),
    [
        ("zendesk-tickets.csv", "Zendesk — Support ticket CSV export", "Assignee",
         ["Anna Smith", "Ben Jones"]),
        ("freshdesk-tickets.csv", "Freshdesk — Ticket export", "Agent",
         ["Anna Smith", "Ben Jones"]),
    ],
)  # fmt: skip
def test_name_only_ticket_exports_are_recognised_and_told_by_agent_name(
    app: Flask,
    vendor_import: Callable[..., ImportReport],
    file: str,
    title: str,
    column: str,
    names: list[str],
) -> None:
    """Zendesk's Assignee and Freshdesk's Agent are display names: recognised, every other
    column read (the customer's Email and the ticket Type are not taken for the agent or
    the channel), and names that are no agent's refused as unknown agents."""
    with pytest.raises(TableError) as caught:
        vendor_import(file)
    assert [str(problem) for problem in caught.value.problems] == [
        f'row {row}, column "{column}" ("{name}"): {UNKNOWN_AGENT}'
        for row, name in enumerate(names, start=2)
    ]
    assert stored(app) == {}


def test_name_only_ticket_exports_say_what_they_were_recognised_as(
    app: Flask, org: Organisation, vendor_import: Callable[..., ImportReport]
) -> None:
    """With the names given as the agents' external ids, the same files import: channels from
    Via/Source, not from Type."""
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "Anna Smith"
        db.session.get(User, org.agent_a2.id).external_id = "Ben Jones"
        db.session.commit()
    zendesk = vendor_import("zendesk-tickets.csv", source="zendesk")
    freshdesk = vendor_import("freshdesk-tickets.csv", source="freshdesk")
    assert zendesk.recognised == "Zendesk — Support ticket CSV export"
    assert freshdesk.recognised == "Freshdesk — Ticket export"
    rows = stored(app)
    assert {ref: (row["agent"], row["channel"]) for ref, row in rows.items()} == {
        "4711": ("a1@example.test", "email"),  # Via "Web form"
        "4712": ("a2@example.test", "email"),  # Via "Mail"
        "1201": ("a1@example.test", "email"),  # Source "Email" (Type "Question")
        "1202": ("a2@example.test", "phone"),  # Source "Phone" (Type "Incident")
    }
    assert rows["1201"]["duration_seconds"] == 12 * 60 + 30  # Time tracked 00:12:30
    assert rows["4711"]["occurred_at"] == datetime(2026, 12, 11, 9, 12, 44, tzinfo=UTC)


@pytest.mark.parametrize(
    ("file", "source", "refs"),
    [("zendesk-tickets.csv", "zendesk", {"4711", "4712"}),
     ("freshdesk-tickets.csv", "freshdesk", {"1201", "1202"})],
)  # fmt: skip
def test_name_only_ticket_exports_match_unique_names_with_a_warning(
    app: Flask,
    org: Organisation,
    vendor_import: Callable[..., ImportReport],
    file: str,
    source: str,
    refs: set[str],
) -> None:
    """The agents' display names are the names the ticket system shows: each file imports,
    matched by name, and says so for each name (never silently)."""
    with app.app_context():
        db.session.get(User, org.agent_a1.id).display_name = "Anna Smith"
        db.session.get(User, org.agent_a2.id).display_name = "Ben Jones"
        db.session.commit()
    report = vendor_import(file, source=source)
    assert {(match.value, match.agent_id) for match in report.name_matches} == {
        ("Anna Smith", org.agent_a1.id),
        ("Ben Jones", org.agent_a2.id),
    }
    assert all("by name" in str(match) for match in report.name_matches)
    assert {ref: row["agent"] for ref, row in stored(app).items()} == dict(
        zip(sorted(refs), ["a1@example.test", "a2@example.test"], strict=True)
    )


def test_a_name_two_agents_share_is_refused(
    app: Flask, org: Organisation, vendor_import: Callable[..., ImportReport]
) -> None:
    with app.app_context():
        for agent in (org.agent_a1, org.agent_b1):
            db.session.get(User, agent.id).display_name = "Anna Smith"
        db.session.get(User, org.agent_a2.id).display_name = "Ben Jones"
        db.session.commit()
    with pytest.raises(TableError) as caught:
        vendor_import("zendesk-tickets.csv", source="zendesk")
    assert [str(problem) for problem in caught.value.problems] == [
        'row 2, column "Assignee" ("Anna Smith"): '
        "2 of your agents are called 'Anna Smith'; add their zendesk ids"
    ]
    assert stored(app) == {}


def test_five9_call_log(app: Flask, vendor_import: Callable[..., ImportReport]) -> None:
    report = vendor_import("five9-call-log.csv")
    assert report.recognised == "Five9 — Call Log export"
    text = (VENDORS / "five9-call-log.csv").read_text()

    def seconds(clock: str) -> int:
        hours, minutes, secs = map(int, clock.split(":"))
        return hours * 3600 + minutes * 60 + secs

    expected = {
        row["CALL ID"]: {
            "agent": row["AGENT"],
            "channel": "phone",  # Inbound, Autodial, Queue Callback: all calls
            # "Fri, 11 Dec 2026 08:16:12": the domain's local time (the centre's zone: UTC)
            "occurred_at": datetime.strptime(row["TIMESTAMP"], "%a, %d %b %Y %H:%M:%S").replace(
                tzinfo=UTC
            ),
            "duration_seconds": seconds(row["TALK TIME"]),
            "queue": row["CAMPAIGN"],
            "customer_ref": row["ANI"],
            "transcript": None,
            "recording_url": None,
        }
        for row in csv.DictReader(io.StringIO(text))
    }
    assert stored(app) == expected


def test_two_agent_columns_in_an_unrecognised_file_are_refused_naming_both(
    app: Flask, vendor_import: Callable[..., ImportReport], tmp_path: Path
) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "Agent,Agent Email,Channel,Date,Call ID\n"
        "Anna Smith,a1@example.test,phone,2026-12-11 08:00,c-1\n"
    )
    with pytest.raises(TableError) as caught:
        vendor_import(path)
    assert [str(problem) for problem in caught.value.problems] == [
        'columns "Agent", "Agent Email" could each be the agent; remove the others from the '
        "file, or save a column mapping for this source that names the one to use"
    ]


def test_the_cli_imports_an_interaction_list_as_the_web_import(
    app: Flask, org: Organisation, runner: Any, tmp_path: Path
) -> None:
    path = tmp_path / "talkdesk.csv"
    path.write_bytes((VENDORS / "talkdesk-calls.csv").read_bytes())
    dry = runner.invoke(args=["import-interactions", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.strip() == (
        "Would import 3 interactions for 2 agents from 3 rows (0 already imported). "
        "Recognised as Talkdesk — Calls report export. Read as UTF-8 text."
    )
    assert stored(app) == {}
    done = runner.invoke(args=["import-interactions", str(path), "--source", "talkdesk"])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("Imported 3 interactions for 2 agents from 3 rows")
    assert len(stored(app)) == 3
    again = runner.invoke(args=["import-interactions", str(path), "--source", "talkdesk"])
    assert "Imported 0 interactions for 0 agents from 3 rows (3 already imported)." in again.stdout


def test_the_cli_warns_of_agents_matched_by_name(
    app: Flask, org: Organisation, runner: Any, tmp_path: Path
) -> None:
    with app.app_context():
        db.session.get(User, org.agent_a1.id).display_name = "Anna Smith"
        db.session.get(User, org.agent_a2.id).display_name = "Ben Jones"
        db.session.commit()
    path = tmp_path / "zendesk.csv"
    path.write_bytes((VENDORS / "zendesk-tickets.csv").read_bytes())
    done = runner.invoke(args=["import-interactions", str(path), "--source", "zendesk"])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("Imported 2 interactions for 2 agents from 2 rows")
    warned = sorted(done.stderr.splitlines())
    assert warned == [
        f"Warning: matched '{name}' by name; link their zendesk id to be sure (agent {agent})."
        for name, agent in [("Anna Smith", org.agent_a1.id), ("Ben Jones", org.agent_a2.id)]
    ]


def test_the_cli_tells_a_refused_file(runner: Any, org: Organisation, tmp_path: Path) -> None:
    path = tmp_path / "zendesk.csv"
    path.write_bytes((VENDORS / "zendesk-tickets.csv").read_bytes())
    result = runner.invoke(args=["import-interactions", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:] == [
        "Nothing was imported: 2 problems in zendesk.csv:",
        f'  row 2, column "Assignee" ("Anna Smith"): {UNKNOWN_AGENT}',
        f'  row 3, column "Assignee" ("Ben Jones"): {UNKNOWN_AGENT}',
    ]
