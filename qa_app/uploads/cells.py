"""Parsing one cell of an uploaded table: numbers, durations, dates, percentages, yes/no.

One set of parsers for every way in: the file imports, the JSON API and the command line.
Each parser returns a value or raises ValueError with a reason a user can act on; the caller
adds the row and the column (see qa_app.uploads.reader.Problem). How dates and plain duration
numbers are read is given by `ReadOptions` (a vendor preset or a saved profile sets them);
dates are read by qa_app.uploads.dates, units named by qa_app.uploads.units.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qa_app.day_range import check_day
from qa_app.uploads.dates import NOT_A_DATE as NOT_A_DATE  # the date parsers' messages
from qa_app.uploads.dates import NOT_A_DATETIME as NOT_A_DATETIME
from qa_app.uploads.dates import read_date, read_datetime
from qa_app.uploads.units import SECONDS_PER, DurationUnit

# Reasons told in the reader's language when shown (lazy: made at import, read later).
EMPTY = _l("empty")
NOT_A_NUMBER = _l("not a number")
NOT_WHOLE = _l("not a whole number")
AMBIGUOUS = _l("ambiguous number (thousands separator or decimal comma?); write it without one")
NOT_A_DURATION = _l("not a duration (use seconds or hh:mm:ss)")
NOT_A_BOOL = _l("not yes or no (use yes/no, true/false or 1/0)")
TOO_LARGE = _l("too large (no figure of a contact centre has more than 15 digits)")
# Decimal arithmetic keeps 28 digits: larger figures would fail when rounded, and the
# database's INTEGER holds 10 digits anyway.
MAX_MAGNITUDE = Decimal(10) ** 15


@dataclass(frozen=True)
class ReadOptions:
    """How to read a source's dates and durations (a preset or profile sets them; the
    defaults are what every file was read with before, where that is safe).

    `day_first`: the order of slash dates (None: decided per column by its values, or the
    file refused; see qa_app.uploads.dates). `tz`: the centre's zone, into which a time
    written with `Z` or an offset is converted. `duration_unit`: what a plain number in a
    duration column means (None: seconds); a unit the column's header names wins.
    """

    day_first: bool | None = None
    tz: tzinfo = UTC
    duration_unit: DurationUnit | None = None


DEFAULT_OPTIONS = ReadOptions()


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
_AMOUNT = r"\d{1,12}(?:[.,]\d{1,9})?"
# ISO 8601: "PT5M12S", "PT1H", "P1DT2H", "PT0.5S".
_ISO_DURATION = re.compile(
    rf"P(?:(?P<D>{_AMOUNT})D)?(?:T(?:(?P<H>{_AMOUNT})H)?(?:(?P<M>{_AMOUNT})M)?"
    rf"(?:(?P<S>{_AMOUNT})S)?)?",
    re.IGNORECASE,
)
# Written with units: "5m 12s", "1h 2m", "312s", "2 min", "361798 ms", "1 h 02 min 03 s".
_UNIT_WORDS: dict[str, Decimal | int] = {
    "h": 3600, "hr": 3600, "hrs": 3600, "m": 60, "min": 60, "mins": 60, "s": 1, "sec": 1,
    "secs": 1, "ms": Decimal("0.001"),
}  # fmt: skip
_WITH_UNITS = re.compile(rf"(?:{_AMOUNT}\s*(?:hrs|hr|h|mins|min|ms|m|secs|sec|s)\s*)+", re.I)
_ONE_UNIT = re.compile(rf"({_AMOUNT})\s*(hrs|hr|h|mins|min|ms|m|secs|sec|s)", re.I)


def parse_duration_seconds(value: object, unit: DurationUnit | None = None) -> int:
    """Whole seconds >= 0 (rounded half up) of any duration `parse_duration` reads."""
    if isinstance(value, str):  # the common cases, "1:02:03" and "3723": no Decimal
        if unit in (None, "seconds") and value.isascii() and value.isdigit() and len(value) < 16:
            return int(value)
        if clock := _WHOLE_CLOCK.fullmatch(value):
            hours, minutes, seconds = clock.groups()
            return int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return int(parse_duration(value, unit).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_duration(value: object, unit: DurationUnit | None = None) -> Decimal:
    """Seconds >= 0, unrounded (an average such as an AHT of 312.6 s is multiplied first),
    from "hh:mm:ss", "mm:ss", "h:mm:ss.fff", ISO 8601 ("PT5M12S"), units written out ("5m
    12s", "1h 2m", "312s"), Excel times, or a plain number in `unit` (None: seconds;
    milliseconds, minutes, hours or fractions of a day). A value that says its own unit
    (a clock, "PT…", "…s") is read by it whatever `unit` is."""
    if isinstance(value, date):  # includes datetime
        raise ValueError(_("a date, not a duration"))
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, timedelta):
        seconds = Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / 10**6
    elif isinstance(value, time):
        whole = value.hour * 3600 + value.minute * 60 + value.second
        seconds = Decimal(whole) + Decimal(value.microsecond) / 10**6
    elif text is not None and (clock := _CLOCK.fullmatch(text)):
        negative, first, second, third, fraction = clock.groups()
        hours, minutes, secs = (first, second, third) if third else ("0", first, second)
        if int(secs) >= 60 or (third and int(minutes) >= 60):
            raise ValueError(_("minutes and seconds must be below 60"))
        seconds = Decimal(int(hours) * 3600 + int(minutes) * 60 + int(secs))
        seconds += Decimal(f"0.{fraction}") if fraction else 0
        seconds = -seconds if negative else seconds
    elif text and text[0] in "Pp" and (iso := _ISO_DURATION.fullmatch(text)):
        parts = iso.groupdict()
        if not any(parts.values()) or text.upper().endswith("T"):
            raise ValueError(NOT_A_DURATION)
        factors = {"D": 86400, "H": 3600, "M": 60, "S": 1}
        seconds = sum(
            (Decimal(amount.replace(",", ".")) * factors[name]
             for name, amount in parts.items() if amount),
            Decimal(0),
        )  # fmt: skip
    elif text and text[-1].isalpha() and _WITH_UNITS.fullmatch(text):
        seconds = sum(
            (Decimal(amount.replace(",", ".")) * _UNIT_WORDS[word.lower()]
             for amount, word in _ONE_UNIT.findall(text)),
            Decimal(0),
        )  # fmt: skip
    else:
        try:
            seconds = _to_decimal(value, integer=False)
        except ValueError as exc:
            raise ValueError(NOT_A_DURATION if str(exc) == NOT_A_NUMBER else str(exc)) from None
        if unit is not None and unit != "seconds":
            seconds *= SECONDS_PER[unit]
    if seconds < 0:
        raise ValueError(_("negative duration"))
    _bounded(seconds)
    return seconds


def parse_date(value: object, options: ReadOptions | None = None) -> date:
    """A date: "2026-03-01", "2026/03/01", "01.03.2026", a slash date in the order
    `options.day_first` decides (see qa_app.uploads.dates), an RFC 2822 date, or an Excel
    date; a date and time with a zone gives its day in `options.tz`. Within the days the app
    accepts (qa_app.day_range)."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:  # the common case: no pattern search, no datetime
            return check_day(date.fromisoformat(value))
        except ValueError:
            pass  # "2026-02-30" or a day out of range: read_date says why
    options = options or DEFAULT_OPTIONS
    return read_date(value, day_first=options.day_first, tz=options.tz)


def parse_datetime(value: object, options: ReadOptions | None = None) -> datetime:
    """A date and time: naive when written without a zone (the caller applies the centre's
    zone), else aware in `options.tz`; a date alone means midnight. Its day is within the
    days the app accepts (qa_app.day_range)."""
    options = options or DEFAULT_OPTIONS
    return read_datetime(value, day_first=options.day_first, tz=options.tz)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_percentage(value: object) -> Decimal:
    """0..100 from "85", "85%", "85,5 %"; values <= 1 are taken literally (0.855 is 0.855%)."""
    if isinstance(value, str):
        value = value.strip().removesuffix("%")
    number = _to_decimal(value, integer=False)
    if number < 0:
        raise ValueError(_("negative percentage"))
    if number > 100:
        raise ValueError(_("more than 100%"))
    return number


# Also the centre's languages: German, Polish, Finnish and Norwegian.
_TRUE = frozenset({"true", "yes", "y", "1", "ja", "j", "wahr", "on", "tak", "kyllä", "k"})
_FALSE = frozenset({"false", "no", "n", "0", "nein", "falsch", "off", "nie", "ei", "nei"})


def parse_bool(value: object) -> bool:
    """Yes/no from a checkbox, 1/0, or yes/no, true/false (also ja/nein, wahr/falsch,
    tak/nie, kyllä/ei, ja/nei)."""
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
