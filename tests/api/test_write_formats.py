"""The write endpoints read values with the file imports' parsers and store the same figures
for the same rows (issue 18); `dry_run` works on every write endpoint, and a query parameter
they do not know is refused, never ignored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.stats.importer import import_stats
from qa_app.stats.models import TOTAL_COLUMNS, AgentDailyStat
from tests.api.test_writes import _count as count
from tests.api.test_writes import _details as details
from tests.api.test_writes import external_ids  # noqa: F401 -- the fixture, shared
from tests.conftest import Organisation

INTERACTIONS, STATS = "/api/v1/interactions", "/api/v1/stats"


@pytest.fixture
def berlin(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The centre's time zone (QA_TIMEZONE) is Europe/Berlin."""
    monkeypatch.setattr(app.extensions["babel"], "default_timezone", "Europe/Berlin")


def stored_days(app: Flask) -> dict[tuple[int, date, str], dict[str, int]]:
    with app.app_context():
        return {
            (row.agent_id, row.day, row.channel): {
                name: getattr(row, name) for name in TOTAL_COLUMNS if getattr(row, name)
            }
            for row in db.session.scalars(sa.select(AgentDailyStat))
        }


# --- the same rows by file and by API ------------------------------------------------------

FIELDS = ("day", "contacts_handled", "aht_seconds", "logged_in_seconds", "csat_responses",
          "csat_pct", "talk_seconds")  # fmt: skip
ROWS = [
    ("04.01.2027", "40", "00:05:12", "8:00:00", "10", "87,5 %", "PT2H"),
    ("2027/01/05", "1,234", "312.6", "28800", "8", "75%", "5m 12s"),
    ("Wed, 6 Jan 2027", "12", "5:12", "PT8H", "0", "", "312s"),
]


@pytest.mark.usefixtures("external_ids")
def test_the_api_stores_what_the_file_import_stores_for_the_same_rows(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    text = "Agent;Date;Handled;AHT;Staffed;CSAT responses;CSAT;Talk time\n" + "".join(
        "A-1;" + ";".join(row) + "\n" for row in ROWS
    )
    with app.app_context():
        import_stats(
            text.encode(), "acd.csv", source="acd", actor=db.session.get(User, org.admin.id),
            max_bytes=10_000, max_rows=10,
        )  # fmt: skip
        db.session.commit()
    items = [
        {"agent": "B-1", **{name: value for name, value in zip(FIELDS, row, strict=True) if value}}
        for row in ROWS
    ]
    answer = api_as(org.manager).post(STATS, items)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    days = stored_days(app)
    by_file = {key[1:]: totals for key, totals in days.items() if key[0] == org.agent_a1.id}
    by_api = {key[1:]: totals for key, totals in days.items() if key[0] == org.agent_b1.id}
    assert by_api == by_file
    # And both are the figures worked out here: AHT × contacts, CSAT % × responses.
    assert by_file[(date(2027, 1, 4), "all")] == {
        "contacts_handled": 40, "handle_seconds": 40 * 312, "logged_in_seconds": 8 * 3600,
        "csat_responses": 10, "csat_positive": round(0.875 * 10), "talk_seconds": 7200,
    }  # fmt: skip
    assert by_file[(date(2027, 1, 5), "all")] == {
        "contacts_handled": 1234, "handle_seconds": round(1234 * 312.6),
        "logged_in_seconds": 28_800, "csat_responses": 8, "csat_positive": 6,
        "talk_seconds": 312,
    }  # fmt: skip
    assert by_file[(date(2027, 1, 6), "all")] == {
        "contacts_handled": 12, "handle_seconds": 12 * 312, "logged_in_seconds": 8 * 3600,
        "talk_seconds": 312,
    }  # fmt: skip


# --- times with a zone, slash dates --------------------------------------------------------


@pytest.mark.usefixtures("external_ids", "berlin")
def test_a_utc_day_start_lands_on_the_centres_local_day(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    rows = [{"agent": "A-1", "day": "2026-12-04T23:00:00.000Z", "contacts_handled": 3}]
    assert api_as(org.manager).post(STATS, rows).status_code == 200
    assert list(stored_days(app)) == [(org.agent_a1.id, date(2026, 12, 5), "all")]
    call = {"agent": "A-1", "channel": "phone", "external_ref": "C-1",
            "occurred_at": "2026-12-05 00:30"}  # fmt: skip
    assert api_as(org.manager).post(INTERACTIONS, call).status_code == 201
    with app.app_context():
        moment = db.session.scalar(sa.select(Interaction.occurred_at))
    # Without a zone: the centre's (Berlin, UTC+1 in December).
    assert moment.replace(tzinfo=moment.tzinfo or UTC) == datetime(2026, 12, 4, 23, 30, tzinfo=UTC)


@pytest.mark.usefixtures("external_ids")
def test_ambiguous_slash_dates_are_refused_unless_date_order_is_given(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    rows = [{"agent": "A-1", "day": "12/11/2026", "contacts_handled": 3}]
    (problem,) = details(api_as(org.manager).post(STATS, rows))
    assert problem[:2] == (None, "day")
    assert problem[2].startswith('"12/11/2026" is 2026-11-12 read day first and 2026-12-11 ')
    assert count(app, AgentDailyStat) == 0
    answer = api_as(org.manager).post(STATS + "?date_order=month-first", rows)
    assert answer.status_code == 200
    assert answer.json["first_day"] == "2026-12-11"
    settled = [*rows, {"agent": "A-1", "day": "13/11/2026", "contacts_handled": 1}]
    assert api_as(org.manager).post(STATS, settled).json["first_day"] == "2026-11-12"


# --- dry_run on every write endpoint, unknown parameters refused ----------------------------


@pytest.mark.usefixtures("external_ids")
def test_dry_run_stores_no_interaction(app: Flask, org: Organisation, api_as: Any) -> None:
    api = api_as(org.manager)
    call = {"agent": "A-1", "channel": "phone", "external_ref": "C-1",
            "occurred_at": "2026-11-02T10:15:00+01:00", "duration_seconds": "00:05:12"}  # fmt: skip
    dry = api.post(INTERACTIONS + "?dry_run=true", call)
    assert (dry.status_code, dry.json) == (200, {
        "data": [{"id": None, "source": "api", "external_ref": "C-1", "created": True}],
        "created": 1, "existing": 0, "dry_run": True, "warnings": [],
    })  # fmt: skip
    assert count(app, Interaction) == 0
    stored = api.post(INTERACTIONS, call)
    assert stored.status_code == 201 and stored.json["dry_run"] is False
    (item,) = stored.json["data"]
    again = api.post(INTERACTIONS + "?dry_run=1", [call, dict(call, external_ref="C-2")])
    assert again.json["data"][0] == {**item, "created": False}
    assert (again.json["created"], again.json["existing"]) == (1, 1)
    assert count(app, Interaction) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(Interaction.duration_seconds)) == 312


@pytest.mark.usefixtures("external_ids")
def test_dry_run_stores_no_statistics(app: Flask, org: Organisation, api_as: Any) -> None:
    rows = [{"agent": "A-1", "day": "2026-11-02", "contacts_handled": "3"}]
    answer = api_as(org.manager).post(STATS + "?dry_run=true", rows)
    assert (answer.status_code, answer.json["dry_run"], answer.json["new"]) == (200, True, 1)
    assert count(app, AgentDailyStat) == 0


@pytest.mark.parametrize("path", [INTERACTIONS, STATS])
@pytest.mark.parametrize("query", ["dryrun=true", "dry_run=true&commit=no", "date_order=asc"])
@pytest.mark.usefixtures("external_ids")
def test_unknown_or_bad_parameters_of_a_write_are_refused(
    app: Flask, org: Organisation, api_as: Any, path: str, query: str
) -> None:
    rows = [{"agent": "A-1", "day": "2026-11-02", "contacts_handled": 3}]
    call = {"agent": "A-1", "channel": "phone", "external_ref": "C-1",
            "occurred_at": "2026-11-02T10:15:00+01:00"}  # fmt: skip
    answer = api_as(org.manager).post(f"{path}?{query}", rows if path == STATS else call)
    (problem,) = details(answer, 400)
    name = query.split("&")[-1].split("=")[0]
    assert problem[1] == name
    if name != "date_order":
        assert problem[2] == "unknown parameter (known: dry_run, date_order)"
    assert count(app, AgentDailyStat) == count(app, Interaction) == 0
