"""Reading the API's query parameters: periods, teams, agents, statuses and flags.

A bad value is a 400 `invalid_parameter` naming the parameter and the reason. A team or an
agent outside the caller's scope is "unknown", exactly like one that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _

from qa_app.api.errors import ApiError, Detail
from qa_app.auth.models import User
from qa_app.day_range import is_within, outside_reason
from qa_app.extensions import db
from qa_app.teams.models import Team
from qa_app.teams.scope import can_see_agent, teams_visible_to
from qa_app.uploads.dates import DATE_ORDERS

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
LARGEST_ID = 2_147_483_647  # the database's INTEGER
TRUE_WORDS, FALSE_WORDS = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


def invalid(name: str, value: str | None, reason: str) -> ApiError:
    """The 400 answer for one bad query parameter."""
    return ApiError(
        400,
        "invalid_parameter",
        _("The query parameter '%(name)s' is not valid: %(reason)s.", name=name, reason=reason),
        [Detail(None, name, value, reason)],
    )


def text_param(name: str) -> str | None:
    """A parameter's text, None when absent; given but empty is an error, and so is a NUL
    character (no stored text has one, and PostgreSQL refuses to compare with one)."""
    value = request.args.get(name)
    if value is not None and not value.strip():
        raise invalid(name, value, _("empty"))
    if value is not None and "\x00" in value:
        raise invalid(name, value.replace("\x00", "\\x00"), _("contains a NUL character"))
    return value


def date_param(name: str) -> date | None:
    """A YYYY-MM-DD date within the days the app accepts, or None when absent."""
    value = text_param(name)
    if value is None:
        return None
    if not ISO_DATE.fullmatch(value):
        raise invalid(name, value, _("not a date (use YYYY-MM-DD)"))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise invalid(name, value, _("no such date")) from None
    if not is_within(day):
        raise invalid(name, value, outside_reason())
    return day


def period_params() -> tuple[date | None, date | None]:
    """`from` and `to` (both optional, both inclusive); `from` after `to` is an error."""
    start, end = date_param("from"), date_param("to")
    if start and end and start > end:
        raise invalid("from", start.isoformat(), _("after 'to'"))
    return start, end


def id_param(name: str) -> int | None:
    """A positive whole number, or None when absent."""
    value = text_param(name)
    if value is None:
        return None
    if not WHOLE_NUMBER.fullmatch(value) or not 1 <= int(value) <= LARGEST_ID:
        raise invalid(
            name, value, _("a whole number from 1 to %(largest)d expected", largest=LARGEST_ID)
        )
    return int(value)


def choice_param(name: str, choices: Iterable[str]) -> str | None:
    """One of `choices`, or None when absent."""
    allowed = sorted(choices)
    value = text_param(name)
    if value is not None and value not in allowed:
        raise invalid(name, value, _("one of %(choices)s expected", choices=", ".join(allowed)))
    return value


def flag_param(name: str) -> bool:
    """true/false (also 1/0, yes/no); absent is false."""
    value = text_param(name)
    if value is None:
        return False
    if value.lower() not in TRUE_WORDS | FALSE_WORDS:
        raise invalid(name, value, _("true or false expected"))
    return value.lower() in TRUE_WORDS


def date_order_param() -> bool | None:
    """`date_order`: how slash dates such as 12/11/2026 are read, as `ReadOptions.day_first`
    (absent: decided by the batch's own dates, or the batch refused as ambiguous)."""
    value = choice_param("date_order", DATE_ORDERS)
    return None if value is None else DATE_ORDERS[value]


def only_params(*names: str) -> None:
    """400 for any query parameter other than `names`: a write never ignores one (a
    misspelt dry_run would store what was meant to be checked)."""
    for name in request.args:
        if name not in names:
            allowed = ", ".join(names)
            reason = _("unknown parameter (known: %(known)s)", known=allowed)
            raise invalid(name, request.args.get(name), reason)


def team_param(user: User) -> int | None:
    """`team`: the id of a team whose agents the caller may see."""
    team_id = id_param("team")
    if team_id is None:
        return None
    visible = teams_visible_to(user).where(Team.id == team_id).with_only_columns(Team.id)
    if db.session.scalar(visible.order_by(None)) is None:
        raise invalid("team", str(team_id), _("unknown team"))
    return team_id


def agent_param(user: User) -> int | None:
    """`agent`: the id of an agent the caller may see."""
    agent_id = id_param("agent")
    if agent_id is not None and not can_see_agent(user, agent_id):
        raise invalid("agent", str(agent_id), _("unknown agent"))
    return agent_id


def team_agents(team_id: int) -> sa.Select[int]:
    """The ids of a team's members, for `agent_id IN (…)` filters."""
    return sa.select(User.id).where(User.team_id == team_id)
