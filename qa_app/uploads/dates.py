"""Reading dates and times as phone and ticket systems write them, for every way in.

ISO (`2026-12-05`, `2026-12-05T08:16:12.000Z`, `2026/12/09`), German (`03.12.2026 14:05`,
always day first), RFC 2822 (`Wed, 23 Dec 2026 08:16:12`), 12-hour clocks (`2:05 PM`) and
slash dates (`11/3/26`, `12/11/2026`). A time written with `Z` or an offset is converted to
the centre's time zone; one written without is a local time there already.

A slash date is never guessed: `12/11/2026` is 12 November or 11 December. Its order is
decided for the whole column (`settle_day_first`): by an explicit option, else by the
column's own values (a first part above 12 means day first, a second part above 12 month
first, both in one column is refused), else the column is refused as ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qa_app.day_range import check_day
from qa_app.errors import RuleError

# Reasons told in the reader's language when shown (lazy: made at import, read later).
EMPTY = _l("empty")
NOT_A_DATE = _l("not a date (use YYYY-MM-DD or DD.MM.YYYY)")
NOT_A_DATETIME = _l("not a date and time (use YYYY-MM-DD hh:mm)")
NO_SUCH_DATE = _l("no such date")
NO_SUCH_TIME = _l("no such time of day")
UNDECIDED = _l(
    'a slash date whose order is not decided; choose the date order ("Date order" on the '
    "import page, --date-order day-first or month-first on the command line, date_order in "
    "the API)"
)
WRONG_WEEKDAY = _l("the weekday does not match the date")

# The date order as every way in names it ("" or absent: decided from the column's values).
DATE_ORDERS: dict[str, bool] = {"day-first": True, "month-first": False}

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# After the date: "T" or blanks, a time (seconds and fractions optional), AM/PM, a zone.
_CLOCK = (
    r"(?:(?:[Tt]|\s+)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?:\s*(?P<half>[AaPp])\.?[Mm]\.?)?"
    r"(?:\s*(?P<tz>[Zz]|UTC|GMT|UT|[+-]\d{2}(?::?\d{2})?))?)?"
)
_NUMERIC = re.compile(r"(?P<date>\d[\d./-]*\d)" + _CLOCK)
_RFC_2822 = re.compile(
    r"(?:(?P<wd>[A-Za-z]{3})[a-z]*,?\s+)?(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3,9})\.?\s+"
    r"(?P<y>\d{4})" + _CLOCK
)
_YEAR_FIRST = re.compile(r"(?P<y>\d{4})([-/])(?P<m>\d{1,2})\2(?P<d>\d{1,2})")
_DOTTED = re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})")
# Year last, order to be decided: 12/11/2026, 11/3/26, 12-11-2026.
_SLASHED = re.compile(r"(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})|"
                      r"(?P<a2>\d{1,2})-(?P<b2>\d{1,2})-(?P<y2>\d{4})")  # fmt: skip


class DateOrderError(RuleError, ValueError):
    """A column of slash dates whose order cannot be decided, or is mixed; `value` is an
    example from the column."""

    def __init__(self, reason: str, value: str) -> None:
        super().__init__(reason)
        self.reason, self.value = reason, value


def _slash_parts(text: str) -> tuple[int, int, int] | None:
    """(first part, second part, year) of a slash date (or date and time), else None."""
    when = _NUMERIC.fullmatch(text.strip())
    found = _SLASHED.fullmatch(when["date"]) if when else None
    if found is None:
        return None
    a, b, year = (
        (found["a"], found["b"], found["y"]) if found["a"] else found.group("a2", "b2", "y2")
    )
    return int(a), int(b), int(year) + (2000 if len(year) == 2 else 0)


class DayOrderEvidence:
    """What the slash dates of one column say about their order, value by value."""

    def __init__(self) -> None:
        self.day_first: str | None = None  # the first value only day first can read
        self.month_first: str | None = None
        self.ambiguous: str | None = None  # the first value both orders read differently
        self.seen = False  # any slash date at all

    def add(self, value: object) -> None:
        """Take one cell of the column into account."""
        if not isinstance(value, str) or "/" not in value and "-" not in value:
            return
        parts = _slash_parts(value)
        if parts is None:
            return
        a, b, _year = parts
        self.seen = True
        if a > 12 >= b:
            self.day_first = self.day_first or value.strip()
        elif b > 12 >= a:
            self.month_first = self.month_first or value.strip()
        elif a != b and a <= 12 and b <= 12:
            self.ambiguous = self.ambiguous or value.strip()

    def decide(self, day_first: bool | None) -> bool | None:
        """The column's order: `day_first` when given, else what its values settle; None
        when it has no slash dates. DateOrderError when they are mixed or ambiguous."""
        if day_first is not None:
            return day_first
        if self.day_first and self.month_first:
            reason = _(
                'the column has dates written day first ("%(day_first)s") and month first '
                '("%(month_first)s"); export the dates in one order',
                day_first=self.day_first,
                month_first=self.month_first,
            )
            raise DateOrderError(reason, self.month_first)
        if self.day_first or self.month_first:
            return bool(self.day_first)
        if self.ambiguous:
            a, b, year = _slash_parts(self.ambiguous) or (0, 0, 0)
            reason = _(
                '"%(value)s" is %(day_first)s read day first and %(month_first)s read month '
                "first, and no date in the column settles the order; choose the date order "
                '("Date order" on the import page, --date-order day-first or month-first on '
                "the command line, date_order in the API)",
                value=self.ambiguous,
                day_first=date(year, b, a).isoformat(),
                month_first=date(year, a, b).isoformat(),
            )
            raise DateOrderError(reason, self.ambiguous)
        return True if self.seen else None  # 05/05/2026 reads the same either way


def settle_day_first(values: Iterable[object], day_first: bool | None) -> bool | None:
    """The order of a column's slash dates (see `DayOrderEvidence.decide`)."""
    evidence = DayOrderEvidence()
    for value in values:
        evidence.add(value)
    return evidence.decide(day_first)


def _day(text: str, day_first: bool | None, reason: object) -> date:
    """The date part of a numeric date."""
    if (found := _YEAR_FIRST.fullmatch(text)) or (found := _DOTTED.fullmatch(text)):
        year, month, day = int(found["y"]), int(found["m"]), int(found["d"])
    elif parts := _slash_parts(text):
        a, b, year = parts
        if day_first is None and a != b:
            raise ValueError(UNDECIDED)
        day, month = (a, b) if day_first is not False else (b, a)
        if day_first is not None and (month > 12 or day > 31):
            raise ValueError(
                _("no such date read day first (the chosen date order)")
                if day_first
                else _("no such date read month first (the chosen date order)")
            )
    else:
        raise ValueError(reason)
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(NO_SUCH_DATE) from None


def read_when(value: object, *, day_first: bool | None, tz: tzinfo, reason: object) -> datetime:
    """A datetime from a workbook's date cell or from text: naive when no zone is written (a
    local time), else aware and converted to `tz`. ValueError says why not."""
    if isinstance(value, datetime):
        return value.astimezone(tz) if value.tzinfo is not None else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, time):
        raise ValueError(_("a time of day without a date"))
    if value is None or isinstance(value, str) and not value.strip():
        raise ValueError(EMPTY)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel serial number (46082) in a cell not formatted as a date: too easy to misread.
        raise ValueError(_("a number, not a date (format the column as a date in Excel)"))
    if not isinstance(value, str):
        raise ValueError(reason)
    text = value.strip()
    if when := _NUMERIC.fullmatch(text):
        day = _day(when["date"], day_first, reason)
    elif when := _RFC_2822.fullmatch(text):
        month = _MONTHS.get(when["mon"].lower())
        if month is None:
            raise ValueError(reason)
        try:
            day = date(int(when["y"]), month, int(when["d"]))
        except ValueError:
            raise ValueError(NO_SUCH_DATE) from None
        weekday = (when["wd"] or "").lower()
        if weekday and weekday not in _WEEKDAYS:
            raise ValueError(reason)
        if weekday and _WEEKDAYS.index(weekday) != day.weekday():
            raise ValueError(WRONG_WEEKDAY)
    else:
        raise ValueError(reason)
    moment = datetime(day.year, day.month, day.day)
    if when["h"] is not None:
        moment = datetime.combine(day, _time_of_day(when))
    if when["tz"]:
        moment = moment.replace(tzinfo=_zone(when["tz"])).astimezone(tz)
    return moment


def _time_of_day(when: re.Match[str]) -> time:
    hour, minute = int(when["h"]), int(when["mi"])
    if when["half"]:  # a 12-hour clock: 12 AM is midnight, 12 PM noon
        if not 1 <= hour <= 12:
            raise ValueError(NO_SUCH_TIME)
        hour = hour % 12 + (12 if when["half"] in "Pp" else 0)
    micro = int((when["f"] or "0")[:6].ljust(6, "0"))
    try:
        return time(hour, minute, int(when["s"] or 0), micro)
    except ValueError:
        raise ValueError(NO_SUCH_TIME) from None


def _zone(text: str) -> tzinfo:
    """The fixed zone of "Z", "GMT", "+01:00", "+0100" or "-05"."""
    if text.upper() in ("Z", "UTC", "GMT", "UT"):
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(NO_SUCH_TIME)
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


def read_date(value: object, *, day_first: bool | None, tz: tzinfo) -> date:
    """The local day of a date (or date and time) in `tz`, within the days the app accepts:
    an interval starting 2026-12-04T23:00:00Z is 5 December in Berlin."""
    return check_day(read_when(value, day_first=day_first, tz=tz, reason=NOT_A_DATE).date())


def read_datetime(value: object, *, day_first: bool | None, tz: tzinfo) -> datetime:
    """`read_when` for a date and time; its local day within the days the app accepts."""
    moment = read_when(value, day_first=day_first, tz=tz, reason=NOT_A_DATETIME)
    check_day(moment.date())
    return moment
