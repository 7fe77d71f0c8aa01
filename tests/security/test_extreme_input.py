"""Days and numbers at the edge of what a computer holds: one range of days for every way in,
numbers no larger than the database's INTEGER, and a clear 400 (or a 404 for an id that
names nothing) instead of a 500 (issue 17, finding 8)."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import Role, User
from qa_app.day_range import FIRST_DAY
from qa_app.extensions import db
from qa_app.interactions.importer import import_interactions
from qa_app.stats.importer import import_stats
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation, sign_in
from tests.security.test_routes import (
    ROUTES,
    SIGNED_IN_AS,
    _calibration_ids,
    _open_draft,
    _path,
    _profile_id,
)

EXTREME_DAYS = ["0001-01-01", "1999-12-31", "9999-12-31", "2999-01-01"]
OUTSIDE = "outside the days this app accepts (2000-01-01 to "
# Beyond SQLite's 64-bit integers, beyond PostgreSQL's int4 ids, and a page whose offset
# overflows.
HUGE_QUERY = (
    "agent=9223372036854775808&team=3000000000&page=4611686018427387904"
    "&days=1000000000000000000000000000000"
)
HUGE_ID = "9223372036854775808"


# A known agent's row: the day, or the time, is the file's second cell of row 2.
FILES = {
    "stats": ("Agent,Date,Calls Handled\na1@example.test,{day},5\n", "Date", "{day}"),
    "interactions": (
        "agent,channel,occurred_at,external_ref\na1@example.test,phone,{day} 09:00,C-1\n",
        "occurred_at",
        "{day} 09:00",
    ),
}


@pytest.mark.parametrize("kind", sorted(FILES))
@pytest.mark.parametrize("day", EXTREME_DAYS)
def test_a_day_outside_the_range_is_refused_at_its_row_and_column(
    app: Flask, org: Organisation, kind: str, day: str
) -> None:
    text, column, value = FILES[kind]
    options: dict[str, Any] = {"source": "acd", "max_bytes": 10_000, "max_rows": 10}
    with app.app_context(), pytest.raises(TableError) as caught:
        options["actor"] = db.session.get_one(User, org.admin.id)
        data = text.format(day=day).encode()
        if kind == "stats":
            import_stats(data, "stats.csv", **options)
        else:
            import_interactions(data, "calls.csv", tz=ZoneInfo("Europe/Helsinki"), **options)
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (2, column, value.format(day=day))
    assert problem.reason.startswith(OUTSIDE)


def test_the_api_refuses_the_same_days_in_the_same_words(org: Organisation, api_as: Any) -> None:
    manager = api_as(org.manager)
    day = manager.post("/api/v1/stats", {"agent": "a1@example.test", "day": "9999-12-31",
                                         "contacts_handled": 1})  # fmt: skip
    moment = api_as(org.supervisor_a).post(
        "/api/v1/interactions",
        {"agent": "a1@example.test", "channel": "phone", "external_ref": "C-1",
         "occurred_at": "0001-01-01T09:00:00+00:00"},
    )  # fmt: skip
    for answer, field in ((day, "day"), (moment, "occurred_at")):
        assert answer.status_code == 422
        [detail] = answer.json["error"]["details"]
        assert detail["field"] == field
        assert detail["reason"].startswith(OUTSIDE)


def _signed_in(app: Flask, org: Organisation, role: Role) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, org.member(SIGNED_IN_AS[role]).email).status_code == 302
    return client


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.SUPERVISOR, Role.AGENT])
def test_no_page_answers_huge_numbers_with_a_server_error(
    app: Flask, org: Organisation, records: dict[str, int], role: Role
) -> None:
    # Every GET page of the route matrix, with numbers no database column holds in its
    # query, and with each id in its path made huge.
    values = {**org.members(), **records, "scorecard": _open_draft(app, records["scorecard_id"])}
    values["profile_id"] = _profile_id(app)
    values.update(_calibration_ids(app, org))
    client = _signed_in(app, org, role)
    seen = {}
    for endpoint, route in sorted(ROUTES.items()):
        if route.method != "GET" or route.auth == "token" or "{token_id}" in route.path:
            continue
        path = _path(route, values)
        answer = client.get(f"{path}?{HUGE_QUERY}")
        answer.close()  # a download's file, as a WSGI server closes it
        seen[endpoint] = answer.status_code
        assert answer.status_code in (200, 302, 400, 403, 404), (endpoint, answer.status_code)
        if re.search(r"/\d+(?=/|$)", path):
            huge = re.sub(r"/\d+(?=/|$)", "/" + HUGE_ID, path, count=1)
            assert client.get(huge).status_code == 404, (endpoint, huge)
    assert set(seen.values()) - {302, 403, 404}, "no page was opened at all"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/interactions/?agent=9223372036854775808", "agent"),
        ("/interactions/?agent=3000000000", "agent"),
        ("/interactions/?page=4611686018427387904", "page"),
        ("/evaluations/?agent=-1", "agent"),
        ("/evaluations/?page=1e3", "page"),
        ("/training/?team=3000000000", "team"),
        ("/admin/users?page=9223372036854775808", "page"),
        ("/stats/targets?team=9223372036854775808", "team"),
    ],
)
def test_a_number_no_id_can_be_is_a_400_naming_the_parameter(
    app: Flask, org: Organisation, path: str, parameter: str
) -> None:
    client = _signed_in(
        app, org, Role.ADMIN if "admin" in path or "targets" in path else Role.MANAGER
    )
    answer = client.get(path)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert f"{parameter}=" in page and "not a whole number from 0 to 2147483647" in page


@pytest.mark.parametrize("day", EXTREME_DAYS)
def test_a_period_outside_the_range_is_a_400_not_a_500(
    app: Flask, org: Organisation, day: str
) -> None:
    agent = _signed_in(app, org, Role.AGENT)
    own = agent.get(f"/stats/agents/{org.agent_a1.id}?from={day}")
    assert own.status_code == 400
    assert OUTSIDE in own.get_data(as_text=True)
    assert agent.get(f"/stats/agents/{org.agent_a1.id}?to={day}").status_code == 400
    manager = _signed_in(app, org, Role.MANAGER)
    for path in ("/dashboard/team", "/dashboard/centre"):
        answer = manager.get(f"{path}?start={day}&end={day}")
        assert answer.status_code == 400
        # The first day in the reader's format: the manager reads US English, M/d/yyyy.
        first = format_date(FIRST_DAY, "M/d/yyyy", locale="en")
        assert f"Choose a day from {first} to " in answer.get_data(as_text=True)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_report_agent_refuses_a_day_outside_the_range(
    runner: Any, org: Organisation, day: str
) -> None:
    result = runner.invoke(args=["report", "agent", "a1@example.test", "--from", day])
    assert result.exit_code == 1
    assert OUTSIDE in result.output
