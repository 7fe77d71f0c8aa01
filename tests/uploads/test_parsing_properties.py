"""Property-based tests of the upload parsers (hypothesis): whatever arrives, the reader, the
cell parsers and the row checks answer with a value or their own error (TableError, Problem,
ValueError, ApiError), and valid generated rows come back exactly. No database: the agent
look-up of the interaction checks is replaced by a fixed mapping."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_app.api.batches import INTERACTION_FIELDS, STAT_FIELDS
from qa_app.api.errors import ApiError
from qa_app.api.payloads import read_items
from qa_app.auth.models import Role
from qa_app.interactions import importer as interactions
from qa_app.stats.daily_rows import collect_day_totals
from qa_app.stats.models import ALL_CHANNELS, TOTAL_COLUMNS
from qa_app.teams.identities import AgentMatches
from qa_app.uploads.cells import (
    ReadOptions,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_duration,
    parse_int,
    parse_percentage,
)
from qa_app.uploads.reader import Problem, TableError, read_table
from tests.support.hostile_files import workbook

PROPERTY = settings(max_examples=75, deadline=None)
MB = 1024 * 1024
# Text a person could type into a cell: no control characters, surrogates, unassigned code
# points or byte-order marks (the reader refuses or drops those, tested elsewhere).
TYPED = st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Co"), blacklist_characters="\ufeff")
CELL_TEXT = st.text(TYPED, min_size=1, max_size=20).map(str.strip).filter(bool)
ANY_CELL = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.text(st.sampled_from("0123456789,.:-+ %eE\u00a0'/T"), max_size=20),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.decimals(allow_nan=True),
)


def read(data: bytes, name: str) -> Any:
    return read_table(data, name, max_bytes=MB, max_rows=1000)


# --- the reader --------------------------------------------------------------------------


@PROPERTY
@given(
    st.text(st.sampled_from(',;\t"\r\n ab\x00\x07é€\ufeff'), max_size=200),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
    st.sampled_from(["f.csv", "f.txt", "f.tsv"]),
)
def test_any_text_gives_a_table_or_a_table_error(text: str, encoding: str, name: str) -> None:
    data = text.encode(encoding, errors="replace")
    try:
        table = read(data, name)
    except TableError as error:
        assert error.problems and all(isinstance(p, Problem) for p in error.problems)
        assert str(error)
    else:
        assert table.headers and table.rows


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 4000), st.binary(min_size=1, max_size=8)), max_size=6))
def test_damaged_workbooks_give_a_table_or_a_table_error(
    damage: list[tuple[int, bytes]],
) -> None:
    data = bytearray(workbook([["Agent", "Calls"], ["A-1", 3], ["A-2", "x"]], shared_strings=True))
    for position, replacement in damage:
        position %= len(data)
        data[position : position + len(replacement)] = replacement
    try:
        table = read(bytes(data), "f.xlsx")
    except TableError as error:
        assert error.problems
    else:
        assert table.headers


def test_a_member_needing_a_newer_zip_version_is_unreadable() -> None:
    """Found by the property above: a central-directory entry asking for zip version 6.4
    made zipfile raise NotImplementedError, a 500 instead of a problem."""
    data = bytearray(workbook([["Agent", "Calls"], ["A-1", 3]], shared_strings=True))
    entry = data.index(b"PK\x01\x02")
    data[entry + 6 : entry + 8] = (64).to_bytes(2, "little")  # version needed to extract
    with pytest.raises(TableError, match="could not read this XLSX file"):
        read(bytes(data), "f.xlsx")


def test_a_directory_pointing_before_the_file_is_unreadable() -> None:
    """Found by the property above: an end-of-archive record placing the central directory
    256 bytes later than it is put the first member before the file's start, and zipfile's
    seek raised ValueError, a 500 instead of a problem."""
    data = bytearray(workbook([["Agent", "Calls"], ["A-1", 3]], shared_strings=True))
    end = data.rindex(b"PK\x05\x06")
    offset = int.from_bytes(data[end + 16 : end + 20], "little")
    data[end + 16 : end + 20] = (offset + 256).to_bytes(4, "little")
    with pytest.raises(TableError, match="could not read this XLSX file"):
        read(bytes(data), "f.xlsx")


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    """Distinct header names and rows of typed text (never an all-blank row)."""
    width = draw(st.integers(1, 5))
    names = draw(
        st.lists(
            st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8),
            min_size=width,
            max_size=width,
            unique=True,
        )
    )
    rows = draw(
        st.lists(
            st.lists(st.one_of(st.just(""), CELL_TEXT), min_size=width, max_size=width).filter(any),
            min_size=1,
            max_size=8,
        )
    )
    return names, rows


@PROPERTY
@given(
    tables(),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    st.sampled_from(["\r\n", "\n"]),
)
def test_generated_csv_reads_back_exactly(
    table: tuple[list[str], list[list[str]]], separator: str, encoding: str, newline: str
) -> None:
    headers, rows = table
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, quoting=csv.QUOTE_ALL, lineterminator=newline)
    writer.writerows([headers, *rows])
    result = read(buffer.getvalue().encode(encoding), "f.csv")
    assert result.headers == headers
    assert [values for _, values in result.rows] == rows


@PROPERTY
@given(tables(), st.booleans())
def test_generated_workbooks_read_back_exactly(
    table: tuple[list[str], list[list[str]]], shared: bool
) -> None:
    headers, rows = table
    cells = [[value or None for value in row] for row in rows]
    result = read(workbook([headers, *cells], shared_strings=shared), "f.xlsx")
    assert result.headers == headers
    assert [values for _, values in result.rows] == cells
    assert [number for number, _ in result.rows] == list(range(2, len(rows) + 2))


# --- cells ---------------------------------------------------------------------------------

PARSERS = [
    parse_int,
    parse_decimal,
    parse_duration,
    parse_date,
    parse_datetime,
    parse_percentage,
    parse_bool,
]


@PROPERTY
@given(ANY_CELL)
def test_cell_parsers_return_a_value_or_a_value_error(value: object) -> None:
    for parser in PARSERS:
        try:
            parser(value)
        except ValueError as error:
            assert str(error)


@PROPERTY
@given(st.integers(0, 10**9), st.sampled_from(["{}", "{:,}", "{:_}"]))
def test_durations_and_counts_round_trip(number: int, pattern: str) -> None:
    text = pattern.format(number).replace("_", "")
    assert parse_int(text) == number
    hours, rest = divmod(number, 3600)
    assert parse_duration(f"{hours}:{rest // 60:02d}:{rest % 60:02d}") == Decimal(number)


# --- statistics rows -------------------------------------------------------------------------


def collect_days(rows: Any, label: Any, agents: Any) -> dict[Any, dict[str, int]]:
    """Each agent-day's totals by column name."""
    days = collect_day_totals(rows, label, agents)
    return {key: dict(zip(TOTAL_COLUMNS, totals, strict=True)) for key, totals in days.items()}


AGENTS = {
    "A-1": SimpleNamespace(id=1, role=Role.AGENT, email="a1@example.test", active=True),
    "a1@example.test": SimpleNamespace(id=1, role=Role.AGENT, email="a1@example.test", active=True),
    "A-2": SimpleNamespace(id=2, role=Role.AGENT, email="a2@example.test", active=True),
    "S-1": SimpleNamespace(id=3, role=Role.SUPERVISOR, email="s1@example.test", active=True),
}
STAT_NAMES = [field.name for field in STAT_FIELDS]


@PROPERTY
@given(
    st.lists(
        st.dictionaries(st.sampled_from(STAT_NAMES), ANY_CELL | st.sampled_from(list(AGENTS))),
        min_size=1,
        max_size=5,
    )
)
def test_any_statistics_rows_give_agent_days_or_problems(rows: list[dict[str, Any]]) -> None:
    try:
        days = collect_days(enumerate(rows, start=2), lambda name: name, AGENTS)
    except TableError as error:
        assert all(p.row is None or 2 <= p.row < len(rows) + 2 for p in error.problems)
        assert all(p.column in STAT_NAMES for p in error.problems)
    else:
        assert all(set(totals) == set(TOTAL_COLUMNS) for totals in days.values())


STAT_ROW = st.fixed_dictionaries(
    {
        "agent": st.sampled_from(["A-1", "a1@example.test", "A-2"]),
        "day": st.dates(date(2026, 1, 1), date(2026, 1, 3)),
        "contacts_handled": st.integers(0, 10**5),
        "handle_seconds": st.integers(0, 10**6),
        "transfers": st.integers(0, 100),
    }
)


@PROPERTY
@given(st.lists(STAT_ROW, min_size=1, max_size=10), st.booleans())
def test_valid_statistics_rows_add_up_exactly(rows: list[dict[str, Any]], as_text: bool) -> None:
    expected: dict[tuple[int, date, str], dict[str, int]] = {}
    for row in rows:
        key = (AGENTS[row["agent"]].id, row["day"], ALL_CHANNELS)
        totals = expected.setdefault(key, dict.fromkeys(TOTAL_COLUMNS, 0))
        for name in ("contacts_handled", "handle_seconds", "transfers"):
            totals[name] += row[name]
    given_rows = [
        {name: str(value) if as_text else value for name, value in row.items()} for row in rows
    ]
    days = collect_days(enumerate(given_rows, start=2), lambda name: name, AGENTS)
    assert days == expected


# --- interaction rows ----------------------------------------------------------------------


def check_calls(rows: list[tuple[int, dict[str, Any]]]) -> tuple[list[dict[str, Any]], Any]:
    """check_interactions with A-1 and A-2 as the actor's agents, without a database."""

    def match(keys: Any, _actor: object, source: str) -> AgentMatches:
        found = AgentMatches(source)
        found.update({key: AGENTS[key] for key in keys if key in AGENTS})
        return found

    with mock.patch.object(interactions, "match_agents", side_effect=match):
        return interactions.check_interactions(
            rows,
            lambda name: name,
            actor=None,  # type: ignore[arg-type]
            read_moment=interactions.local_moment(ReadOptions(tz=UTC)),
            default_source="pbx",
            agent_keys=[(row.get("source"), row.get("agent")) for _, row in rows],
        )


@PROPERTY
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from([*interactions.ALIASES, "source"]),
            ANY_CELL
            | st.sampled_from(["A-1", "S-1", "phone", "voice", "http://x", "javascript:x"]),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_interaction_rows_give_records_or_problems(rows: list[dict[str, Any]]) -> None:
    records, problems = check_calls(list(enumerate(rows, start=2)))
    assert len(records) == len(rows)
    assert all(isinstance(p, Problem) and p.reason for p in problems)
    assert all(2 <= p.row < len(rows) + 2 for p in problems)


CALL_ROW = st.fixed_dictionaries(
    {
        "agent": st.sampled_from(["A-1", "a1@example.test", "A-2"]),
        "channel": st.sampled_from(sorted(interactions.CHANNEL_BY_WORD)),
        "occurred_at": st.datetimes(datetime(2000, 1, 1), datetime(2026, 12, 1)).map(
            lambda moment: moment.replace(microsecond=0)
        ),
        "duration": st.integers(0, 86_400),
        "queue": st.text(TYPED, max_size=80).map(str.strip),
        "transcript": st.text(TYPED, max_size=200).map(str.strip),
        "recording_url": st.sampled_from(["", "https://rec.example/1", "http://rec/2?a=<b>"]),
        "csat_score": st.none() | st.integers(1, 5) | st.sampled_from(["Good", "bad", "Offered"]),
        "nps_score": st.none() | st.integers(0, 10),
        "resolved_first_contact": st.sampled_from([None, "yes", "No", "Ja", "nie", "kyllä"]),
    }
)
# What the customer-outcome cells mean, written out independently of the importer: a score
# counts as positive from 4 (the default, the top two boxes of a 1–5 survey).
CSAT_MEANS = {None: (None, None), "Good": (None, True), "bad": (None, False),
              "Offered": (None, None)} | {n: (float(n), n >= 4) for n in range(1, 6)}  # fmt: skip
YES_NO_MEANS = {None: None, "yes": True, "No": False, "Ja": True, "nie": False, "kyllä": True}


@PROPERTY
@given(st.lists(CALL_ROW, min_size=1, max_size=8), st.booleans())
def test_valid_interaction_rows_are_checked_into_exactly_their_records(
    rows: list[dict[str, Any]], as_text: bool
) -> None:
    given_rows = []
    for number, row in enumerate(rows, start=2):
        values = dict(row, external_ref=f"C-{number}")
        if as_text:
            values["occurred_at"] = values["occurred_at"].isoformat(sep=" ")
            values["duration"] = str(values["duration"])
            for name in ("csat_score", "nps_score"):
                values[name] = None if values[name] is None else str(values[name])
        given_rows.append((number, values))
    records, problems = check_calls(given_rows)
    assert problems == []
    assert records == [
        {
            "source": "pbx",
            "agent_id": AGENTS[row["agent"]].id,
            "channel": interactions.CHANNEL_BY_WORD[row["channel"]],
            "occurred_at": row["occurred_at"].replace(tzinfo=UTC),
            "duration_seconds": row["duration"],
            "external_ref": f"C-{number}",
            "queue": row["queue"] or None,
            "customer_ref": None,
            "transcript": row["transcript"] or None,
            "recording_url": row["recording_url"] or None,
            "csat_score": CSAT_MEANS[row["csat_score"]][0],
            "csat_positive": CSAT_MEANS[row["csat_score"]][1],
            "nps_score": row["nps_score"],
            "resolved_first_contact": YES_NO_MEANS[row["resolved_first_contact"]],
        }
        for number, row in enumerate(rows, start=2)
    ]


# --- JSON batches ----------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@PROPERTY
@given(
    st.one_of(
        JSON,
        st.lists(
            st.dictionaries(
                st.sampled_from([f.name for f in (*INTERACTION_FIELDS, *STAT_FIELDS)]), JSON
            ),
            max_size=4,
        ),
    ),
    st.sampled_from([INTERACTION_FIELDS, STAT_FIELDS]),
)
def test_any_json_body_gives_typed_items_or_an_api_error(body: object, fields: Any) -> None:
    try:
        items = read_items(body, fields, 3)
    except ApiError as error:
        assert error.status in (413, 422) and error.message
    else:
        assert 1 <= len(items) <= 3
        assert all(isinstance(item, dict) for item in items)
