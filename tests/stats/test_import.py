"""Importing per-agent daily statistics: aliases, separators, encodings, XLSX, averages turned
into totals, every bad row reported with nothing written, idempotent re-imports, the CLI."""

from __future__ import annotations

import gc
import html
import io
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.stats import daily_rows
from qa_app.stats import importer as stats_importer
from qa_app.stats.importer import StatsReport
from qa_app.stats.kpis import kpi_totals
from qa_app.stats.models import TOTAL_COLUMNS, AgentDailyStat, ColumnMapping
from qa_app.uploads.columns import CHOOSE_COLUMN
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation, post_form

NOV_2, NOV_3 = "2026-11-02", "2026-11-03"

# A1 (external id A-1) on Nov 2: 80 contacts at AHT 5:00 → 24000 s; staffed 8 h = 28800 s;
#   CSAT 90% of 20 → 18; NPS 20: 12 P 2 D; FCR 75% of 40 → 30; 4 transfers.
# A1 on Nov 3: a zero-contact day (AHT blank), 2 h staffed, no survey responses.
# A2 (by e-mail, German date) on Nov 2: 20 contacts, AHT 250 s → 5000 s; 14400 s staffed;
#   CSAT 100% of 5 → 5; NPS 5: 5 P 0 D; FCR 100% of 10 → 10.
GOOD = (
    "Agent;Date;Calls Handled;AHT;Staffed Time;CSAT Responses;CSAT;NPS Responses;"
    "NPS Promoters;NPS Detractors;FCR Eligible;FCR;Transfers\n"
    "A-1;2026-11-02;80;0:05:00;8:00:00;20;90%;20;12;2;40;75%;4\n"
    "A-1;2026-11-03;0;;2:00:00;0;;0;0;0;0;;0\n"
    "a2@example.test;02.11.2026;20;250;14400;5;100;5;5;0;10;100;0\n"
)
A1_NOV_2 = {
    "contacts_handled": 80, "handle_seconds": 24_000, "logged_in_seconds": 28_800,
    "csat_responses": 20, "csat_positive": 18, "nps_responses": 20, "nps_promoters": 12,
    "nps_detractors": 2, "fcr_eligible": 40, "fcr_resolved": 30, "transfers": 4,
}  # fmt: skip
GOOD_STORED = {
    ("a1@example.test", NOV_2, "all"): A1_NOV_2,
    ("a1@example.test", NOV_3, "all"): {"logged_in_seconds": 7_200},
    ("a2@example.test", NOV_2, "all"): {
        "contacts_handled": 20, "handle_seconds": 5_000, "logged_in_seconds": 14_400,
        "csat_responses": 5, "csat_positive": 5, "nps_responses": 5, "nps_promoters": 5,
        "fcr_eligible": 10, "fcr_resolved": 10,
    },
}  # fmt: skip


def stored(app: Flask) -> dict[tuple[str, str, str], dict[str, int]]:
    """Every stored agent-day: (e-mail, day, channel) → its non-zero totals."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(User.email, AgentDailyStat).join(User, User.id == AgentDailyStat.agent_id)
        ).all()
        return {
            (email, row.day.isoformat(), row.channel): {
                name: value for name in TOTAL_COLUMNS if (value := getattr(row, name))
            }
            for email, row in rows
        }


def sources(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(AgentDailyStat.source)))


def audit_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "stats.imported")
            .order_by(AuditEvent.id)
        ).all()
        for event in events:
            db.session.expunge(event)
        return list(events)


def problems(error: pytest.ExceptionInfo[TableError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


def a1_nov_2(app: Flask) -> dict[str, int]:
    return stored(app)[("a1@example.test", NOV_2, "all")]


# ------------------------------------------------------------------------------ a good file


def test_imports_a_file_with_averages_as_totals(
    app: Flask, org: Organisation, importer: Any
) -> None:
    report = importer(GOOD)
    assert report == StatsReport(
        rows=3,
        agent_days=3,
        new=3,
        replaced=0,
        agents=2,
        first_day=date(2026, 11, 2),
        last_day=date(2026, 11, 3),
        dry_run=False,
    )
    assert stored(app) == GOOD_STORED
    assert sources(app) == {"acd"}


def test_the_import_is_audited(app: Flask, org: Organisation, importer: Any) -> None:
    importer(GOOD, filename="november.csv")
    [event] = audit_events(app)
    assert (event.entity_type, event.entity_id, event.actor_id) == (
        "agent_daily_stat",
        None,
        org.admin.id,
    )
    assert event.after == {
        "file": "november.csv",
        "source": "acd",
        "rows": 3,
        "agent_days": 3,
        "replaced": 0,
        "period": [NOV_2, NOV_3],
    }


def test_importing_the_same_file_twice_leaves_the_same_data(app: Flask, importer: Any) -> None:
    importer(GOOD)
    first = stored(app)
    report = importer(GOOD)
    assert (report.agent_days, report.new, report.replaced) == (3, 0, 3)
    assert stored(app) == first == GOOD_STORED
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AgentDailyStat.id))) == 3
    assert [event.after["replaced"] for event in audit_events(app)] == [0, 3]


def test_a_corrected_file_replaces_its_agent_days_only(app: Flask, importer: Any) -> None:
    importer(GOOD)
    # A1's Nov 2 corrected (40 calls, 6:00 AHT, nothing else), plus a new day for A1
    report = importer("Agent;Date;Calls Handled;AHT\nA-1;2026-11-02;40;6:00\nA-1;2026-11-04;1;60\n")
    assert (report.agent_days, report.new, report.replaced) == (2, 1, 1)
    data = stored(app)
    # the whole agent-day is replaced, not merged: the survey counts are gone
    assert data[("a1@example.test", NOV_2, "all")] == {
        "contacts_handled": 40,
        "handle_seconds": 14_400,
    }
    assert data[("a1@example.test", "2026-11-04", "all")] == {
        "contacts_handled": 1,
        "handle_seconds": 60,
    }
    # the agent-days the file does not mention are untouched
    for key in (("a1@example.test", NOV_3, "all"), ("a2@example.test", NOV_2, "all")):
        assert data[key] == GOOD_STORED[key]


def test_a_dry_run_writes_nothing(app: Flask, importer: Any) -> None:
    report = importer(GOOD, dry_run=True)
    assert (report.dry_run, report.rows, report.agent_days, report.new) == (True, 3, 3, 3)
    assert stored(app) == {}
    assert audit_events(app) == []
    importer(GOOD)
    again = importer(GOOD, dry_run=True)
    assert (again.new, again.replaced) == (0, 3)
    assert len(audit_events(app)) == 1


def test_interval_rows_of_one_agent_day_add_up(app: Flask, importer: Any) -> None:
    # 09:00: 10 calls × 300 s, CSAT 80% of 5 = 4;  09:30: 6 calls × 240 s, CSAT 100% of 2 = 2;
    # 10:00: 4 calls × 6:15 (375 s), no surveys. Sum: 20 calls, 3000 + 1440 + 1500 = 5940 s,
    # 1800 s × 3 staffed, CSAT 6/7. A2's 09:00 interval is its own agent-day.
    report = importer(
        "Agent;Interval;Calls Handled;AHT;Staffed Time;Surveys;CSAT\n"
        "A-1;2026-11-02 09:00;10;300;1800;5;80\n"
        "A-1;2026-11-02 09:30;6;240;1800;2;100\n"
        "A-1;2026-11-02 10:00;4;0:06:15;0:30:00;0;\n"
        "a2@example.test;2026-11-02 09:00;3;100;1800;0;\n"
    )
    assert (report.rows, report.agent_days, report.agents) == (4, 2, 2)
    assert stored(app) == {
        ("a1@example.test", NOV_2, "all"): {
            "contacts_handled": 20,
            "handle_seconds": 5_940,
            "logged_in_seconds": 5_400,
            "csat_responses": 7,
            "csat_positive": 6,
        },
        ("a2@example.test", NOV_2, "all"): {
            "contacts_handled": 3,
            "handle_seconds": 300,
            "logged_in_seconds": 1_800,
        },
    }


def test_channel_rows_are_stored_per_channel(app: Flask, importer: Any) -> None:
    importer(
        "Agent;Date;Media Type;Calls Handled;Handle Time\n"
        "A-1;2026-11-02;Voice;10;3000\n"
        "A-1;2026-11-02;Web Chat;4;2000\n"
        "A-1;2026-11-02;All;14;5000\n"
        "A-1;2026-11-03;;1;100\n"
    )
    assert stored(app) == {
        ("a1@example.test", NOV_2, "phone"): {"contacts_handled": 10, "handle_seconds": 3000},
        ("a1@example.test", NOV_2, "chat"): {"contacts_handled": 4, "handle_seconds": 2000},
        ("a1@example.test", NOV_2, "all"): {"contacts_handled": 14, "handle_seconds": 5000},
        ("a1@example.test", NOV_3, "all"): {"contacts_handled": 1, "handle_seconds": 100},
    }


def test_a_file_of_channel_rows_only_still_gives_the_agents_kpis(
    app: Flask, org: Organisation, importer: Any
) -> None:
    # Many ACDs export one row per agent, day and media type. The agent page, `report agent`
    # and the KPI index read channel "all" only, so this agent would show no data at all.
    importer(
        "Agent;Date;Media Type;Calls Handled;Handle Time\n"
        "A-1;2026-11-02;Voice;10;3000\n"
        "A-1;2026-11-02;Web Chat;4;2000\n"
    )
    with app.app_context():
        totals = kpi_totals([org.agent_a1.id], date(2026, 11, 2), date(2026, 11, 2))
    # 14 contacts, 5000 s
    assert (totals.contacts_handled, totals.handle_seconds) == (14, 5000)


# ------------------------------------------------------------------------- column aliases


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        # agent: external id or e-mail, under any of its names, any case and spacing
        ("Agent;Date;Calls Handled", "A-1;2026-11-02;3", {"contacts_handled": 3}),
        ("Agent ID;Date;Calls Handled", "A-1;2026-11-02;3", {"contacts_handled": 3}),
        ("Login;Date;Calls Handled", "a1@example.test;2026-11-02;3", {"contacts_handled": 3}),
        (" AGENT_id ;Date;Calls Handled", "A-1;2026-11-02;3", {"contacts_handled": 3}),
        ("Agent Email;Date;Calls Handled", "A1@Example.TEST;2026-11-02;3", {"contacts_handled": 3}),
        ("employee-ID;Date;Calls Handled", "A-1;2026-11-02;3", {"contacts_handled": 3}),
        # day
        ("Agent;DATE;Calls Handled", "A-1;02.11.2026;3", {"contacts_handled": 3}),
        ("Agent;Interval;Calls Handled", "A-1;2026-11-02 14:30;3", {"contacts_handled": 3}),
        ("Agent;Report Date;Calls Handled", "A-1;2026/11/02;3", {"contacts_handled": 3}),
        # contacts
        ("Agent;Date;Contacts handled", "A-1;2026-11-02;3", {"contacts_handled": 3}),
        ("Agent;Date;contacts_handled", "A-1;2026-11-02;3", {"contacts_handled": 3}),
        ("Agent;Date;HANDLED  CALLS", "A-1;2026-11-02;3", {"contacts_handled": 3}),
        ("Agent;Date;Interactions Handled", "A-1;2026-11-02;1.234", {"contacts_handled": 1234}),
        # handle time as a total, or as an average (× contacts)
        (
            "Agent;Date;Calls Handled;Handle Time",
            "A-1;2026-11-02;3;0:15:00",
            {"contacts_handled": 3, "handle_seconds": 900},
        ),
        (
            "Agent;Date;Calls Handled;Total Handle Time",
            "A-1;2026-11-02;3;900",
            {"contacts_handled": 3, "handle_seconds": 900},
        ),
        (
            "Agent;Date;Calls Handled;AHT",
            "A-1;2026-11-02;3;300",
            {"contacts_handled": 3, "handle_seconds": 900},
        ),
        (
            "Agent;Date;Calls Handled;Avg Handle Time",
            "A-1;2026-11-02;3;5:00",  # mm:ss
            {"contacts_handled": 3, "handle_seconds": 900},
        ),
        (
            "Agent;Date;Calls Handled;average_handle_time",
            "A-1;2026-11-02;3;00:05:00",
            {"contacts_handled": 3, "handle_seconds": 900},
        ),
        # the parts of handle time
        (
            "Agent;Date;Calls Handled;Handle Time;Talk Time;Hold Time;ACW",
            "A-1;2026-11-02;3;900;600;1:00;4:00",
            {
                "contacts_handled": 3,
                "handle_seconds": 900,
                "talk_seconds": 600,
                "hold_seconds": 60,
                "acw_seconds": 240,
            },
        ),
        (
            "Agent;Date;Calls Handled;Handle Time;After Call Work",
            "A-1;2026-11-02;3;900;240",
            {"contacts_handled": 3, "handle_seconds": 900, "acw_seconds": 240},
        ),
        (
            "Agent;Date;Calls Handled;Handle Time;Wrap Time",
            "A-1;2026-11-02;3;900;0:04:00",
            {"contacts_handled": 3, "handle_seconds": 900, "acw_seconds": 240},
        ),
        # logged-in time
        (
            "Agent;Date;Calls Handled;Staffed Time",
            "A-1;2026-11-02;3;7:30:00",
            {"contacts_handled": 3, "logged_in_seconds": 27_000},
        ),
        (
            "Agent;Date;Calls Handled;Logged In Time",
            "A-1;2026-11-02;3;27000",
            {"contacts_handled": 3, "logged_in_seconds": 27_000},
        ),
        (
            "Agent;Date;Calls Handled;Login Time",
            "A-1;2026-11-02;3;27000",
            {"contacts_handled": 3, "logged_in_seconds": 27_000},
        ),
        # CSAT as counts, or as a percentage of its responses
        (
            "Agent;Date;Calls Handled;CSAT Responses;CSAT Positive",
            "A-1;2026-11-02;3;4;3",
            {"contacts_handled": 3, "csat_responses": 4, "csat_positive": 3},
        ),
        (
            "Agent;Date;Calls Handled;Surveys;CSAT",
            "A-1;2026-11-02;3;4;75%",
            {"contacts_handled": 3, "csat_responses": 4, "csat_positive": 3},
        ),
        (
            "Agent;Date;Calls Handled;Survey Responses;Customer Satisfaction",
            "A-1;2026-11-02;3;4;75",
            {"contacts_handled": 3, "csat_responses": 4, "csat_positive": 3},
        ),
        # NPS as promoters, detractors and responses (the score column is only an echo)
        (
            "Agent;Date;Calls Handled;NPS Responses;Promoters;Detractors;NPS",
            "A-1;2026-11-02;3;4;2;1;25",
            {"contacts_handled": 3, "nps_responses": 4, "nps_promoters": 2, "nps_detractors": 1},
        ),
        # FCR as counts, or as a percentage of the eligible contacts
        (
            "Agent;Date;Calls Handled;FCR Eligible;FCR Resolved",
            "A-1;2026-11-02;3;3;2",
            {"contacts_handled": 3, "fcr_eligible": 3, "fcr_resolved": 2},
        ),
        (
            "Agent;Date;Calls Handled;FCR Eligible;FCR",
            "A-1;2026-11-02;3;3;66.7",
            {"contacts_handled": 3, "fcr_eligible": 3, "fcr_resolved": 2},
        ),
        (
            "Agent;Date;Calls Handled;FCR Surveys;First Contact Resolution",
            "A-1;2026-11-02;3;4;50 %",
            {"contacts_handled": 3, "fcr_eligible": 4, "fcr_resolved": 2},
        ),
        # transfers
        (
            "Agent;Date;Calls Handled;Transferred",
            "A-1;2026-11-02;3;1",
            {"contacts_handled": 3, "transfers": 1},
        ),
    ],
)
def test_column_aliases(
    app: Flask, importer: Any, header: str, row: str, expected: dict[str, int]
) -> None:
    report = importer(f"{header}\n{row}\n")
    assert (report.agent_days, report.new) == (1, 1)
    assert stored(app) == {("a1@example.test", NOV_2, "all"): expected}


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # CSAT % × responses, rounded half up: 85% of 7 = 5.95 → 6; 50% of 5 = 2.5 → 3
        ("7;85%;;;", {"csat_responses": 7, "csat_positive": 6}),
        ("5;50;;;", {"csat_responses": 5, "csat_positive": 3}),
        # decimal comma; 85.5% of 200 = 171
        ("200;85,5 %;;;", {"csat_responses": 200, "csat_positive": 171}),
        # a value of 1 or less is taken literally: 0.9% of 1000 = 9
        ("1000;0.9;;;", {"csat_responses": 1000, "csat_positive": 9}),
        # no responses: 0 positive whatever the percentage says
        ("0;90%;;;", {}),
        # the count itself wins over its percentage echo
        ("20;90%;17;;", {"csat_responses": 20, "csat_positive": 17}),
        # FCR % × eligible: 66.7% of 3 = 2.001 → 2; 12.5% of 4 = 0.5 → 1
        (";;;3;66.7", {"fcr_eligible": 3, "fcr_resolved": 2}),
        (";;;4;12.5%", {"fcr_eligible": 4, "fcr_resolved": 1}),
        # a blank percentage is no data, not 0%
        ("6;;;4;", {"csat_responses": 6, "fcr_eligible": 4}),
    ],
)
def test_percentages_become_counts(
    app: Flask, importer: Any, cells: str, expected: dict[str, int]
) -> None:
    importer(
        "Agent;Date;Calls Handled;CSAT Responses;CSAT;CSAT Positive;FCR Eligible;FCR\n"
        f"A-1;2026-11-02;0;{cells}\n"
    )
    assert stored(app) == {("a1@example.test", NOV_2, "all"): expected}


# 70 % of 9 contacts = 6.3 → 6 resolved; a day without contacts has no FCR either.
FCR_OF_CONTACTS = (
    "Agent;Date;Calls Handled;AHT;FCR\nA-1;2026-11-02;9;0:05:00;70\nA-1;2026-11-03;0;;\n"
)


def test_an_fcr_percentage_without_eligible_contacts_is_a_share_of_the_contacts(
    app: Flask, importer: Any
) -> None:
    """As AHT is an average over the day's contacts, so is such an FCR %; the result says so."""
    assert importer(FCR_OF_CONTACTS, dry_run=True).fcr_from_contacts is True

    report = importer(FCR_OF_CONTACTS)

    assert report.fcr_from_contacts is True
    assert stored(app) == {
        ("a1@example.test", NOV_2, "all"): {
            "contacts_handled": 9, "handle_seconds": 2700, "fcr_eligible": 9, "fcr_resolved": 6,
        },
        ("a1@example.test", NOV_3, "all"): {},
    }  # fmt: skip
    with app.app_context():
        day_3 = db.session.scalar(
            sa.select(AgentDailyStat).where(AgentDailyStat.day == date(2026, 11, 3))
        )
        assert (day_3.fcr_eligible, day_3.fcr_resolved) == (0, 0)  # given: 0 of 0, not NULL
    # A file with its eligible contacts, or none of FCR, is read as before and says nothing.
    assert importer(GOOD).fcr_from_contacts is False
    assert importer(f"{HEAD}\nA-1;{NOV_2};1;60\n").fcr_from_contacts is False


def test_the_import_page_and_the_cli_say_fcr_was_taken_of_the_contacts(
    app: Flask, org: Organisation, importer: Any, sign_in_as: Any, runner: Any, tmp_path: Path
) -> None:
    note = "so each day's FCR was taken as a share of its contacts handled, as AHT is."
    client = sign_in_as(org.admin)
    data = {"source": "acd", "date_order": "", "dry_run": "y",
            "file": (io.BytesIO(FCR_OF_CONTACTS.encode()), "fcr.csv")}  # fmt: skip

    checked = post_form(client, "/stats/import", data, content_type="multipart/form-data")

    assert checked.status_code == 200
    assert note in html.unescape(checked.get_data(as_text=True))
    data = {"source": "acd", "date_order": "",
            "file": (io.BytesIO(FCR_OF_CONTACTS.encode()), "fcr.csv")}  # fmt: skip
    imported = post_form(client, "/stats/import", data, content_type="multipart/form-data")
    assert imported.status_code == 302
    assert note in html.unescape(client.get("/stats/import").get_data(as_text=True))
    result = runner.invoke(args=["import-stats", str(write(tmp_path, FCR_OF_CONTACTS))])
    assert result.exit_code == 0, result.output
    assert "Note: the file gives FCR as a percentage" in result.stdout
    assert note in result.stdout


def test_an_aht_beside_a_handle_total_is_ignored(app: Flask, importer: Any) -> None:
    # the total is exact; the average (rounded by the exporter) is only its echo
    importer("Agent;Date;Calls Handled;Handle Time;AHT\nA-1;2026-11-02;3;1000;333\n")
    assert a1_nov_2(app) == {"contacts_handled": 3, "handle_seconds": 1000}


@pytest.mark.parametrize("aht", ["312.6", "0:05:12.6", "5:12,6"])
def test_a_fractional_aht_is_multiplied_before_rounding(
    app: Flask, importer: Any, aht: str
) -> None:
    # 312.6 s × 50 calls = 15630 s (rounding the AHT first gives 313 × 50 = 15650)
    importer(f"Agent;Date;Calls Handled;AHT\nA-1;2026-11-02;50;{aht}\n")
    assert a1_nov_2(app)["handle_seconds"] == 15_630


def test_handle_time_is_the_sum_of_its_parts_when_only_the_parts_are_given(
    app: Flask, importer: Any
) -> None:
    # DESIGN.md: handle_seconds = talk + hold + after-call work. 600 + 60 + 240 = 900 s
    # for 3 calls (AHT 300); without it the AHT is 0 s and scores the best attainment.
    importer("Agent;Date;Calls Handled;Talk Time;Hold Time;ACW\nA-1;2026-11-02;3;600;60;240\n")
    assert a1_nov_2(app)["handle_seconds"] == 900


# -------------------------------------------------------------- separators and encodings

ROWS = [
    ("Agent", "Date", "Calls Handled", "Handle Time", "Notes"),
    ("A-1", "2026-11-02", "1,234", "10:00:00", "Billing, refunds"),
    ("a2@example.test", "2026-11-02", "5", "1500", "Café"),
]
SEPARATED = {
    ("a1@example.test", NOV_2, "all"): {"contacts_handled": 1234, "handle_seconds": 36_000},
    ("a2@example.test", NOV_2, "all"): {"contacts_handled": 5, "handle_seconds": 1500},
}


@pytest.mark.parametrize("separator", [",", ";", "\t"])
@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("latin-1", b""), ("cp1252", b"")],
)
def test_separators_and_encodings(
    app: Flask, importer: Any, separator: str, encoding: str, bom: bytes
) -> None:
    def cell(value: str) -> str:
        return f'"{value}"' if separator in value else value

    text = "\r\n".join(separator.join(cell(v) for v in row) for row in ROWS) + "\r\n"
    importer(bom + text.encode(encoding))
    assert stored(app) == SEPARATED


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
def test_agents_are_found_by_a_non_ascii_external_id(
    app: Flask, org: Organisation, importer: Any, encoding: str
) -> None:
    with app.app_context():
        db.session.get(User, org.agent_a2.id).external_id = "JOSÉ-7"
        db.session.commit()
    importer("Agent;Date;Calls Handled\nJOSÉ-7;2026-11-02;4\n", encoding=encoding)
    assert stored(app) == {("a2@example.test", NOV_2, "all"): {"contacts_handled": 4}}


def xlsx(rows: list[list[Any]], formats: dict[str, str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_imports_an_xlsx_export(app: Flask, importer: Any) -> None:
    # Excel keeps dates as dates, durations as times or timedeltas, and 90% as 0.9 (shown 90%)
    data = xlsx(
        [
            ["Agent", "Date", "Calls Handled", "AHT", "Staffed Time", "Surveys", "CSAT"],
            ["A-1", datetime(2026, 11, 2), 80, time(0, 5, 0), timedelta(hours=8), 20, 0.9],
            ["a2@example.test", date(2026, 11, 3), 20, 250.0, 14_400, 5, 1],
        ],
        formats={"G2": "0%", "G3": "0%"},
    )
    report = importer(data, filename="stats.xlsx")
    assert (report.rows, report.agent_days) == (2, 2)
    assert stored(app) == {
        ("a1@example.test", NOV_2, "all"): {
            "contacts_handled": 80,
            "handle_seconds": 24_000,
            "logged_in_seconds": 28_800,
            "csat_responses": 20,
            "csat_positive": 18,
        },
        ("a2@example.test", NOV_3, "all"): {
            "contacts_handled": 20,
            "handle_seconds": 5_000,
            "logged_in_seconds": 14_400,
            "csat_responses": 5,
            "csat_positive": 5,
        },
    }


def test_a_bad_xlsx_row_is_reported_with_its_sheet_row(app: Flask, importer: Any) -> None:
    data = xlsx(
        [
            ["Agent", "Date", "Calls Handled"],
            ["A-1", datetime(2026, 11, 2), 1],
            ["A-1", 46082, 2],
        ]
    )
    with pytest.raises(TableError) as error:
        importer(data, filename="stats.xlsx")
    assert problems(error) == [
        'row 3, column "Date" ("46082"): '
        "a number, not a date (format the column as a date in Excel)"
    ]
    assert stored(app) == {}


# ----------------------------------------------------------------- saved column mapping

UNUSUAL = "Mitarbeiter;Tag;Erledigt;Gesamtzeit\nA-1;2026-11-02;3;900\n"


def test_a_saved_mapping_reads_unusual_headers(app: Flask, importer: Any) -> None:
    with app.app_context():
        db.session.add(
            ColumnMapping(
                source="telefonanlage",
                columns={
                    "agent": "Mitarbeiter",
                    "day": "Tag",
                    "contacts_handled": "Erledigt",
                    "handle_seconds": "Gesamtzeit",
                },
            )
        )
        db.session.commit()
    with pytest.raises(TableError) as error:
        importer(UNUSUAL, source="other")
    assert [problem.startswith("missing column") for problem in problems(error)] == [True] * 3
    report = importer(UNUSUAL, source="telefonanlage")
    assert report.agent_days == 1
    assert stored(app) == {
        ("a1@example.test", NOV_2, "all"): {"contacts_handled": 3, "handle_seconds": 900}
    }
    assert sources(app) == {"telefonanlage"}
    # the usual names still work for that source
    importer("Agent;Date;Calls Handled\nA-1;2026-11-03;1\n", source="telefonanlage")
    assert stored(app)[("a1@example.test", NOV_3, "all")] == {"contacts_handled": 1}


# ---------------------------------------------------------- malformed files: nothing written

HEAD = "Agent;Date;Calls Handled;Handle Time"
UNKNOWN = "unknown agent (none of your agents has this id, e-mail or name)"
MISSING_CONTACTS = (
    'missing column "contacts_handled" (accepted names: "contacts_handled", "contacts handled", '
    '"calls handled", "handled", "contacts", "calls", "handled calls", "interactions handled")'
)
MALFORMED = [
    pytest.param(
        f"{HEAD}\nghost@example.test;{NOV_2};1;60\n",
        [f'row 2, column "Agent" ("ghost@example.test"): {UNKNOWN}'],
        id="unknown agent",
    ),
    pytest.param(
        f"{HEAD}\nB-2;{NOV_2};1;60\n",
        [f'row 2, column "Agent" ("B-2"): {UNKNOWN}'],
        id="unknown id",
    ),
    pytest.param(
        f"{HEAD}\n;{NOV_2};1;60\n", ['row 2, column "Agent" (""): empty'], id="empty agent"
    ),
    pytest.param(
        f"{HEAD}\nsup.a@example.test;{NOV_2};1;60\n",
        # Someone who is not an agent is unknown as an agent, like nobody at all (issue 17).
        [f'row 2, column "Agent" ("sup.a@example.test"): {UNKNOWN}'],
        id="not an agent",
    ),
    pytest.param(
        f"{HEAD}\nA-1;{NOV_2};1;-0:05:00\n",
        ['row 2, column "Handle Time" ("-0:05:00"): negative duration'],
        id="negative duration",
    ),
    pytest.param(
        "Agent;Date;Calls Handled;AHT\nA-1;2026-11-02;1;-30\n",
        ['row 2, column "AHT" ("-30"): negative duration'],
        id="negative AHT",
    ),
    pytest.param(
        f"{HEAD}\nA-1;{NOV_2};1;five minutes\n",
        ['row 2, column "Handle Time" ("five minutes"): not a duration (use seconds or hh:mm:ss)'],
        id="not a duration",
    ),
    pytest.param(
        f"{HEAD}\nA-1;yesterday;1;60\n",
        ['row 2, column "Date" ("yesterday"): not a date (use YYYY-MM-DD or DD.MM.YYYY)'],
        id="date not a date",
    ),
    pytest.param(
        f"{HEAD}\nA-1;2026-02-30;1;60\n",
        ['row 2, column "Date" ("2026-02-30"): no such date'],
        id="no such date",
    ),
    pytest.param(f"{HEAD}\nA-1;;1;60\n", ['row 2, column "Date" (""): empty'], id="empty date"),
    pytest.param(
        "Agent;Date;Calls Handled;Surveys;CSAT\nA-1;2026-11-02;5;4;105%\n",
        ['row 2, column "CSAT" ("105%"): more than 100%'],
        id="percentage over 100",
    ),
    pytest.param(
        "Agent;Date;Calls Handled;FCR Eligible;FCR\nA-1;2026-11-02;5;4;-5\n",
        ['row 2, column "FCR" ("-5"): negative percentage'],
        id="negative percentage",
    ),
    pytest.param(
        f"{HEAD}\nA-1;{NOV_2};-3;60\n",
        ['row 2, column "Calls Handled" ("-3"): negative count'],
        id="negative count",
    ),
    pytest.param(
        f"{HEAD}\nA-1;{NOV_2};2.5;60\n",
        ['row 2, column "Calls Handled" ("2.5"): not a whole number'],
        id="not a whole count",
    ),
    pytest.param(
        "Agent;Date;Calls Handled;CSAT Responses;CSAT Positive\nA-1;2026-11-02;9;10;12\n",
        ['row 2, column "CSAT Positive" ("12"): more than the csat responses'],
        id="positive over responses",
    ),
    pytest.param(
        "Agent;Date;Calls Handled;CSAT Positive\nA-1;2026-11-02;9;2\n",
        ['row 2, column "CSAT Positive" ("2"): more than the csat responses'],
        id="positive without responses",
    ),
    pytest.param(
        "Agent;Date;Calls Handled;FCR Eligible;FCR Resolved\nA-1;2026-11-02;9;3;4\n",
        ['row 2, column "FCR Resolved" ("4"): more than the fcr eligible'],
        id="resolved over eligible",
    ),
    pytest.param(
        "Agent;Date;Calls Handled;NPS Responses;Promoters;Detractors\nA-1;2026-11-02;9;5;3;3\n",
        [
            'row 2, column "NPS Responses" ("5"): '
            "promoters and detractors together exceed the NPS responses"
        ],
        id="promoters and detractors over responses",
    ),
    pytest.param(
        "Agent;Date;Channel;Calls Handled\nA-1;2026-11-02;fax;1\n",
        ['row 2, column "Channel" ("fax"): unknown channel'],
        id="unknown channel",
    ),
    pytest.param(
        "Agent;Date;Calls Handled;CSAT\nA-1;2026-11-02;9;90%\n",
        [
            'row 2, column "CSAT" ("90%"): '
            "a percentage needs its base column (csat responses) to become a total"
        ],
        id="CSAT percentage without responses",
    ),
    pytest.param(
        "Agent;Date;FCR\nA-1;2026-11-02;70\n",
        [
            'row 2, column "FCR" ("70"): '
            "a percentage needs its base column (fcr eligible) to become a total"
        ],
        id="FCR percentage without eligible or contacts",
    ),
    pytest.param(
        "Agent;Date;Calls Handled;NPS\nA-1;2026-11-02;9;40\n",
        [
            'row 2, column "NPS" ("40"): an NPS score cannot be added up; '
            "export promoters, detractors and responses instead"
        ],
        id="NPS score alone",
    ),
    pytest.param(
        "Agent;Date;Calls Handled;NPS Responses;NPS\nA-1;2026-11-02;9;10;40\n",
        [
            'row 2, column "NPS" ("40"): an NPS score cannot be added up; '
            "export promoters, detractors and responses instead"
        ],
        id="NPS score with responses only",
    ),
    pytest.param(
        "Agent;Date;Handle Time\nA-1;2026-11-02;60\n",
        [MISSING_CONTACTS],
        id="missing required column",
    ),
    pytest.param(
        "Agent;Login;Date;Calls Handled\nA-1;A-1;2026-11-02;1\n",
        ['columns "Agent", "Login" could each be the agent; ' + CHOOSE_COLUMN],
        id="two agent columns",
    ),
    pytest.param(
        f"{HEAD}\nA-1;{NOV_2};1;60;oops\n",
        ["row 2: 5 values but the header has 4 columns (unquoted separator?)"],
        id="stray value",
    ),
    pytest.param(f"{HEAD}\n", ["the file has a header row but no data rows"], id="header only"),
    pytest.param(
        f"{HEAD}\nA-1;{NOV_2};1;60\nA-1;{NOV_3};1;60\nA-1;2026-11-04;1;60\n",
        ["more than 2 data rows; split the file or import a shorter period"],
        id="over the row cap",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MALFORMED)
def test_a_malformed_file_is_refused_with_its_reason_and_nothing_is_written(
    app: Flask, importer: Any, text: str, expected: list[str]
) -> None:
    importer(GOOD)  # earlier data, which a refused file must leave alone
    with pytest.raises(TableError) as error:
        importer(text, max_rows=2)
    assert problems(error) == expected
    assert stored(app) == GOOD_STORED
    assert len(audit_events(app)) == 1


def test_a_file_over_the_byte_cap_is_refused(app: Flask, importer: Any) -> None:
    data = GOOD.encode()
    with pytest.raises(TableError) as error:
        importer(data, max_bytes=100)
    assert problems(error) == [f"the file is {len(data)} bytes; the limit is 100 bytes"]
    assert stored(app) == {}


def test_every_bad_row_is_reported_and_the_good_rows_are_not_imported(
    app: Flask, importer: Any
) -> None:
    with pytest.raises(TableError) as error:
        importer(
            "Agent;Date;Calls Handled;Handle Time;Surveys;CSAT\n"
            "A-1;2026-11-02;10;600;4;75\n"  # good
            "ghost;2026-11-03;-1;-60;2;150\n"  # four problems
            "a2@example.test;03.11.2026;10;600;4;75\n"  # good
            "a2@example.test;31.11.2026;10;600;4;75\n"  # no such date
        )
    assert problems(error) == [
        f'row 3, column "Agent" ("ghost"): {UNKNOWN}',
        'row 3, column "Calls Handled" ("-1"): negative count',
        'row 3, column "Handle Time" ("-60"): negative duration',
        'row 3, column "CSAT" ("150"): more than 100%',
        'row 5, column "Date" ("31.11.2026"): no such date',
    ]
    assert stored(app) == {}
    assert audit_events(app) == []


def test_a_refused_dry_run_reports_the_same_problems(app: Flask, importer: Any) -> None:
    with pytest.raises(TableError) as error:
        importer(f"{HEAD}\nghost;{NOV_2};1;60\n", dry_run=True)
    assert problems(error) == [f'row 2, column "Agent" ("ghost"): {UNKNOWN}']


# ----------------------------------------------------------------------------------- CLI


def write(tmp_path: Path, text: str | bytes, name: str = "stats.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def test_cli_imports_a_file(
    app: Flask, org: Organisation, importer: Any, runner: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    result = runner.invoke(args=["import-stats", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "Imported 3 agent-days (3 new, 0 replaced) for 2 agents from 3 rows, "
        "2026-11-02 to 2026-11-03. Read as UTF-8 text."
    )
    assert stored(app) == GOOD_STORED
    assert sources(app) == {"import"}
    [event] = audit_events(app)
    assert (event.actor_id, event.after["file"]) == (org.admin.id, "stats.csv")

    again = runner.invoke(args=["import-stats", str(path)])
    assert again.exit_code == 0, again.output
    assert "(0 new, 3 replaced)" in again.stdout
    assert stored(app) == GOOD_STORED
    assert len(audit_events(app)) == 2


def test_cli_dry_run_writes_nothing(app: Flask, importer: Any, runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["import-stats", str(write(tmp_path, GOOD)), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("Would import 3 agent-days (3 new, 0 replaced)")
    assert stored(app) == {}
    assert audit_events(app) == []


def test_cli_uses_the_mapping_of_its_source(
    app: Flask, importer: Any, runner: Any, tmp_path: Path
) -> None:
    with app.app_context():
        db.session.add(
            ColumnMapping(
                source="pbx",
                columns={"agent": "Mitarbeiter", "day": "Tag", "contacts_handled": "Erledigt"},
            )
        )
        db.session.commit()
    path = write(tmp_path, UNUSUAL)
    refused = runner.invoke(args=["import-stats", str(path)])
    assert refused.exit_code == 1
    result = runner.invoke(args=["import-stats", str(path), "--source", "pbx"])
    assert result.exit_code == 0, result.output
    assert stored(app) == {("a1@example.test", NOV_2, "all"): {"contacts_handled": 3}}
    assert sources(app) == {"pbx"}


def test_cli_reports_every_problem_on_stderr_and_exits_1(
    app: Flask, importer: Any, runner: Any, tmp_path: Path
) -> None:
    importer(GOOD)
    path = write(tmp_path, f"{HEAD}\nghost;{NOV_2};1;60\nA-1;{NOV_3};-2;60\n", name="bad.csv")
    result = runner.invoke(args=["import-stats", str(path)])
    assert result.exit_code == 1
    assert "Nothing was imported: 2 problems in bad.csv:" in result.stderr
    assert f'  row 2, column "Agent" ("ghost"): {UNKNOWN}' in result.stderr.splitlines()
    assert '  row 3, column "Calls Handled" ("-2"): negative count' in result.stderr.splitlines()
    assert "Imported" not in result.stdout
    assert stored(app) == GOOD_STORED
    assert len(audit_events(app)) == 1


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"STATS_MAX_ROWS": 2}, "more than 2 data rows; split the file or import a shorter period"),
        ({"STATS_MAX_MB": 0}, "the limit is 0 MB (STATS_MAX_MB)."),
    ],
)
def test_cli_caps_rows_and_bytes(
    app: Flask,
    importer: Any,
    runner: Any,
    tmp_path: Path,
    setting: dict[str, int],
    message: str,
) -> None:
    app.config.update(setting)
    result = runner.invoke(args=["import-stats", str(write(tmp_path, GOOD))])
    assert result.exit_code == 1
    assert message in result.stderr
    assert stored(app) == {}


def test_cli_needs_an_administrator(
    app: Flask, make_user: Any, runner: Any, tmp_path: Path
) -> None:
    make_user(Role.AGENT, external_id="A-1")
    make_user(Role.ADMIN, active=False)
    result = runner.invoke(
        args=["import-stats", str(write(tmp_path, "Agent;Date;Calls Handled\nA-1;2026-11-02;1\n"))]
    )
    assert result.exit_code == 1
    assert "Create an administrator first (create-user --role admin)." in result.stderr
    assert stored(app) == {}


def test_cli_refuses_a_missing_file(app: Flask, runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["import-stats", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_an_interval_export_with_date_and_interval_columns(app: Flask, importer: Any) -> None:
    """Date gives the day; the interval start beside it does not clash with it."""
    report = importer(
        "Agent;Date;Interval;Calls Handled;Handle Time\n"
        "A-1;2026-11-02;09:00;2;600\n"
        "A-1;2026-11-02;09:30;3;900\n"
    )
    assert report.agent_days == 1
    assert stored(app)[("a1@example.test", NOV_2, "all")] == {
        "contacts_handled": 5,
        "handle_seconds": 1500,
    }


def test_a_blank_contact_count_is_refused(app: Flask, importer: Any) -> None:
    with pytest.raises(TableError) as error:
        importer("Agent;Date;Calls Handled;AHT\nA-1;2026-11-02;;0:05:00\n")
    assert problems(error) == [
        'row 2, column "Calls Handled" (""): empty (write 0 for a day without contacts)'
    ]
    assert stored(app) == {}


# ------------------------------------------------------------------ the plain-row short path

PLAIN = (
    "Agent ID,Date,Calls Handled,Talk Time,Hold Time,ACW,Logged In Time,Transfers\n"
    "A-1,2026-11-02,40,1:00:00,600,0:05:00,28800,2\n"
    "a2@example.test,2026-11-02,10,900,0,0:01:40,14400,0\n"
    "A-1,2026-11-03,12,0:20:00,0,0,7200,1\n"
)
PLAIN_STORED = {
    ("a1@example.test", NOV_2, "all"): {"contacts_handled": 40, "handle_seconds": 4_500,
        "talk_seconds": 3_600, "hold_seconds": 600, "acw_seconds": 300,
        "logged_in_seconds": 28_800, "transfers": 2},
    ("a2@example.test", NOV_2, "all"): {"contacts_handled": 10, "handle_seconds": 1_000,
        "talk_seconds": 900, "acw_seconds": 100, "logged_in_seconds": 14_400},
    ("a1@example.test", NOV_3, "all"): {"contacts_handled": 12, "handle_seconds": 1_200,
        "talk_seconds": 1_200, "logged_in_seconds": 7_200, "transfers": 1},
}  # fmt: skip


def test_plain_rows_are_stored_without_the_full_checks(
    app: Flask, importer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[int] = []
    full_check = daily_rows.check_day_row

    def counting(number: int, *args: Any) -> Any:
        checked.append(number)
        return full_check(number, *args)

    monkeypatch.setattr(daily_rows, "check_day_row", counting)
    importer(PLAIN)
    assert checked == []  # every row took the short path
    assert stored(app) == PLAIN_STORED
    # A row in another shape (a transfer count of "1.0") is fully checked, and counts alike.
    importer(PLAIN.replace(",7200,1\n", ",7200,1.0\n"))
    assert checked == [4]
    assert stored(app) == PLAIN_STORED


def test_agents_are_looked_up_a_chunk_of_rows_at_a_time(
    app: Flask, importer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stats_importer, "AGENT_CHUNK", 2)
    importer(PLAIN)  # in the first chunk, A-1 again in the second
    assert stored(app) == PLAIN_STORED
    with pytest.raises(TableError) as error:
        importer(PLAIN + "ghost,2026-11-03,1,0,0,0,0,0\n")
    assert problems(error) == [f'row 5, column "Agent ID" ("ghost"): {UNKNOWN}']


def test_a_broken_file_is_reported_before_its_rows_problems(app: Flask, importer: Any) -> None:
    # Row 3 has a stray value (a problem of the file) and an unknown agent (of the row).
    with pytest.raises(TableError) as error:
        importer(PLAIN + "ghost,2026-11-03,1,0,0,0,0,0,9\n")
    assert problems(error) == ["row 5: 9 values but the header has 8 columns (unquoted separator?)"]
    assert stored(app) == {}


def test_the_cycle_collector_is_running_again_after_an_import(importer: Any) -> None:
    assert gc.isenabled()
    importer(PLAIN)
    assert gc.isenabled()
    with pytest.raises(TableError):
        importer(PLAIN.replace("A-1", "ghost"))
    assert gc.isenabled()
