"""Statistics exports laid out as each vendor's documentation describes them
(tests/data/vendors/, see qa_app/uploads/presets/), imported with no hand edits: every stored
total and KPI is checked against figures computed here from the file with plain Python."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.stats.importer import StatsReport, import_stats
from qa_app.stats.kpis import kpi_totals
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation
from tests.stats.test_import import stored

VENDORS = Path(__file__).parent.parent / "data" / "vendors"
Expected = dict[tuple[str, str, str], dict[str, int]]


def whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def clock(text: str) -> int:
    """Seconds of "h:mm:ss" or "m:ss"."""
    parts = [int(part) for part in text.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def add(expected: Expected, key: tuple[str, str, str], figures: dict[str, int]) -> None:
    totals = expected.setdefault(key, {})
    for name, value in figures.items():
        totals[name] = totals.get(name, 0) + value


def with_all_rows(expected: Expected) -> Expected:
    """Per-channel agent-days also stored as their "all" sum."""
    result = {key: dict(figures) for key, figures in expected.items()}
    for (email, day, channel), figures in expected.items():
        if channel != "all":
            add(result, (email, day, "all"), figures)
    return result


def non_zero(expected: Expected) -> Expected:
    return {key: {k: v for k, v in figures.items() if v} for key, figures in expected.items()}


@pytest.fixture
def vendor_import(app: Flask, org: Organisation) -> Callable[..., StatsReport]:
    def run(file: str, ids: dict[str, str], *, source: str = "acd", **options: Any) -> StatsReport:
        with app.app_context():
            for email, external_id in ids.items():
                db.session.scalar(
                    sa.select(User).where(User.email == email)
                ).external_id = external_id
            db.session.commit()
            actor = db.session.get(User, org.admin.id)
            try:
                report = import_stats(
                    (VENDORS / file).read_bytes(),
                    file,
                    source=source,
                    actor=actor,
                    max_bytes=1_000_000,
                    max_rows=1000,
                    **options,
                )
            except TableError:
                db.session.rollback()
                raise
            db.session.commit()
            return report

    return run


def check_kpis(app: Flask, expected: Expected) -> None:
    """The KPIs of each agent over the file's days, from qa_app.stats.kpis, against the
    ratios of the sums computed here."""
    days = sorted({day for _, day, _ in expected})
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    with app.app_context():
        for email in {email for email, _, _ in expected}:
            agent_id = db.session.scalar(sa.select(User.id).where(User.email == email))
            sums: dict[str, int] = {}
            for (who, _day, channel), figures in expected.items():
                if who == email and channel == "all":
                    for name, value in figures.items():
                        sums[name] = sums.get(name, 0) + value
            totals = kpi_totals([agent_id], first, last)
            contacts, handle = sums.get("contacts_handled", 0), sums.get("handle_seconds", 0)
            logged_in = sums.get("logged_in_seconds", 0)
            assert totals.contacts_handled == contacts
            assert totals.aht_seconds == (handle / contacts if contacts else None)
            assert totals.contacts_per_hour == (contacts * 3600 / logged_in if logged_in else None)


def audit_after(app: Flask) -> dict[str, Any]:
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "stats.imported")
        ).one()
        return dict(event.after)


# ------------------------------------------------------------------------------ Genesys Cloud

GENESYS_IDS = {
    "a1@example.test": "8a5d2c1e-3f4b-4c6d-9e8f-0a1b2c3d4e5f",
    "a2@example.test": "b7e6f5d4-c3b2-4a19-8807-f6e5d4c3b2a1",
}


def genesys_expected() -> Expected:
    by_id = {external: email for email, external in GENESYS_IDS.items()}
    media = {"voice": "phone", "callback": "phone", "chat": "chat"}
    expected: Expected = {}
    text = (VENDORS / "genesys-cloud-agents-performance.csv").read_text()
    for row in csv.DictReader(io.StringIO(text)):
        key = (by_id[row["Agent Id"]], row["Interval Start"][:10], media[row["Media Type"]])

        def seconds(name: str, row: dict[str, str] = row) -> int:
            return whole(Decimal(row[name]) / 1000)  # milliseconds

        handle = seconds("Total Handle")
        add(
            expected,
            key,
            {
                "contacts_handled": int(row["Handle"]),
                "handle_seconds": handle,
                "talk_seconds": seconds("Total Talk"),
                "hold_seconds": seconds("Total Hold"),
                "acw_seconds": seconds("Total ACW"),
            },
        )
    return non_zero(with_all_rows(expected))


def test_genesys_agents_performance_export(
    app: Flask, vendor_import: Callable[..., StatsReport]
) -> None:
    report = vendor_import("genesys-cloud-agents-performance.csv", GENESYS_IDS)
    assert report.recognised == "Genesys Cloud — Agents Performance export"
    expected = genesys_expected()
    assert stored(app) == expected
    # The bug: AHT 361,798 s (milliseconds read as seconds), not 361.8 s: voice
    # 15,195,516 ms → 15,196 s, callback 900,750 ms → 901 s.
    assert expected[("a1@example.test", "2026-12-05", "phone")]["handle_seconds"] == 16_097
    check_kpis(app, expected)
    assert audit_after(app)["recognised"] == "Genesys Cloud — Agents Performance export"


# ----------------------------------------------------------------------------- Amazon Connect

CONNECT_IDS = {"a1@example.test": "anna.smith", "a2@example.test": "ben.jones"}


def connect_expected() -> Expected:
    by_login = {login: email for email, login in CONNECT_IDS.items()}
    expected: Expected = {}
    text = (VENDORS / "amazon-connect-agent-performance.csv").read_text()
    for row in csv.DictReader(io.StringIO(text)):

        def seconds(name: str, row: dict[str, str] = row) -> int:
            return 0 if row[name] == "-" else int(row[name])  # "-": no data

        contacts = int(row["Contacts handled"])
        aht = row["Average handle time"]
        add(
            expected,
            (by_login[row["Agent"]], row["Interval"], "all"),
            {
                "contacts_handled": contacts,
                "handle_seconds": 0 if aht == "-" else whole(Decimal(aht) * contacts),
                "talk_seconds": seconds("Agent interaction time"),
                "hold_seconds": seconds("Customer hold time"),
                "acw_seconds": seconds("After contact work time"),
                "logged_in_seconds": seconds("Online time"),
            },
        )
    return non_zero(expected)


def test_amazon_connect_agent_performance_export(
    app: Flask, vendor_import: Callable[..., StatsReport]
) -> None:
    report = vendor_import("amazon-connect-agent-performance.csv", CONNECT_IDS)
    assert report.recognised == "Amazon Connect — Agent performance (historical metrics) CSV"
    expected = connect_expected()
    assert stored(app) == expected
    check_kpis(app, expected)
