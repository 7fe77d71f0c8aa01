"""The one-step conversion of plain statistics rows (qa_app/stats/plain_rows.py) against the
full row checks: whatever it accepts, the full checks accept with the same agent-day and
totals; what it declines they still judge; so a file's agent-days do not depend on which
rows took the short path. No database: agents are a fixed mapping."""

from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_app.auth.models import Role
from qa_app.stats.daily_rows import check_day_row, collect_day_totals
from qa_app.stats.models import ALL_CHANNELS, TOTAL_COLUMNS
from qa_app.stats.plain_rows import PlainRows, collect_file_days
from qa_app.uploads.columns import NamedRow
from qa_app.uploads.reader import Problem, TableError

PROPERTY = settings(max_examples=300, deadline=None)


def _user(user_id: int, role: str, email: str) -> SimpleNamespace:
    return SimpleNamespace(id=user_id, role=role, email=email, active=True)


# As a look-up might give them, by id and by e-mail. "Boss@Example.test" is a
# supervisor's external id whose lower-case form is an agent's e-mail: the full checks find
# the supervisor first and refuse the row; the short path must not find the agent instead.
AGENTS = {
    "A-1": _user(1, Role.AGENT, "a1@example.test"),
    "a1@example.test": _user(1, Role.AGENT, "a1@example.test"),
    "A-2": _user(2, Role.AGENT, "a2@example.test"),
    "a2@example.test": _user(2, Role.AGENT, "a2@example.test"),
    "Boss@Example.test": _user(3, Role.SUPERVISOR, "s@example.test"),
    "boss@example.test": _user(4, Role.AGENT, "boss@example.test"),
    # Numeric external ids: a workbook may hold them as number cells (1, 1.0 or even True).
    "1": _user(5, Role.AGENT, "n1@example.test"),
    "12345": _user(6, Role.AGENT, "n2@example.test"),
}
COLUMNS = (
    "agent", "day", "channel", "contacts_handled", "handle_seconds", "talk_seconds",
    "hold_seconds", "acw_seconds", "logged_in_seconds", "csat_responses", "csat_positive",
    "nps_responses", "nps_promoters", "nps_detractors", "fcr_eligible", "fcr_resolved",
    "transfers",
)  # fmt: skip
PLAIN_NUMBER = st.integers(0, 10**6).map(str)
CLOCK = st.tuples(st.integers(0, 30), st.integers(0, 59), st.integers(0, 59)).map(
    lambda t: f"{t[0]}:{t[1]:02d}:{t[2]:02d}"
)
ODD = st.one_of(
    st.sampled_from(["", " ", "1,234", "1.234", "12,5", "-3", "+4", "5.0", "1e3", "٣", "²",
                     "0:75:00", "1:02:03.5", "12:30", "n/a", "10000000000000000",
                     "999999999999999", "2026-02-30", "01.03.2026", "2026-03-01 08:15",
                     "2026-03-01T08:15+02:00", "phone", "Voice", "fax", "ALL", "a-1",
                     "A-1 ", "Boss@Example.test", "boss@example.test", "unknown"]),
    st.none(),
    st.integers(-5, 10**16),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)),
    st.times(),
)  # fmt: skip
CELL = {
    "agent": st.sampled_from(
        [
            "A-1",
            "a1@example.test",
            "A1@EXAMPLE.TEST",
            "A-2",
            "1",
            1,
            1.0,
            True,
            12345,
            12345.0,
            " 12345",
        ]
    )
    | ODD,
    "day": st.dates(date(2026, 1, 1), date(2026, 1, 3)).map(date.isoformat) | ODD,
    "channel": st.sampled_from(["phone", "chat", "email", "all", "Phone", "voice"]) | ODD,
}
SECONDS = {"handle_seconds", "talk_seconds", "hold_seconds", "acw_seconds", "logged_in_seconds"}


def cell_for(name: str) -> st.SearchStrategy[Any]:
    """Mostly plain values of the column's kind, sometimes anything a file may hold."""
    if name in CELL:
        return CELL[name]
    plain = (PLAIN_NUMBER | CLOCK) if name in SECONDS else PLAIN_NUMBER
    return st.one_of(plain, plain, plain, ODD)


@st.composite
def file_rows(draw: st.DrawFn, min_rows: int = 1) -> tuple[dict[str, int], list[list[Any]]]:
    """A file's columns (agent, day and contacts always; others at random) and its rows."""
    optional = [name for name in COLUMNS if name not in ("agent", "day", "contacts_handled")]
    present = ["agent", "day", "contacts_handled"]
    present += draw(st.lists(st.sampled_from(optional), unique=True))
    order = draw(st.permutations(present))
    columns = {name: index for index, name in enumerate(order)}
    rows = draw(
        st.lists(
            st.tuples(*(cell_for(name) for name in order)).map(list),
            min_size=min_rows,
            max_size=8,
        )
    )
    return columns, rows


def full_check(
    values: list[Any], columns: dict[str, int]
) -> tuple[Any, tuple[int, ...], list[Problem]]:
    problems: list[Problem] = []
    result = check_day_row(2, NamedRow(values, columns), lambda name: name, AGENTS, problems)
    return result.key, tuple(result.values.get(name, 0) for name in TOTAL_COLUMNS), problems


@PROPERTY
@given(file_rows())
def test_what_the_short_path_accepts_the_full_checks_accept_alike(
    given_file: tuple[dict[str, int], list[list[Any]]],
) -> None:
    columns, rows = given_file
    plain = PlainRows(columns, AGENTS)
    for values in rows:
        converted = plain(list(values))
        if converted is None:
            continue
        key, totals, problems = full_check(list(values), columns)
        assert problems == []
        assert converted == (key, totals)


@PROPERTY
@given(file_rows())
def test_a_file_gives_the_same_agent_days_or_problems_on_either_path(
    given_file: tuple[dict[str, int], list[list[Any]]],
) -> None:
    columns, rows = given_file
    numbered = list(enumerate(rows, start=2))
    label = str

    def outcome(collect: Any) -> Any:
        try:
            return collect()
        except TableError as error:
            return error.problems

    fast = outcome(lambda: collect_file_days(numbered, columns, label, AGENTS))
    full = outcome(
        lambda: collect_day_totals(
            [(number, NamedRow(values, columns)) for number, values in numbered], label, AGENTS
        )
    )
    assert fast == full


def test_plain_rows_take_the_short_path() -> None:
    columns = {name: index for index, name in enumerate(COLUMNS)}
    values = ["a1@EXAMPLE.test", "2026-03-01", "phone", "40", "", "1:00:00", "600", "0:05:00",
              "28800", "10", "9", "8", "5", "1", "7", "6", "2"]  # fmt: skip
    converted = PlainRows(columns, AGENTS)(values)
    assert converted is not None
    assert converted == full_check(values, columns)[:2]
    key, totals = converted
    assert key == (1, date(2026, 3, 1), "phone")
    # No handle time given: talk + hold + after-call work (DESIGN.md).
    assert totals[TOTAL_COLUMNS.index("handle_seconds")] == 3600 + 600 + 300


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("agent", "Boss@Example.test"),  # a supervisor, though an agent has its lower case
        ("agent", "nobody"),
        ("day", ""),
        ("day", "2026-02-30"),
        ("contacts_handled", ""),
        ("contacts_handled", "1,234"),  # accepted by the full checks, as 1234
        ("talk_seconds", "0:75:00"),
        ("csat_positive", "11"),  # more than the responses
        ("nps_promoters", "8"),  # with the detractor, above the 8 responses
        ("channel", "fax"),
    ],
)
def test_anything_but_a_plain_row_is_left_to_the_full_checks(column: str, value: str) -> None:
    columns = {name: index for index, name in enumerate(COLUMNS)}
    values = ["A-1", "2026-03-01", "all", "40", "3600", "", "", "", "", "10", "9", "8", "5",
              "1", "7", "6", "2"]  # fmt: skip
    assert PlainRows(columns, AGENTS)(values) is not None
    values[columns[column]] = value
    assert PlainRows(columns, AGENTS)(values) is None


@pytest.mark.parametrize("column", ["aht_seconds", "csat_pct", "fcr_pct", "nps"])
def test_files_with_averages_or_scores_are_fully_checked(column: str) -> None:
    columns = {"agent": 0, "day": 1, "contacts_handled": 2, column: 3}
    assert not PlainRows(columns, AGENTS).enabled


def test_workbook_cells_are_plain_too() -> None:
    columns = {"agent": 0, "day": 1, "contacts_handled": 2, "talk_seconds": 3, "channel": 4}
    values = ["A-2", datetime(2026, 3, 1), 12, time(0, 2, 5), None]
    converted = PlainRows(columns, AGENTS)(values)
    assert converted == ((2, date(2026, 3, 1), ALL_CHANNELS), full_check(values, columns)[1])


def test_number_cells_naming_agents_are_read_as_their_text() -> None:
    # 1, 1.0 and True are one dict key in Python; as text they are "1", "1.0" and "True".
    columns = {"agent": 0, "day": 1, "contacts_handled": 2}
    plain = PlainRows(columns, AGENTS)
    for agent in (1, 1.0, True, "1", 12345, " 12345"):
        values = [agent, "2026-03-01", "3"]
        converted = plain(values)
        key, totals, problems = full_check(values, columns)
        assert converted == ((key, totals) if not problems else None)
    assert plain([1, "2026-03-01", "3"]) is not None
    assert plain([True, "2026-03-01", "3"]) is None
