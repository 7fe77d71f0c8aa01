"""The formats real exports write (issue 18): timestamps with `Z` or an offset converted to the
centre's zone, RFC 2822 and 12-hour times, slash dates whose order is decided per column and
never guessed, ISO 8601 and unit-written durations, duration units from options and headers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from qa_app.uploads.cells import ReadOptions, parse_date, parse_datetime, parse_duration
from qa_app.uploads.cells import parse_duration_seconds as seconds
from qa_app.uploads.columns import map_columns
from qa_app.uploads.dates import DateOrderError, settle_day_first
from qa_app.uploads.units import header_without_unit, unit_from_header

BERLIN = ZoneInfo("Europe/Berlin")
IN_BERLIN = ReadOptions(tz=BERLIN)
DAY_FIRST, MONTH_FIRST = ReadOptions(day_first=True), ReadOptions(day_first=False)
CHOOSE = (
    'choose the date order ("Date order" on the import page, --date-order day-first or '
    "month-first on the command line, date_order in the API)"
)

# --- dates and times ----------------------------------------------------------------------

DATES: list[tuple[Any, ReadOptions, date]] = [
    # A day-interval start in UTC is the next local day in Berlin (UTC+1 in December).
    ("2026-12-04T23:00:00.000Z", IN_BERLIN, date(2026, 12, 5)),
    ("2026-12-04T23:00:00Z", ReadOptions(tz=UTC), date(2026, 12, 4)),
    ("2026-12-05T00:00:00.000Z", IN_BERLIN, date(2026, 12, 5)),
    ("2026-12-05T08:16:12+01:00", IN_BERLIN, date(2026, 12, 5)),
    ("2026-12-05T00:30:00+01:00", ReadOptions(tz=UTC), date(2026, 12, 4)),
    ("2026-12-05T23:30:00-0500", IN_BERLIN, date(2026, 12, 6)),
    ("2026/12/09", IN_BERLIN, date(2026, 12, 9)),
    ("Wed, 23 Dec 2026 08:16:12", IN_BERLIN, date(2026, 12, 23)),
    ("23 Dec 2026", IN_BERLIN, date(2026, 12, 23)),
    ("Wed, 23 Dec 2026 23:30:00 GMT", IN_BERLIN, date(2026, 12, 24)),
    ("03.12.2026", IN_BERLIN, date(2026, 12, 3)),
    ("3.12.2026 14:05", IN_BERLIN, date(2026, 12, 3)),
    ("2026-12-09 14:05:33.123", IN_BERLIN, date(2026, 12, 9)),
    ("11/3/26 2:05 PM", MONTH_FIRST, date(2026, 11, 3)),
    ("11/3/26 2:05 PM", DAY_FIRST, date(2026, 3, 11)),
    ("12/11/2026", DAY_FIRST, date(2026, 11, 12)),
    ("12/11/2026", MONTH_FIRST, date(2026, 12, 11)),
    ("12-11-2026", DAY_FIRST, date(2026, 11, 12)),
    ("05/05/2026", ReadOptions(), date(2026, 5, 5)),  # the same read either way
    (datetime(2026, 12, 4, 23, 0, tzinfo=UTC), IN_BERLIN, date(2026, 12, 5)),
]


@pytest.mark.parametrize(("value", "options", "day"), DATES, ids=[repr(d[0]) for d in DATES])
def test_dates_as_exports_write_them(value: Any, options: ReadOptions, day: date) -> None:
    assert parse_date(value, options) == day


TIMES: list[tuple[str, ReadOptions, datetime]] = [
    ("2026-12-05T08:16:12+01:00", IN_BERLIN, datetime(2026, 12, 5, 8, 16, 12, tzinfo=BERLIN)),
    ("2026-12-05T07:16:12.000Z", IN_BERLIN, datetime(2026, 12, 5, 8, 16, 12, tzinfo=BERLIN)),
    ("Wed, 23 Dec 2026 08:16:12", IN_BERLIN, datetime(2026, 12, 23, 8, 16, 12)),
    ("Thu, 27 Oct 2016 14:51:34", IN_BERLIN, datetime(2016, 10, 27, 14, 51, 34)),
    ("11/3/26 2:05 PM", MONTH_FIRST, datetime(2026, 11, 3, 14, 5)),
    ("11/3/26 12:05 AM", MONTH_FIRST, datetime(2026, 11, 3, 0, 5)),
    ("11/3/2026 12:05PM", MONTH_FIRST, datetime(2026, 11, 3, 12, 5)),
    ("3.12.2026 14:05", IN_BERLIN, datetime(2026, 12, 3, 14, 5)),
    ("2026-12-09 14:05:33.123", IN_BERLIN, datetime(2026, 12, 9, 14, 5, 33, 123_000)),
    ("2026/12/09 08:00", IN_BERLIN, datetime(2026, 12, 9, 8, 0)),
]


@pytest.mark.parametrize(("value", "options", "moment"), TIMES, ids=[t[0] for t in TIMES])
def test_times_as_exports_write_them(value: str, options: ReadOptions, moment: datetime) -> None:
    parsed = parse_datetime(value, options)
    assert parsed == moment
    # Aware exactly when a zone was written: the caller puts naive times in the centre's zone.
    assert (parsed.tzinfo is None) is (moment.tzinfo is None)
    if parsed.tzinfo is not None:
        assert parsed.utcoffset() == timedelta(hours=1)  # shown in the centre's zone


BAD_DATES: list[tuple[Any, ReadOptions, str]] = [
    ("12/11/2026", ReadOptions(), "a slash date whose order is not decided; " + CHOOSE),
    ("13/11/2026", MONTH_FIRST, "no such date read month first (the chosen date order)"),
    ("11/13/2026", DAY_FIRST, "no such date read day first (the chosen date order)"),
    ("31/04/2026", DAY_FIRST, "no such date"),
    ("Thu, 23 Dec 2026", IN_BERLIN, "the weekday does not match the date"),
    ("Xyz, 23 Dec 2026", IN_BERLIN, "not a date (use YYYY-MM-DD or DD.MM.YYYY)"),
    ("23 Foo 2026", IN_BERLIN, "not a date (use YYYY-MM-DD or DD.MM.YYYY)"),
    ("01.03.26", IN_BERLIN, "not a date (use YYYY-MM-DD or DD.MM.YYYY)"),
    ("2026-12-05T08:16:12+25:00", IN_BERLIN, "no such time of day"),
    ("11/3/26 13:05 PM", MONTH_FIRST, "no such time of day"),
    ("11/3/26 0:05 AM", MONTH_FIRST, "no such time of day"),
    ("1999-12-31T23:00:00Z", ReadOptions(tz=UTC), "outside the days this app accepts"),
]


@pytest.mark.parametrize(("value", "options", "reason"), BAD_DATES, ids=[b[0] for b in BAD_DATES])
def test_bad_dates_are_refused_with_a_reason(value: Any, options: ReadOptions, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_date(value, options)
    assert str(caught.value).startswith(reason)


def test_the_range_check_applies_to_the_local_day() -> None:
    # 1999-12-31 23:30 UTC is already 2000-01-01 in Berlin: inside the range there.
    assert parse_date("1999-12-31T23:30:00Z", IN_BERLIN) == date(2000, 1, 1)


# --- the order of slash dates is decided per column ---------------------------------------


def test_an_ambiguous_column_is_refused_with_an_example_and_how_to_choose() -> None:
    with pytest.raises(DateOrderError) as caught:
        settle_day_first(["12/11/2026", "10/11/2026", "2026-12-01", None], None)
    assert caught.value.value == "12/11/2026"
    assert str(caught.value) == (
        '"12/11/2026" is 2026-11-12 read day first and 2026-12-11 read month first, and no '
        "date in the column settles the order; " + CHOOSE
    )


@pytest.mark.parametrize(
    ("values", "day_first"),
    [
        (["12/11/2026", "10/11/2026", "13/11/2026"], True),  # the deciding value comes last
        (["12/11/2026 8:00 AM", "11/13/2026 9:30 PM"], False),
        (["11/3/26", "12/31/26"], False),
        (["05/05/2026", "2026-12-01"], True),  # reads the same either way
        (["2026-12-01", "03.12.2026", date(2026, 1, 2), None, ""], None),  # no slash dates
    ],
)
def test_a_column_settles_its_own_order(values: list[Any], day_first: bool | None) -> None:
    assert settle_day_first(values, None) is day_first


def test_the_option_decides_without_looking() -> None:
    assert settle_day_first(["12/11/2026"], True) is True
    assert settle_day_first(["12/11/2026"], False) is False


def test_a_column_in_both_orders_is_refused_as_inconsistent() -> None:
    with pytest.raises(DateOrderError) as caught:
        settle_day_first(["13/11/2026", "12/11/2026", "11/13/2026"], None)
    assert str(caught.value) == (
        'the column has dates written day first ("13/11/2026") and month first '
        '("11/13/2026"); export the dates in one order'
    )


# --- durations ----------------------------------------------------------------------------

DURATIONS: list[tuple[Any, Any, Decimal]] = [
    ("PT5M12S", None, Decimal(312)),
    ("pt1h", None, Decimal(3600)),
    ("P1DT2H", None, Decimal(93_600)),
    ("PT0.5S", None, Decimal("0.5")),
    ("5m 12s", None, Decimal(312)),
    ("1h 2m", None, Decimal(3720)),
    ("1 h 02 min 03 s", None, Decimal(3723)),
    ("312s", None, Decimal(312)),
    ("2 min", None, Decimal(120)),
    ("361798 ms", None, Decimal("361.798")),
    ("00:05:12", None, Decimal(312)),
    ("5:12", None, Decimal(312)),
    ("1:02:03", None, Decimal(3723)),
    # A plain number is in the unit given (seconds by default).
    ("312", None, Decimal(312)),
    ("361798", "milliseconds", Decimal("361.798")),
    (361798, "milliseconds", Decimal("361.798")),
    ("2,5", "minutes", Decimal(150)),
    ("1.5", "hours", Decimal(5400)),
    ("0.000069444446", "day_fraction", Decimal("6.0000001344")),
    (0.000069444446, "day_fraction", Decimal("6.0000001344")),
    # A value that says its own unit is read by it whatever the option says.
    ("00:05:12", "milliseconds", Decimal(312)),
    ("PT5M12S", "day_fraction", Decimal(312)),
    ("312s", "minutes", Decimal(312)),
    (time(0, 5, 12), "milliseconds", Decimal(312)),
    (timedelta(minutes=5, seconds=12), "milliseconds", Decimal(312)),
]


@pytest.mark.parametrize(("value", "unit", "expected"), DURATIONS, ids=[repr(d) for d in DURATIONS])
def test_durations_as_exports_write_them(value: Any, unit: Any, expected: Decimal) -> None:
    assert parse_duration(value, unit) == expected


def test_whole_seconds_in_a_unit() -> None:
    assert seconds("361798", "milliseconds") == 362
    assert seconds(0.000069444446, "day_fraction") == 6  # Talkdesk Explore: 6 s
    assert seconds("312", "seconds") == seconds("312") == 312
    assert seconds("5", "minutes") == 300


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("PT", "not a duration (use seconds or hh:mm:ss)"),
        ("P", "not a duration (use seconds or hh:mm:ss)"),
        ("PT5X", "not a duration (use seconds or hh:mm:ss)"),
        ("5 parsecs", "not a duration (use seconds or hh:mm:ss)"),
        ("5m 12", "not a duration (use seconds or hh:mm:ss)"),
        ("m", "not a duration (use seconds or hh:mm:ss)"),
        ("-5m", "not a duration (use seconds or hh:mm:ss)"),
        ("P99999999999999DT1H", "not a duration (use seconds or hh:mm:ss)"),
        ("PT999999999999H", "too large (no figure of a contact centre has more than 15 digits)"),
    ],
)
def test_bad_durations_are_refused_with_a_reason(value: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(value)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("Handle Time (ms)", "milliseconds"),
        ("Avg Handle [ms]", "milliseconds"),
        ("AHT [s]", "seconds"),
        ("Talk Time (min)", "minutes"),
        ("First reply time in minutes", "minutes"),
        ("First response time (in hrs)", "hours"),
        ("Talk time (sec)", "seconds"),
        ("Handle seconds", "seconds"),
        ("Handle Time", None),
        ("Avg Hold Time (hh:mm:ss)", None),
        ("Calls", None),
        ("Items", None),
        ("Handle s", None),
        ("Agent (name)", None),
    ],
)
def test_unit_from_header(header: str, unit: str | None) -> None:
    assert unit_from_header(header) == unit


def test_a_header_naming_its_unit_matches_the_usual_name() -> None:
    assert header_without_unit("Handle Time (ms)") == "Handle Time"
    assert header_without_unit("First reply time in minutes") == "First reply time"
    assert header_without_unit("Agent (name)") == "Agent (name)"
    aliases = {"agent": ("agent",), "handle": ("handle time",), "talk": ("talk time",)}
    columns = map_columns(["Agent", "Handle Time (ms)", "Talk Time [s]"], aliases, required=[])
    assert columns == {"agent": 0, "handle": 1, "talk": 2}


def test_fixed_offsets_and_zone_names_agree() -> None:
    plus_one = timezone(timedelta(hours=1))
    assert parse_datetime("2026-12-05T08:16:12+01:00", ReadOptions(tz=plus_one)) == datetime(
        2026, 12, 5, 8, 16, 12, tzinfo=plus_one
    )
