"""Parsing one cell of an uploaded table: numbers, durations, dates, percentages, yes/no.

Each parser returns a value or raises ValueError with a reason a user can act on; the caller
adds the row and the column (see qa_app.uploads.reader.Problem).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from qa_app.day_range import check_day

EMPTY = "empty"
NOT_A_NUMBER = "not a number"
NOT_WHOLE = "not a whole number"
AMBIGUOUS = "ambiguous number (thousands separator or decimal comma?); write it without one"
NOT_A_DURATION = "not a duration (use seconds or hh:mm:ss)"
NOT_A_DATE = "not a date (use YYYY-MM-DD or DD.MM.YYYY)"
NOT_A_DATETIME = "not a date and time (use YYYY-MM-DD hh:mm)"
OFFSET = "has a time-zone offset; export local times without one"
NOT_A_BOOL = "not yes or no (use yes/no, true/false or 1/0)"
TOO_LARGE = "too large (no figure of a contact centre has more than 15 digits)"
# Decimal arithmetic keeps 28 digits: larger figures would fail when rounded, and the
# database's INTEGER holds 10 digits anyway.
MAX_MAGNITUDE = Decimal(10) ** 15


def is_blank(value: object) -> bool:
    """True for an empty cell: None or whitespace-only text."""
    return value is None or (isinstance(value, str) and not value.strip())


_SINGLE = re.compile(r"(\d+)([.,])(\d+)")
_PLAIN = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_GROUPED = re.compile(r"\d{1,3}(?P<g>[,. '\u00a0\u202f])\d{3}(?:(?P=g)\d{3})*(?:(?P<d>[.,])\d+)?")


def _to_decimal(value: object, *, integer: bool) -> Decimal:
    """A cell as Decimal; with `integer`, "1.234" and "1,234" are read as thousands."""
    if is_blank(value):
        raise ValueError(EMPTY)
    if isinstance(value, int) and not isinstance(value, bool):
        return _bounded(Decimal(value))
    if isinstance(value, float) and math.isfinite(value):
        return _bounded(Decimal(repr(value)))
    if not isinstance(value, str):
        raise ValueError(NOT_A_NUMBER)
    text = value.strip().replace("\u2212", "-")
    sign = "-" if text[0] == "-" else ""
    body = text[1:].strip() if text[0] in "+-" else text
    single, grouped = _SINGLE.fullmatch(body), _GROUPED.fullmatch(body)
    if single:
        whole, separator, fraction = single.groups()
        thousands = len(fraction) == 3 and len(whole) <= 3 and whole[0] != "0"
        if thousands and integer:
            body = whole + fraction
        elif thousands and separator == ",":
            raise ValueError(AMBIGUOUS)  # "1,234": English 1234 or German 1.234
        else:
            body = f"{whole}.{fraction}"  # a lone dot is a decimal point; "12,5" is 12.5
    elif grouped and grouped["g"] != grouped["d"]:
        body = body.replace(grouped["g"], "").replace(",", ".")
    elif not _PLAIN.fullmatch(body):
        raise ValueError(NOT_A_NUMBER)
    return _bounded(Decimal(sign + body))


def _bounded(number: Decimal) -> Decimal:
    """`number`, unless it is too large to be a real count, duration or share."""
    if abs(number) >= MAX_MAGNITUDE:
        raise ValueError(TOO_LARGE)
    return number


def parse_int(value: object) -> int:
    """A whole number; grouping like "1,234" or "1.234" allowed, "5.0" accepted as 5."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 16:
        return int(value)  # the common case, a plain count: no Decimal, no patterns
    try:
        number = _to_decimal(value, integer=True)
    except ValueError as exc:
        raise ValueError(NOT_WHOLE if str(exc) == NOT_A_NUMBER else str(exc)) from None
    if number != number.to_integral_value():
        raise ValueError(NOT_WHOLE)
    return int(number)


def parse_decimal(value: object) -> Decimal:
    """A number: "1,234.5", "1.234,5", "12,5" (decimal comma); lone "1,234" is ambiguous."""
    return _to_decimal(value, integer=False)


_CLOCK = re.compile(r"(-?)(\d{1,15}):(\d{2})(?::(\d{2}))?(?:[.,](\d+))?")
# "h:mm:ss" with at most 9 digits of hours: always below MAX_MAGNITUDE seconds.
_WHOLE_CLOCK = re.compile(r"(\d{1,9}):([0-5]\d):([0-5]\d)")


def parse_duration_seconds(value: object) -> int:
    """Whole seconds >= 0 from seconds, "hh:mm:ss", "mm:ss", "h:mm:ss.fff" or Excel times."""
    if isinstance(value, str):  # the common cases, "1:02:03" and "3723": no Decimal
        if value.isascii() and value.isdigit() and len(value) < 16:
            return int(value)
        if clock := _WHOLE_CLOCK.fullmatch(value):
            hours, minutes, seconds = clock.groups()
            return int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return int(parse_duration(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_duration(value: object) -> Decimal:
    """Seconds >= 0, unrounded (an average such as an AHT of 312.6 s is multiplied first)."""
    if isinstance(value, date):  # includes datetime
        raise ValueError("a date, not a duration")
    if isinstance(value, timedelta):
        seconds = Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / 10**6
    elif isinstance(value, time):
        whole = value.hour * 3600 + value.minute * 60 + value.second
        seconds = Decimal(whole) + Decimal(value.microsecond) / 10**6
    elif isinstance(value, str) and (clock := _CLOCK.fullmatch(value.strip())):
        negative, first, second, third, fraction = clock.groups()
        hours, minutes, secs = (first, second, third) if third else ("0", first, second)
        if int(secs) >= 60 or (third and int(minutes) >= 60):
            raise ValueError("minutes and seconds must be below 60")
        seconds = Decimal(int(hours) * 3600 + int(minutes) * 60 + int(secs))
        seconds += Decimal(f"0.{fraction}") if fraction else 0
        seconds = -seconds if negative else seconds
    else:
        try:
            seconds = _to_decimal(value, integer=False)
        except ValueError as exc:
            raise ValueError(NOT_A_DURATION if str(exc) == NOT_A_NUMBER else str(exc)) from None
    if seconds < 0:
        raise ValueError("negative duration")
    _bounded(seconds)
    return seconds


_DATES = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"),  # day first, as in Europe
)
_WHEN = re.compile(
    r"(?P<date>[\d./-]+)(?:(?:T|\s+)(?P<h>\d{1,2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?(?P<tz>\s*(?:Z|[+-]\d{2}:?\d{2}))?)?"
)


def _when(value: object, reason: str) -> datetime:
    """A naive datetime from an Excel date cell or from date text with an optional time."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError(OFFSET)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, time):
        raise ValueError("a time of day without a date")
    if is_blank(value):
        raise ValueError(EMPTY)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel serial number (46082) in a cell not formatted as a date: too easy to misread.
        raise ValueError("a number, not a date (format the column as a date in Excel)")
    when = _WHEN.fullmatch(value.strip()) if isinstance(value, str) else None
    day = None
    if when is not None:
        day = next((m for pattern in _DATES if (m := pattern.fullmatch(when["date"]))), None)
    if when is None or day is None:
        raise ValueError(reason)
    if when["tz"]:
        raise ValueError(OFFSET)  # the caller applies the site's zone; an offset would clash
    try:
        result = datetime(int(day["y"]), int(day["m"]), int(day["d"]))
    except ValueError:
        raise ValueError("no such date") from None
    if when["h"] is None:
        return result
    micro = int((when["f"] or "0")[:6].ljust(6, "0"))
    try:
        return datetime.combine(
            result, time(int(when["h"]), int(when["mi"]), int(when["s"] or 0), micro)
        )
    except ValueError:
        raise ValueError("no such time of day") from None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: object) -> date:
    """A date: "2026-03-01", "01.03.2026", "01/03/2026" (day first) or an Excel date, within
    the days the app accepts (qa_app.day_range)."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:  # the common case: no pattern search, no datetime
            return check_day(date.fromisoformat(value))
        except ValueError:
            pass  # "2026-02-30" or a day out of range: _when says why
    return check_day(_when(value, NOT_A_DATE).date())


def parse_datetime(value: object) -> datetime:
    """A naive datetime (the caller applies the time zone); a date alone means midnight. Its
    day is within the days the app accepts (qa_app.day_range)."""
    moment = _when(value, NOT_A_DATETIME)
    check_day(moment.date())
    return moment


def parse_percentage(value: object) -> Decimal:
    """0..100 from "85", "85%", "85,5 %"; values <= 1 are taken literally (0.855 is 0.855%)."""
    if isinstance(value, str):
        value = value.strip().removesuffix("%")
    number = _to_decimal(value, integer=False)
    if number < 0:
        raise ValueError("negative percentage")
    if number > 100:
        raise ValueError("more than 100%")
    return number


_TRUE = frozenset({"true", "yes", "y", "1", "ja", "j", "wahr", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "nein", "falsch", "off"})


def parse_bool(value: object) -> bool:
    """Yes/no from a checkbox, 1/0, or yes/no, true/false (also German ja/nein, wahr/falsch)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if is_blank(value):
        raise ValueError(EMPTY)
    text = str(value).strip().casefold()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(NOT_A_BOOL)
