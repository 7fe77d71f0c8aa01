"""The one range of days the app accepts, for every way in: statistics days, interaction
times, report periods, the web forms, the API and the command line.

Outside it nothing real happens (a contact centre's records start long after 2000 and are
not planned a year ahead), and a day such as 0001-01-01 or 9999-12-31 once stored broke
every page and period that touched it: a period's bounds are a day beyond its ends.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _

FIRST_DAY = date(2000, 1, 1)
DAYS_AHEAD = 366  # "today + one year", leap years included


def last_day() -> date:
    """The latest day accepted: a year after today (UTC; a day either way does not matter)."""
    return datetime.now(UTC).date() + timedelta(days=DAYS_AHEAD)


def outside_reason() -> str:
    """Why a day outside the range is refused, in the words every way in uses."""
    return _(
        "outside the days this app accepts (%(first)s to %(last)s)",
        first=FIRST_DAY.isoformat(),
        last=last_day().isoformat(),
    )


def is_within(day: date) -> bool:
    """Whether `day` (a date, or a datetime's date) is in the range."""
    if isinstance(day, datetime):
        day = day.date()
    return FIRST_DAY <= day <= last_day()


def check_day(day: date) -> date:
    """`day`, or ValueError with `outside_reason()` when it is outside the range."""
    if not is_within(day):
        raise ValueError(outside_reason())
    return day


def clamp_day(day: date) -> date:
    """The nearest day in the range (a last defence for periods built in code)."""
    return min(max(day, FIRST_DAY), last_day())
