"""The statistics and interaction imports read exports as vendors write them (issue 18): times
with `Z` or an offset land on the centre's local day, slash dates are never guessed, and a
duration column whose header names milliseconds is converted."""

from __future__ import annotations

import html
import io
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.importer import import_interactions
from qa_app.interactions.models import Interaction
from qa_app.stats.importer import import_stats
from qa_app.stats.kpis import kpi_totals
from qa_app.stats.models import AgentDailyStat
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation, post_form

BERLIN = ZoneInfo("Europe/Berlin")
CHOOSE = (
    'choose the date order ("Date order" on the import page, --date-order day-first or '
    "month-first on the command line, date_order in the API)"
)
AMBIGUOUS_12_11 = (
    'column "Date" ("12/11/2026"): "12/11/2026" is 2026-11-12 read day first and 2026-12-11 '
    "read month first, and no date in the column settles the order; " + CHOOSE
)


@pytest.fixture
def run(app: Flask, org: Organisation) -> Any:
    """Import statistics (kind "stats") or interactions as the admin; commits on success."""
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "A-1"
        db.session.get(User, org.agent_b1.id).external_id = "B-1"
        db.session.commit()

    def importer(kind: str, text: str, filename: str = "file.csv", **options: Any) -> Any:
        with app.app_context():
            actor = db.session.get(User, org.admin.id if kind == "stats" else org.manager.id)
            call: Any = import_stats if kind == "stats" else import_interactions
            try:
                report = call(
                    text.encode(),
                    filename,
                    source="acd",
                    actor=actor,
                    max_bytes=1_000_000,
                    max_rows=1000,
                    options=ReadOptions(**options),
                )
                db.session.commit()
                return report
            except TableError:
                db.session.rollback()
                raise

    return importer


def days(app: Flask) -> dict[date, int]:
    """Each stored day's contacts (the "all" rows)."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(AgentDailyStat.day, AgentDailyStat.contacts_handled).where(
                AgentDailyStat.channel == "all"
            )
        )
        return {day: contacts for day, contacts in rows}


def problems(error: pytest.ExceptionInfo[TableError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


# --- times with Z or an offset --------------------------------------------------------------


def test_a_utc_interval_start_lands_on_the_centres_local_day(app: Flask, run: Any) -> None:
    # Genesys exports the interval of Berlin's 5 December as starting at 23:00 UTC on the 4th.
    text = (
        "Agent,Interval Start,Handled\n"
        "A-1,2026-12-04T23:00:00.000Z,3\n"
        "A-1,2026-12-05T08:16:12+01:00,4\n"
        "A-1,2026-12-06T00:00:00.000Z,5\n"
    )
    run("stats", text, tz=BERLIN)
    assert days(app) == {date(2026, 12, 5): 7, date(2026, 12, 6): 5}


def test_interaction_times_with_a_zone_are_kept_as_written(app: Flask, run: Any) -> None:
    text = (
        "Agent,Channel,Start,Call ID\n"
        "A-1,phone,2026-12-04T23:30:00.000Z,C-1\n"
        "A-1,phone,2026-12-05 00:30,C-2\n"  # the same moment, written in Berlin's time
        "A-1,phone,Wed, 23 Dec 2026 08:16:12,C-3\n"
    )
    run("interactions", text.replace("Wed, 23 Dec 2026 08:16:12", '"Wed, 23 Dec 2026 08:16:12"'),
        tz=BERLIN)  # fmt: skip
    with app.app_context():
        rows = db.session.execute(sa.select(Interaction.external_ref, Interaction.occurred_at))
        stored = {ref: moment for ref, moment in rows}
    moments = {ref: moment.replace(tzinfo=moment.tzinfo or UTC) for ref, moment in stored.items()}
    assert moments["C-1"] == moments["C-2"] == datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    assert moments["C-1"].astimezone(BERLIN).date() == date(2026, 12, 5)
    assert moments["C-3"] == datetime(2026, 12, 23, 7, 16, 12, tzinfo=UTC)


# --- slash dates are never guessed -----------------------------------------------------------

SLASHED = "Agent,Date,Handled\nA-1,12/11/2026,3\nA-1,10/11/2026,4\n"


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("stats", SLASHED, "12/11/2026"),
        ("interactions", "Agent,Channel,Date,Call ID\nA-1,phone,12/11/2026 2:05 PM,C-1\n",
         "12/11/2026 2:05 PM"),
    ],
)  # fmt: skip
def test_an_ambiguous_file_is_refused_and_says_how_to_choose(
    app: Flask, run: Any, kind: str, text: str, value: str
) -> None:
    with pytest.raises(TableError) as raised:
        run(kind, text)
    assert problems(raised) == [AMBIGUOUS_12_11.replace("12/11/2026", value)]
    assert days(app) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The deciding value is the last row: every row is still read day first.
        (SLASHED + "A-1,13/11/2026,5\n", {date(2026, 11, 12): 3, date(2026, 11, 10): 4,
                                          date(2026, 11, 13): 5}),
        (SLASHED + "A-1,11/13/2026,5\n", {date(2026, 12, 11): 3, date(2026, 10, 11): 4,
                                          date(2026, 11, 13): 5}),
        # Slash dates only further down, after an ISO one.
        ("Agent,Date,Handled\nA-1,2026-11-01,1\nA-1,12/11/2026,3\nA-1,11/13/2026,5\n",
         {date(2026, 11, 1): 1, date(2026, 12, 11): 3, date(2026, 11, 13): 5}),
    ],
)  # fmt: skip
def test_a_value_in_the_column_settles_the_order(
    app: Flask, run: Any, text: str, expected: dict[date, int]
) -> None:
    run("stats", text)
    assert days(app) == expected


@pytest.mark.parametrize(
    ("day_first", "expected"),
    [(True, {date(2026, 11, 12): 3, date(2026, 11, 10): 4}),
     (False, {date(2026, 12, 11): 3, date(2026, 10, 11): 4})],
)  # fmt: skip
def test_the_option_settles_the_order(
    app: Flask, run: Any, day_first: bool, expected: dict[date, int]
) -> None:
    run("stats", SLASHED, day_first=day_first)
    assert days(app) == expected


def test_a_column_in_both_orders_is_refused(app: Flask, run: Any) -> None:
    with pytest.raises(TableError) as raised:
        run("stats", SLASHED + "A-1,13/11/2026,5\nA-1,11/14/2026,6\n")
    assert problems(raised) == [
        'column "Date" ("11/14/2026"): the column has dates written day first ("13/11/2026") '
        'and month first ("11/14/2026"); export the dates in one order'
    ]
    assert days(app) == {}


def test_an_ambiguous_interaction_list_is_read_with_the_option(app: Flask, run: Any) -> None:
    text = "Agent,Channel,Date,Call ID\nA-1,phone,12/11/2026 2:05 PM,C-1\n"
    run("interactions", text, day_first=False, tz=UTC)
    with app.app_context():
        moment = db.session.scalar(sa.select(Interaction.occurred_at))
    assert moment.replace(tzinfo=None) == datetime(2026, 12, 11, 14, 5)


# --- a unit in the header -------------------------------------------------------------------


def test_millisecond_columns_are_stored_as_seconds(app: Flask, run: Any, org: Organisation) -> None:
    # Genesys Cloud's default export: durations in milliseconds, the unit in the header.
    handle_ms, talk_ms, acw_ms = (361_798, 421_502), (300_000, 350_250), (61_798, 71_252)
    text = "Agent,Date,Handled,Handle Time (ms),Talk Time (ms),ACW [ms],Logged in time (min)\n" + (
        "".join(
            f"A-1,2026-12-0{day},1,{handle},{talk},{acw},480\n"
            for day, handle, talk, acw in zip((1, 2), handle_ms, talk_ms, acw_ms, strict=True)
        )
    )
    run("stats", text)
    with app.app_context():
        totals = kpi_totals([org.agent_a1.id], date(2026, 12, 1), date(2026, 12, 2))
    # Each day's total rounded to whole seconds, as stored: 362 + 422.
    expected_handle = sum(round(ms / 1000) for ms in handle_ms)
    assert totals.handle_seconds == expected_handle == 784
    assert totals.aht_seconds == pytest.approx(expected_handle / 2) == 392
    with app.app_context():
        rows = db.session.scalars(sa.select(AgentDailyStat).order_by(AgentDailyStat.day)).all()
        assert [(r.talk_seconds, r.acw_seconds, r.logged_in_seconds) for r in rows] == [
            (300, 62, 480 * 60),
            (350, 71, 480 * 60),
        ]


def test_the_unit_option_reads_plain_numbers_and_the_header_wins(app: Flask, run: Any) -> None:
    text = "Agent,Date,Handled,Handle Time,Talk Time (s)\nA-1,2026-12-01,1,361798,300\n"
    run("stats", text, duration_unit="milliseconds")
    with app.app_context():
        row = db.session.scalars(sa.select(AgentDailyStat)).one()
        assert (row.handle_seconds, row.talk_seconds) == (362, 300)


def test_an_interaction_duration_in_milliseconds(app: Flask, run: Any) -> None:
    text = "Agent,Channel,Start,Call ID,Duration (ms)\nA-1,voice,2026-12-01 10:00,C-1,361798\n"
    run("interactions", text)
    with app.app_context():
        assert db.session.scalar(sa.select(Interaction.duration_seconds)) == 362


# --- choosing the order on the command line and on the upload pages ------------------------


def test_import_stats_takes_a_date_order(app: Flask, run: Any, tmp_path: Any) -> None:
    path = tmp_path / "avaya.csv"
    path.write_text(SLASHED)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["import-stats", str(path)])
    assert refused.exit_code == 1
    assert AMBIGUOUS_12_11 in refused.stderr
    done = runner.invoke(args=["import-stats", str(path), "--date-order", "month-first"])
    assert done.exit_code == 0, done.output
    assert days(app) == {date(2026, 12, 11): 3, date(2026, 10, 11): 4}


@pytest.mark.parametrize(
    ("page", "text"),
    [
        ("/stats/import", SLASHED),
        ("/interactions/import", "Agent,Channel,Date,Call ID\nA-1,phone,12/11/2026 2:05 PM,C-1\n"),
    ],
)
def test_the_upload_pages_take_a_date_order(
    run: Any, org: Organisation, sign_in_as: Any, page: str, text: str
) -> None:
    client = sign_in_as(org.manager if page.startswith("/interactions") else org.admin)

    def upload(order: str) -> Any:
        data = {"source": "avaya", "date_order": order, "dry_run": "y",
                "file": (io.BytesIO(text.encode()), "avaya.csv")}  # fmt: skip
        return post_form(client, page, data, content_type="multipart/form-data")

    refused = upload("")
    assert refused.status_code == 400
    assert "no date in the column settles the order" in html.unescape(
        refused.get_data(as_text=True)
    )
    assert 'name="date_order"' in refused.get_data(as_text=True)
    assert upload("month-first").status_code == 200
