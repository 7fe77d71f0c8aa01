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
from qa_app.stats.models import AgentDailyStat
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation
from tests.stats.test_import import stored
from tests.support.imports import import_as

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
    def run(
        file: str | Path, ids: dict[str, str], *, source: str = "acd", **options: Any
    ) -> StatsReport:
        path = file if isinstance(file, Path) else VENDORS / file
        with app.app_context():
            for email, external_id in ids.items():
                db.session.scalar(
                    sa.select(User).where(User.email == email)
                ).external_id = external_id
            db.session.commit()
        return import_as(
            app,
            org.admin.id,
            import_stats,
            path.read_bytes(),
            path.name,
            source=source,
            max_bytes=1_000_000,
            max_rows=1000,
            **options,
        )

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


# ------------------------------------------- the other presets: one agent-day per data row


def rows_of(file: str, *, skip: int = 0, totals: int = 0, delimiter: str = ",") -> list[dict]:
    """The file's data rows read here: `skip` title lines above the header, `totals` rows
    at the end; Windows-1252 when the file is not UTF-8 (an Excel-DE export)."""
    data = (VENDORS / file).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    lines = text.splitlines()[skip : len(text.splitlines()) - totals]
    return list(csv.DictReader(lines, delimiter=delimiter))


def daily(
    rows: list[dict],
    agent: Callable[[dict], str],
    day: Callable[[dict], str],
    figures: dict[str, tuple[str, Callable[[str], int]]],
) -> Expected:
    """Each row's agent-day ("all" channels) with `figures`: our name → (header, reading)."""
    expected: Expected = {}
    for row in rows:
        values = {name: read(row[header]) for name, (header, read) in figures.items()}
        if "handle_seconds" not in values:  # handle = talk + hold + after-call work
            values["handle_seconds"] = sum(
                values.get(name, 0) for name in ("talk_seconds", "hold_seconds", "acw_seconds")
            )
        add(expected, (agent(row), day(row), "all"), values)
    return non_zero(expected)


def us_date(text: str) -> str:
    month, day, year = text.split("/")
    return f"{year}-{int(month):02}-{int(day):02}"


def dotted_date(text: str) -> str:
    day, month, year = text.split(".")
    return f"{year}-{month}-{day}"


def count_or_dash(text: str) -> int:
    return 0 if text == "-" else int(text)


CASES: dict[str, tuple[str, dict[str, str], Callable[[], Expected]]] = {
    "five9-agent-report.csv": (
        "Five9 — Agent report export",
        {},
        lambda: daily(
            rows_of("five9-agent-report.csv"),
            lambda row: row["AGENT"],
            lambda row: row["DATE"].replace("/", "-"),
            {
                "contacts_handled": ("CALLS count", int),
                "logged_in_seconds": ("LOGIN TIME", clock),
                "talk_seconds": ("TALK TIME", clock),
                "hold_seconds": ("HOLD TIME", clock),
                "acw_seconds": ("AFTER CALL WORK TIME", clock),
                "transfers": ("TRANSFERS count", int),
            },
        ),
    ),
    "avaya-cms-agent.csv": (
        "Avaya CMS — Agent report (CMS Supervisor export)",
        {"a1@example.test": "5001", "a2@example.test": "5002"},
        lambda: daily(
            rows_of("avaya-cms-agent.csv", skip=3, totals=1),
            lambda row: {"5001": "a1@example.test", "5002": "a2@example.test"}[row["Login ID"]],
            lambda row: "2026-12-11",  # the title line "Date: 12/11/2026", US month first
            {
                "contacts_handled": ("ACD Calls", int),
                "talk_seconds": ("ACD Time", clock),
                "acw_seconds": ("ACW Time", clock),  # "26:36" is mm:ss
                "logged_in_seconds": ("Staffed Time", clock),
                "transfers": ("Trans Out", count_or_dash),
            },
        ),
    ),
    "cisco-cuic-agent-team.csv": (
        "Cisco CUIC — Agent Team Historical export",
        {"a1@example.test": "5001", "a2@example.test": "5002"},
        lambda: daily(
            rows_of("cisco-cuic-agent-team.csv", skip=2, totals=1),
            lambda row: {"5001": "a1@example.test", "5002": "a2@example.test"}[row["Agent ID"]],
            lambda row: us_date(row["Interval"]),
            {
                "contacts_handled": ("Handled", int),
                "logged_in_seconds": ("Logged On Time", clock),
                "talk_seconds": ("Talk Time", clock),
                "hold_seconds": ("Hold Time", clock),
                "acw_seconds": ("Wrapup Time", clock),
            },
        ),
    ),
    "twilio-flex-insights.csv": (
        "Twilio Flex Insights — Agent performance report export",
        {},
        lambda: daily(
            rows_of("twilio-flex-insights.csv"),
            lambda row: row["Agent Email"],
            lambda row: row["Date"],
            {
                "contacts_handled": ("Conversations", int),
                "handle_seconds": ("Handle Time", int),
                "talk_seconds": ("Talk Time", int),
                "acw_seconds": ("Wrap Up Time", int),
                "hold_seconds": ("Hold Time", int),
            },
        ),
    ),
    "german-acd.csv": (
        "Deutsche ACD — Agentenstatistik (CSV)",
        {"a1@example.test": "A-1", "a2@example.test": "A-2"},
        lambda: daily(
            rows_of("german-acd.csv", skip=2, totals=1, delimiter=";"),
            lambda row: {"A-1": "a1@example.test", "A-2": "a2@example.test"}[row["Agent-ID"]],
            lambda row: dotted_date(row["Datum"]),
            {
                "contacts_handled": ("Angenommene Anrufe", int),
                "talk_seconds": ("Gesprächszeit", clock),
                "hold_seconds": ("Haltezeit", clock),
                "acw_seconds": ("Nachbearbeitungszeit", clock),
                "logged_in_seconds": ("Angemeldet", clock),
            },
        ),
    ),
    "polish-acd.csv": (
        "Polska ACD — Statystyki konsultantów (CSV)",
        {},
        lambda: daily(
            rows_of("polish-acd.csv", totals=1, delimiter=";"),
            lambda row: row["Login"],
            lambda row: dotted_date(row["Data"]),
            {
                "contacts_handled": ("Odebrane połączenia", int),
                "talk_seconds": ("Czas rozmowy", clock),
                "handle_seconds": ("Czas obsługi", clock),
                "logged_in_seconds": ("Czas zalogowania", clock),
            },
        ),
    ),
}


@pytest.mark.parametrize("file", sorted(CASES))
def test_statistics_export_as_the_vendor_lays_it_out(
    app: Flask, vendor_import: Callable[..., StatsReport], file: str
) -> None:
    """Title lines above the header, totals rows below it ("Totals", "Total", "Summe",
    "Razem"), US, German and year-first dates, mm:ss and h:mm:ss, "-" for no data, and the
    agent's id column chosen where a name column could be taken for it."""
    title, ids, expected = CASES[file]
    report = vendor_import(file, ids)
    assert report.recognised == title
    assert stored(app) == expected()
    check_kpis(app, expected())


def test_a_title_line_day_missing_is_told(
    app: Flask, vendor_import: Callable[..., StatsReport], tmp_path: Path
) -> None:
    text = (VENDORS / "avaya-cms-agent.csv").read_text().replace("Date: 12/11/2026\n", "")
    (tmp_path / "avaya.csv").write_text(text)
    with pytest.raises(TableError) as caught:
        vendor_import(tmp_path / "avaya.csv", {})
    assert [str(problem) for problem in caught.value.problems] == [
        'the file looks like the export "Avaya CMS — Agent report (CMS Supervisor export)", '
        'whose day is given by a title line "Date: …" above the header; the file has none'
    ]


def test_problems_below_title_lines_name_the_row_the_user_sees(
    app: Flask, vendor_import: Callable[..., StatsReport], tmp_path: Path
) -> None:
    text = (VENDORS / "cisco-cuic-agent-team.csv").read_text().replace(",42,", ",4x2,")
    (tmp_path / "cuic.csv").write_text(text)
    with pytest.raises(TableError) as caught:
        vendor_import(tmp_path / "cuic.csv", {"a1@example.test": "5001", "a2@example.test": "5002"})
    # Two title lines and the header above: Anna's first row is line 4 of the file.
    assert [str(problem) for problem in caught.value.problems] == [
        'row 4, column "Handled" ("4x2"): not a whole number'
    ]
    assert stored(app) == {}


# ------------------------------------------------------------ Zendesk Explore (a survey source)

EXPLORE = "zendesk-explore-satisfaction.csv"
EXPLORE_NAMES = {"Anna Smith": "a1@example.test", "Ben Jones": "a2@example.test"}


@pytest.fixture
def named_agents(app: Flask, org: Organisation) -> None:
    """A1 and A2 with the display names Zendesk shows as the assignee."""
    with app.app_context():
        db.session.get_one(User, org.agent_a1.id).display_name = "Anna Smith"
        db.session.get_one(User, org.agent_a2.id).display_name = "Ben Jones"
        db.session.commit()


def explore_expected(text: str) -> Expected:
    """Each assignee-day's good ratings and responses (rated = good + bad where the report
    has no rated column), read here from the file."""
    expected: Expected = {}
    for row in csv.DictReader(io.StringIO(text)):
        good, bad = int(row["Good satisfaction tickets"]), int(row["Bad satisfaction tickets"])
        rated = int(row.get("Rated satisfaction tickets") or good + bad)
        key = (EXPLORE_NAMES[row["Assignee name"]], row["Ticket solved - Date"], "all")
        add(expected, key, {"csat_responses": rated, "csat_positive": good})
    return non_zero(expected)


def by_source(app: Flask) -> dict[tuple[str, str, str], dict[str, int | None]]:
    """Every stored row: (e-mail, day, source) → its contacts and CSAT totals (None: no
    figure from that source)."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(User.email, AgentDailyStat).join(User, User.id == AgentDailyStat.agent_id)
        ).all()
        names = ("contacts_handled", "handle_seconds", "csat_responses", "csat_positive")
        return {
            (email, row.day.isoformat(), row.source): {name: getattr(row, name) for name in names}
            for email, row in rows
        }


def test_zendesk_explore_satisfaction_export(
    app: Flask, org: Organisation, named_agents: None, vendor_import: Callable[..., StatsReport]
) -> None:
    report = vendor_import(EXPLORE, {}, source="zendesk")
    assert report.recognised == "Zendesk Explore — Satisfaction report export"
    # Assignees are names only: each matched by its unique display name, and told so.
    assert {(match.value, match.agent_id) for match in report.name_matches} == {
        ("Anna Smith", org.agent_a1.id),
        ("Ben Jones", org.agent_a2.id),
    }
    assert all("by name" in str(match) for match in report.name_matches)
    expected = explore_expected((VENDORS / EXPLORE).read_text())
    assert stored(app) == expected
    # Ben on 11 Dec: one bad rating of one; 0 good is a figure, not "no data".
    assert expected[("a2@example.test", "2026-12-11", "all")] == {"csat_responses": 1}
    with app.app_context():
        for email in EXPLORE_NAMES.values():
            agent_id = db.session.scalar(sa.select(User.id).where(User.email == email))
            sums = {"csat_responses": 0, "csat_positive": 0}
            for (who, _day, _channel), figures in expected.items():
                if who == email:
                    for name in sums:
                        sums[name] += figures.get(name, 0)
            totals = kpi_totals([agent_id], date(2026, 12, 10), date(2026, 12, 11))
            assert (totals.csat_responses, totals.csat_positive) == (
                sums["csat_responses"],
                sums["csat_positive"],
            )
            assert totals.csat_pct == 100 * sums["csat_positive"] / sums["csat_responses"]
            assert totals.contacts_handled == 0 and totals.aht_seconds is None


def test_an_explore_report_without_rated_tickets_counts_good_and_bad(
    app: Flask, named_agents: None, vendor_import: Callable[..., StatsReport], tmp_path: Path
) -> None:
    """Zendesk's Satisfaction tab shows good and bad tickets and the score, no rated count:
    the responses are good + bad (Zendesk's own formula), the same totals as with it."""
    rows = list(csv.reader(io.StringIO((VENDORS / EXPLORE).read_text())))
    rated = rows[0].index("Rated satisfaction tickets")
    text = "".join(",".join(r[:rated] + r[rated + 1 :]) + "\n" for r in rows)
    (tmp_path / "explore.csv").write_text(text)
    report = vendor_import(tmp_path / "explore.csv", {}, source="zendesk")
    assert report.recognised == "Zendesk Explore — Satisfaction report export"
    assert (
        stored(app) == explore_expected(text) == explore_expected((VENDORS / EXPLORE).read_text())
    )


@pytest.mark.parametrize(
    ("header", "row", "problem"),
    [
        (
            "Assignee name,Ticket solved - Date,Good satisfaction tickets,"
            "Bad satisfaction tickets,Rated satisfaction tickets",
            "Anna Smith,2026-12-10,14,3,16",
            'row 2, column "Bad satisfaction tickets" ("3"): '
            "good and bad ratings together are more than the csat responses",
        ),
        (
            "Assignee name,Ticket solved - Date,Bad satisfaction tickets,"
            "Rated satisfaction tickets",
            "Anna Smith,2026-12-10,2,16",
            'row 2, column "Bad satisfaction tickets" ("2"): '
            "bad ratings need the good ones beside them (csat positive)",
        ),
    ],
)
def test_bad_ratings_that_do_not_add_up_are_refused(
    app: Flask,
    named_agents: None,
    vendor_import: Callable[..., StatsReport],
    tmp_path: Path,
    header: str,
    row: str,
    problem: str,
) -> None:
    (tmp_path / "explore.csv").write_text(f"{header}\n{row}\n")
    with pytest.raises(TableError) as caught:
        vendor_import(tmp_path / "explore.csv", {}, source="zendesk")
    assert problem in [str(found) for found in caught.value.problems]
    assert stored(app) == {}


def test_an_explore_import_keeps_the_phone_systems_figures_of_the_same_days(
    app: Flask, named_agents: None, vendor_import: Callable[..., StatsReport], tmp_path: Path
) -> None:
    """The survey file has no contact counts: imported under its own source it adds CSAT to
    the agent-days the phone system gave, and replaces nothing of the phone system's."""
    phone = tmp_path / "acd.csv"
    phone.write_text(
        "Agent,Date,Calls handled,Handle time\n"
        "a1@example.test,2026-12-10,40,12000\n"
        "a2@example.test,2026-12-11,25,7500\n"
    )
    vendor_import(phone, {}, source="acd")
    before = by_source(app)
    report = vendor_import(EXPLORE, {}, source="zendesk")
    assert report.replaced == 0
    after = by_source(app)
    assert {key: after[key] for key in before} == before  # the phone system's rows unchanged
    expected = explore_expected((VENDORS / EXPLORE).read_text())
    assert {key for key in after if key[2] == "zendesk"} == {
        (email, day, "zendesk") for email, day, _channel in expected
    }
    for (email, day, _channel), figures in expected.items():
        row = after[(email, day, "zendesk")]
        # No contact figures from the survey tool: NULL, not 0.
        assert row == {
            "contacts_handled": None,
            "handle_seconds": None,
            "csat_responses": figures.get("csat_responses", 0),
            "csat_positive": figures.get("csat_positive", 0),
        }
    # Importing the survey file again replaces its own rows only.
    again = vendor_import(EXPLORE, {}, source="zendesk")
    assert again.replaced == len(expected)
    assert by_source(app) == after
    # Every KPI adds the sources up: A1 on 10 Dec, 40 calls (AHT 300 s) and 14 of 16 good.
    with app.app_context():
        a1 = db.session.scalar(sa.select(User.id).where(User.email == "a1@example.test"))
        totals = kpi_totals([a1], date(2026, 12, 10), date(2026, 12, 10))
    assert (totals.contacts_handled, totals.aht_seconds) == (40, 300)
    assert (totals.csat_responses, totals.csat_positive, totals.csat_pct) == (16, 14, 87.5)
