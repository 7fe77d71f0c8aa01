"""What several API views share: filters by period, and the not-found answer."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import get_timezone
from flask_babel import gettext as _

from qa_app.api.errors import ApiError
from qa_app.stats.services import period_bounds

# Path ids beyond the database's INTEGER cannot exist; the converter answers 404 for them.
ID = "int(max=2147483647)"


def not_found(what: str) -> ApiError:
    """404: the record (`what`: "agent" or "evaluation") does not exist, or it is outside
    the caller's scope (no probing)."""
    if what == "agent":
        message = _("There is no agent with this id, or it is not yours to see.")
    else:
        message = _("There is no evaluation with this id, or it is not yours to see.")
    return ApiError(404, "not_found", message)


def within_period(
    column: sa.SQLColumnExpression, start: date | None, end: date | None
) -> list[sa.ColumnElement[bool]]:
    """Conditions keeping `column` (a time) within the days `start`..`end` (both included,
    either open) of the centre's time zone."""
    tz = get_timezone()
    conditions = []
    if start is not None:
        conditions.append(column >= period_bounds(start, start, tz)[0])
    if end is not None:
        conditions.append(column < period_bounds(end, end, tz)[1])
    return conditions
