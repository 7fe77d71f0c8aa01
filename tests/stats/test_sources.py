"""Several sources for one agent-day (DESIGN.md "Statistics from real systems"): the phone
system gives volumes and times, a survey tool CSAT and NPS, another system FCR; each is kept
beside the others, every KPI adds them up, and re-importing a source replaces only its own
rows. A KPI without its denominator's data is "no data" on every surface, never 0.

Every expected KPI is worked out by hand in the comments from the files below.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.stats.agent_performance import agent_performance
from qa_app.stats.filters import ReportFilters
from qa_app.stats.importer import StatsReport
from qa_app.stats.kpis import KpiTotals, kpi_totals
from qa_app.stats.models import TOTAL_COLUMNS, AgentDailyStat
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation
from tests.stats.test_agent_figures_everywhere import kpi_table, page, post_workbook

NOV_2, NOV_3 = date(2026, 11, 2), date(2026, 11, 3)
PERIOD = "from=2026-11-01&to=2026-11-30"

# The phone system: A1 80 contacts, 24000 s handled, 8 h staffed on Nov 2; 10 contacts,
# 3000 s, 2 h on Nov 3. B1 40 contacts, 10000 s, 4 h on Nov 2.
PHONE = (
    "Agent;Date;Calls Handled;Handle Time;Staffed Time\n"
    "A-1;2026-11-02;80;24000;28800\n"
    "A-1;2026-11-03;10;3000;7200\n"
    "B-1;2026-11-02;40;10000;14400\n"
)
# The survey tool (no contact counts): A1 CSAT 18 of 20 and NPS 10 (6 P, 1 D) on Nov 2;
# CSAT 2 of 5 and NPS 4 (1 P, 2 D) on Nov 3.
SURVEY = (
    "Agent;Date;CSAT Responses;CSAT Positive;NPS Responses;NPS Promoters;NPS Detractors\n"
    "A-1;2026-11-02;20;18;10;6;1\n"
    "A-1;2026-11-03;5;2;4;1;2\n"
)
# The same survey, corrected: Nov 2 CSAT 19 of 20; Nov 3 as before.
SURVEY_AGAIN = SURVEY.replace("A-1;2026-11-02;20;18", "A-1;2026-11-02;20;19")
# First-contact resolution from the ticket system: A1 24 of 30 on Nov 2.
FCR = "Agent;Date;FCR Eligible;FCR Resolved\nA-1;2026-11-02;30;24\n"
# Contacts and staffed time, no handle time at all.
NO_HANDLE_TIME = "Agent;Date;Calls Handled;Staffed Time\nA-1;2026-11-02;80;28800\n"


def rows_of(app: Flask, source: str) -> dict[tuple[int, date], dict[str, int | None]]:
    """A source's stored rows: (agent id, day) → every total (None: not given)."""
    with app.app_context():
        rows = db.session.scalars(
            sa.select(AgentDailyStat).where(AgentDailyStat.source == source)
        ).all()
        return {
            (row.agent_id, row.day): {name: getattr(row, name) for name in TOTAL_COLUMNS}
            for row in rows
        }


def a1_totals(app: Flask, org: Organisation, start: date = NOV_2, end: date = NOV_3) -> KpiTotals:
    with app.app_context():
        return kpi_totals([org.agent_a1.id], start, end)


def a1_figures(app: Flask, org: Organisation) -> dict[str, Any]:
    """The one function every surface takes an agent's figures from."""
    with app.app_context():
        filters = ReportFilters(NOV_2, NOV_3, agent_id=org.agent_a1.id)
        return agent_performance(filters).public_figures()


def test_a_survey_file_keeps_the_phone_systems_figures_of_the_same_days(
    app: Flask, org: Organisation, importer: Callable[..., StatsReport]
) -> None:
    importer(PHONE, source="phone")
    phone = rows_of(app, "phone")
    check = importer(SURVEY, source="survey", dry_run=True)
    assert (check.agent_days, check.new, check.replaced) == (2, 2, 0)
    report = importer(SURVEY, source="survey")
    # Two new agent-days of the survey source; none of the phone system's is "replaced".
    assert (report.agent_days, report.new, report.replaced) == (2, 2, 0)
    assert rows_of(app, "phone") == phone
    survey = rows_of(app, "survey")
    assert survey[(org.agent_a1.id, NOV_2)] == {
        **dict.fromkeys(TOTAL_COLUMNS),  # no contacts, times, FCR or transfers given
        "csat_responses": 20, "csat_positive": 18,
        "nps_responses": 10, "nps_promoters": 6, "nps_detractors": 1,
    }  # fmt: skip

    totals = a1_totals(app, org)
    # Two days, each with rows of two sources.
    assert totals.days == 2
    # AHT (24000 + 3000) / (80 + 10) = 300 s; 90 contacts / (36000 s = 10 h) = 9 per hour
    assert totals.aht_seconds == 300.0
    assert totals.contacts_per_hour == 9.0
    # CSAT 100 × (18 + 2) / (20 + 5) = 80 %; NPS 100 × ((6 + 1) − (1 + 2)) / 14 = 28.57…
    assert totals.csat_pct == 80.0
    assert totals.nps == pytest.approx(100 * 4 / 14)
    assert totals.fcr_pct is None
    figures = a1_figures(app, org)
    assert (figures["aht_seconds"], figures["contacts_per_hour"]) == (300.0, 9.0)
    assert (figures["csat_pct"], figures["nps"]) == (80.0, pytest.approx(100 * 4 / 14))


def test_re_importing_a_source_replaces_only_its_own_rows(
    app: Flask, org: Organisation, importer: Callable[..., StatsReport]
) -> None:
    importer(PHONE, source="phone")
    importer(SURVEY, source="survey")
    phone = rows_of(app, "phone")

    report = importer(SURVEY_AGAIN, source="survey")
    assert (report.agent_days, report.new, report.replaced) == (2, 0, 2)
    assert rows_of(app, "phone") == phone  # untouched
    assert rows_of(app, "survey")[(org.agent_a1.id, NOV_2)]["csat_positive"] == 19
    # CSAT 100 × (19 + 2) / 25 = 84 %; AHT still 27000 / 90 = 300 s
    totals = a1_totals(app, org)
    assert (totals.csat_pct, totals.aht_seconds) == (84.0, 300.0)

    survey = rows_of(app, "survey")
    changed = PHONE.replace("A-1;2026-11-02;80;24000", "A-1;2026-11-02;50;15000")
    report = importer(changed, source="phone")
    assert (report.agent_days, report.new, report.replaced) == (3, 0, 3)
    assert rows_of(app, "survey") == survey  # untouched
    # AHT (15000 + 3000) / (50 + 10) = 300 s; 60 contacts / 10 h = 6 per hour; CSAT kept
    totals = a1_totals(app, org)
    assert (totals.aht_seconds, totals.contacts_per_hour, totals.csat_pct) == (300.0, 6.0, 84.0)


def test_survey_only_and_fcr_only_files_are_accepted(
    app: Flask, org: Organisation, importer: Callable[..., StatsReport]
) -> None:
    assert importer(SURVEY, source="survey").agent_days == 2
    assert importer(FCR, source="tickets").agent_days == 1
    assert rows_of(app, "tickets")[(org.agent_a1.id, NOV_2)] == {
        **dict.fromkeys(TOTAL_COLUMNS), "fcr_eligible": 30, "fcr_resolved": 24,
    }  # fmt: skip
    totals = a1_totals(app, org)
    # FCR 100 × 24 / 30 = 80 %; CSAT 80 % (as above); no contacts from anyone: no AHT, no
    # contacts per hour (not 0)
    assert (totals.fcr_pct, totals.csat_pct) == (80.0, 80.0)
    assert (totals.aht_seconds, totals.contacts_per_hour) == (None, None)
    assert (totals.days, totals.contacts_handled) == (2, 0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(
            "Agent;Date;Queue\nA-1;2026-11-02;Billing\n",
            'missing column "contacts_handled" or "csat_responses" or "nps_responses" or '
            '"fcr_eligible" or "transfers" (a source gives at least one group of figures)',
            id="no figures at all",
        ),
        pytest.param(
            "Agent;Date;CSAT Responses\nA-1;2026-11-02;20\n",
            'row 2, column "CSAT Responses" ("20"): a count of responses needs its results '
            "beside it (csat positive or csat pct)",
            id="CSAT responses without their results",
        ),
        pytest.param(
            "Agent;Date;FCR Eligible\nA-1;2026-11-02;30\n",
            'row 2, column "FCR Eligible" ("30"): a count of responses needs its results '
            "beside it (fcr resolved or fcr pct)",
            id="FCR eligible without resolved",
        ),
    ],
)
def test_a_file_without_whole_figures_is_refused(
    app: Flask, importer: Callable[..., StatsReport], text: str, reason: str
) -> None:
    with pytest.raises(TableError) as error:
        importer(text, source="odd")
    assert [str(problem) for problem in error.value.problems] == [reason]
    assert rows_of(app, "odd") == {}


def test_contacts_from_a_source_without_handle_time_do_not_dilute_aht(
    app: Flask, org: Organisation, importer: Callable[..., StatsReport]
) -> None:
    importer(PHONE, source="phone")
    # The chat platform: 30 more contacts on Nov 2, neither handle nor staffed time.
    importer("Agent;Date;Contacts\nA-1;2026-11-02;30\n", source="chat")
    totals = a1_totals(app, org)
    # AHT 27000 s over the 90 contacts with handle time = 300 s (not 27000 / 120 = 225);
    # 90 contacts over the 10 staffed hours = 9 per hour (not 12); 120 contacts in all
    assert (totals.aht_seconds, totals.contacts_per_hour) == (300.0, 9.0)
    assert totals.contacts_handled == 120
    assert (totals.denominator("aht_seconds"), totals.denominator("contacts_per_hour")) == (90, 10)


def test_aht_without_handle_time_is_no_data_on_every_surface(
    app: Flask,
    org: Organisation,
    importer: Callable[..., StatsReport],
    sign_in_as: Callable[[User], FlaskClient],
    api_as: Callable[[User], Any],
) -> None:
    importer(NO_HANDLE_TIME, source="phone")
    assert rows_of(app, "phone")[(org.agent_a1.id, NOV_2)]["handle_seconds"] is None
    totals = a1_totals(app, org)
    # 80 contacts / 8 h = 10 per hour; handle time: none given, so no AHT (not 0.0)
    assert (totals.aht_seconds, totals.contacts_per_hour) == (None, 10.0)

    answer = api_as(org.manager).get(f"/api/v1/agents/{org.agent_a1.id}/performance?{PERIOD}")
    assert answer.status_code == 200
    assert (answer.json["aht_seconds"], answer.json["contacts_per_hour"]) == (None, 10.0)

    manager = sign_in_as(org.manager)
    agent_page = kpi_table(page(manager, f"/stats/agents/{org.agent_a1.id}?{PERIOD}"))
    assert agent_page["Average handle time"][0].startswith("– n=0")
    assert agent_page["Contacts per hour"][0].startswith("10.0 n=8")

    dashboard = page(manager, "/dashboard/team?start=2026-11-01&end=2026-11-30")
    header = next(row for row in dashboard.rows if row and row[0].startswith("Agent"))
    a1_row = next(row for row in dashboard.rows if row and row[0] == org.agent_a1.display_name)
    assert a1_row[header.index("Average handle time")] == "–"
    assert a1_row[header.index("Contacts per hour")] == "10.0"

    form = {"start": "2026-11-01", "end": "2026-11-30", "team_id": "0", "agent_id": "0",
            "scorecard": "", "channel": ""}  # fmt: skip
    rows = post_workbook(manager, "/exports/", form)["Summary"].iter_rows(values_only=True)
    head = next(rows)
    summary = {row[1]: dict(zip(head, row, strict=True)) for row in rows if row[1]}
    assert summary["a1@example.test"]["Average handle time"] is None  # a blank cell
    assert summary["a1@example.test"]["Contacts per hour"] == 10.0


def test_the_api_is_a_source_of_its_own(
    app: Flask,
    org: Organisation,
    importer: Callable[..., StatsReport],
    api_as: Callable[[User], Any],
) -> None:
    importer(SURVEY, source="survey")
    survey = rows_of(app, "survey")
    api = api_as(org.manager)
    # Volumes and times through the API for A1's Nov 2: 80 contacts, 24000 s, 8 h.
    day = {"agent": "A-1", "day": "2026-11-02", "contacts_handled": 80,
           "handle_seconds": 24000, "logged_in_seconds": 28800}  # fmt: skip
    first = api.post("/api/v1/stats", [day])
    assert first.status_code == 200, first.json
    assert (first.json["new"], first.json["replaced"]) == (1, 0)
    again = api.post("/api/v1/stats", [dict(day, contacts_handled=60, handle_seconds=15000)])
    assert (again.json["new"], again.json["replaced"]) == (0, 1)
    assert rows_of(app, "survey") == survey
    # AHT 15000 / 60 = 250 s; CSAT from the survey, 18 of 20 = 90 %
    totals = a1_totals(app, org, NOV_2, NOV_2)
    assert (totals.aht_seconds, totals.csat_pct) == (250.0, 90.0)
    # A survey's figures through the API need no contact counts either.
    survey_day = {"agent": "B-1", "day": "2026-11-02", "csat_responses": 4, "csat_positive": 3}
    answer = api.post("/api/v1/stats", [survey_day])
    assert answer.status_code == 200, answer.json
    assert rows_of(app, "api")[(org.agent_b1.id, NOV_2)]["contacts_handled"] is None
    # Times without contacts are refused, as in a file.
    refused = api.post("/api/v1/stats", [{"agent": "B-1", "day": "2026-11-03", "aht_seconds": 300}])
    assert refused.status_code == 422
    assert [(d["item"], d["field"], d["reason"]) for d in refused.json["error"]["details"]] == [
        (0, "contacts_handled",
         'missing column "contacts_handled" (needed with handle and logged-in times)'),
    ]  # fmt: skip


def test_the_upgrade_keeps_each_rows_source_and_totals(app: Flask, org: Organisation) -> None:
    table = sa.table(
        "agent_daily_stat",
        *(sa.column(name) for name in ("agent_id", "day", "channel", "source", "imported_at")),
        *(sa.column(name) for name in TOTAL_COLUMNS),
    )
    stored_row = {"agent_id": org.agent_a1.id, "day": NOV_2, "channel": "all", "source": "acd",
                  **dict.fromkeys(TOTAL_COLUMNS, 0), "contacts_handled": 80,
                  "imported_at": datetime(2026, 11, 3, tzinfo=UTC)}  # fmt: skip
    with app.app_context():
        flask_migrate.downgrade(revision="0011")
        db.session.execute(sa.insert(table), [stored_row])
        db.session.commit()
        flask_migrate.upgrade(revision="0012")
        # The same agent-day from another source now stands beside it, with totals not given.
        db.session.execute(
            sa.insert(table),
            [{"agent_id": org.agent_a1.id, "day": NOV_2, "channel": "all", "source": "survey",
              "csat_responses": 4, "csat_positive": 3,
              "imported_at": datetime(2026, 11, 3, tzinfo=UTC)}],
        )  # fmt: skip
        db.session.commit()
        flask_migrate.upgrade()
        rows = db.session.execute(
            sa.select(AgentDailyStat.source, AgentDailyStat.contacts_handled).order_by(
                AgentDailyStat.source
            )
        ).all()
    assert [tuple(row) for row in rows] == [("acd", 80), ("survey", None)]
