"""The web pages' numbers and days in the address: whole numbers the database can hold, days
within the app's range (qa_app.day_range).

A number larger than the database's INTEGER once reached the database and ended in a 500
(SQLite cannot bind a number over 2**63, PostgreSQL compares an int4 column with nothing over
2**31). Now a route's id is matched only up to LARGEST_ID (a larger one names nothing: 404),
and a query parameter that is not such a number, or not such a day, is a 400 page that says
which parameter and why.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NoReturn

from flask import abort, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map

from qa_app.day_range import FIRST_DAY, is_within, last_day
from qa_app.i18n import parse_day

LARGEST_ID = 2_147_483_647  # the database's INTEGER (PostgreSQL's int4)


class IdConverter(IntegerConverter):
    """`<int:…>` in a route: digits up to LARGEST_ID; a larger number matches no route (404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - Werkzeug's name
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def refuse_parameter(name: str, value: str, reason: str) -> NoReturn:
    """Answer 400 with a page naming the query parameter, its value and the reason."""
    message = _(
        'The address is not valid: "%(name)s=%(value)s" is %(reason)s.',
        name=name,
        value=value[:40],
        reason=reason,
    )
    abort(make_response(render_template("errors/error.html", code=400, message=message), 400))


def int_arg(name: str, default: int | None = None, *, maximum: int = LARGEST_ID) -> int | None:
    """The query parameter `name` as a whole number from 0 to `maximum`; `default` when it is
    absent or blank, a 400 page when it is anything else."""
    value = request.args.get(name, "").strip()
    if not value:
        return default
    digits = value.isascii() and value.isdigit() and len(value) <= len(str(maximum))
    if not digits or int(value) > maximum:  # no int() of a 10,000-digit value
        refuse_parameter(name, value, _("not a whole number from 0 to %(n)d", n=maximum))
    return int(value)


def date_arg(name: str) -> date | None:
    """The query parameter `name` as a day within the app's range, YYYY-MM-DD or as the
    page's language writes it (what its form sends); None when it is absent or blank, a 400
    page when it is anything else."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        day = parse_day(value)
    except ValueError:
        refuse_parameter(name, value, _("not a date (use YYYY-MM-DD)"))
    if not is_within(day):
        refuse_parameter(name, value, day_range_reason())
    return day


def day_range_reason() -> str:
    """Why a day outside the app's range is refused, translated."""
    return _(
        "outside the days this app accepts (%(first)s to %(last)s)",
        first=FIRST_DAY.isoformat(),
        last=last_day().isoformat(),
    )
