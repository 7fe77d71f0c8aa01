"""The words of each notification, written when it is read, in the reader's language.

A notification's parameters hold user ids (shown by the name the user has now, so an
anonymised agent is never named again), names of things, moments in ISO form (shown in the
reader's time zone and date format) and counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from flask import url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from qa_app.notifications.models import NotificationKind
from qa_app.scorecards.texts import localized

# Parameters that hold a user's id: shown as that user's current display name.
USER_PARAMS = ("agent_id", "coach_id", "evaluator_id", "resolver_id", "organiser_id")


def user_ids(params_list: Iterable[Mapping[str, Any]]) -> set[int]:
    """The ids of the people the notifications name (to look their names up at once)."""
    return {
        params[key]
        for params in params_list
        for key in USER_PARAMS
        if isinstance(params.get(key), int)
    }


def _day(value: Any) -> str:
    """A day ("2026-11-03") as it is, a moment as its day in the reader's time zone."""
    if not isinstance(value, str):
        return "–"
    try:
        if len(value) == len("2026-11-03"):
            return format_date(date.fromisoformat(value))
        return format_date(datetime.fromisoformat(value))
    except ValueError:
        return "–"


def text(kind: str, params: Mapping[str, Any], names: Mapping[int, str]) -> str:
    """The sentence for a notification of `kind` with `params`, in the current language."""

    def name(key: str) -> str:
        return names.get(params.get(key), _("a former user"))  # type: ignore[arg-type]  # None → default

    scorecard = localized(params.get("scorecard")) or "–"
    count = int(params.get("count") or 0)
    match kind:
        case NotificationKind.FEEDBACK_RELEASED:
            return _(
                "%(evaluator)s released feedback for you: %(scorecard)s, interaction of %(day)s.",
                evaluator=name("evaluator_id"),
                scorecard=scorecard,
                day=_day(params.get("occurred_at")),
            )
        case NotificationKind.DISPUTE_DECIDED if params.get("outcome") == "upheld":
            return _(
                "%(resolver)s upheld your dispute about %(scorecard)s: the evaluation was "
                "re-scored.",
                resolver=name("resolver_id"),
                scorecard=scorecard,
            )
        case NotificationKind.DISPUTE_DECIDED:
            return _(
                "%(resolver)s rejected your dispute about %(scorecard)s: the score stands.",
                resolver=name("resolver_id"),
                scorecard=scorecard,
            )
        case NotificationKind.PLAN_ISSUED:
            return ngettext(
                "%(coach)s issued your training plan with %(num)d item.",
                "%(coach)s issued your training plan with %(num)d items.",
                count,
                coach=name("coach_id"),
            )
        case NotificationKind.COACHING_RECORDED:
            return _(
                "%(coach)s recorded your coaching session of %(day)s.",
                coach=name("coach_id"),
                day=_day(params.get("held_on")),
            )
        case NotificationKind.DISPUTE_RAISED:
            return _(
                "%(agent)s disputes the %(scorecard)s evaluation of their interaction of "
                "%(day)s; you may decide it.",
                agent=name("agent_id"),
                scorecard=scorecard,
                day=_day(params.get("occurred_at")),
            )
        case NotificationKind.PLAN_ACKNOWLEDGED:
            return _("%(agent)s acknowledged their training plan.", agent=name("agent_id"))
        case NotificationKind.ITEMS_OVERDUE:
            return ngettext(
                "%(num)d training plan item of your agents is overdue.",
                "%(num)d training plan items of your agents are overdue.",
                count,
            )
        case NotificationKind.ASSIGNMENTS_DUE:
            return ngettext(
                "%(num)d assigned interaction is waiting for you to score it.",
                "%(num)d assigned interactions are waiting for you to score them.",
                count,
            )
        case NotificationKind.CALIBRATION_INVITED if params.get("due_on"):
            return ngettext(
                "%(organiser)s invited you to the calibration session “%(title)s”: score "
                "%(num)d interaction by %(day)s.",
                "%(organiser)s invited you to the calibration session “%(title)s”: score "
                "%(num)d interactions by %(day)s.",
                count,
                organiser=name("organiser_id"),
                title=str(params.get("title") or "–"),
                day=_day(params.get("due_on")),
            )
        case NotificationKind.CALIBRATION_INVITED:
            return ngettext(
                "%(organiser)s invited you to the calibration session “%(title)s”: score "
                "%(num)d interaction.",
                "%(organiser)s invited you to the calibration session “%(title)s”: score "
                "%(num)d interactions.",
                count,
                organiser=name("organiser_id"),
                title=str(params.get("title") or "–"),
            )
        case NotificationKind.CALIBRATION_CLOSED:
            return _(
                "The calibration session “%(title)s” is closed: everyone's answers and the "
                "results are ready.",
                title=str(params.get("title") or "–"),
            )
        case NotificationKind.CALIBRATION_DUE:
            return ngettext(
                "%(num)d calibration session is due by tomorrow or overdue, and waits for "
                "your scoring.",
                "%(num)d calibration sessions are due by tomorrow or overdue, and wait for "
                "your scoring.",
                count,
            )
    return NotificationKind(kind).label


def link(endpoint: str | None, args: Mapping[str, Any], *, external: bool = False) -> str | None:
    """The address a notification leads to (None without one, or when the page is gone)."""
    if not endpoint:
        return None
    try:
        return url_for(endpoint, _external=external, **args)
    except BuildError:
        return None
