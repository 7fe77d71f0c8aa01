"""Template globals: navigation by role, role names, the current language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request, url_for
from flask_babel import format_timedelta, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qa_app.auth.models import Role
from qa_app.channels import channel_name
from qa_app.database import utcnow

# (endpoint, label, roles that see it). Later features add their pages here.
NAVIGATION = [
    ("main.index", _l("Home"), frozenset(Role)),
    ("dashboards.team", _l("Dashboard"), frozenset({Role.SUPERVISOR})),
    ("dashboards.centre", _l("Dashboard"), frozenset({Role.ADMIN, Role.MANAGER})),
    ("evaluations.queue", _l("My queue"), frozenset({Role.MANAGER, Role.SUPERVISOR})),
    ("evaluations.index", _l("Evaluations"), frozenset({Role.MANAGER, Role.SUPERVISOR})),
    ("interactions.index", _l("Interactions"), frozenset({Role.MANAGER, Role.SUPERVISOR})),
    ("disputes.index", _l("Disputes"), frozenset({Role.MANAGER, Role.SUPERVISOR})),
    ("training.index", _l("Training"), frozenset({Role.MANAGER, Role.SUPERVISOR})),
    ("coaching.index", _l("Coaching"), frozenset({Role.MANAGER, Role.SUPERVISOR})),
    ("stats.import", _l("Statistics"), frozenset({Role.ADMIN, Role.MANAGER})),
    ("exports.index", _l("Exports"), frozenset({Role.ADMIN, Role.MANAGER, Role.SUPERVISOR})),
    ("feedback.inbox", _l("My feedback"), frozenset({Role.AGENT})),
    ("stats.me", _l("My performance"), frozenset({Role.AGENT})),
    ("training.index", _l("My training"), frozenset({Role.AGENT})),
    ("coaching.index", _l("My coaching"), frozenset({Role.AGENT})),
    ("scorecards.index", _l("Scorecards"), frozenset({Role.ADMIN, Role.MANAGER, Role.SUPERVISOR})),
    ("admin.users", _l("Users"), frozenset({Role.ADMIN})),
    ("admin.teams", _l("Teams"), frozenset({Role.ADMIN})),
]

ROLE_NAMES = {
    Role.ADMIN: _l("Administrator"),
    Role.MANAGER: _l("Manager"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.AGENT: _l("Agent"),
}


def nav_items() -> list[tuple[str, str]]:
    """The navigation entries the signed-in user may open."""
    if not current_user.is_authenticated:
        return []
    return [
        (endpoint, str(label))
        for endpoint, label, roles in NAVIGATION
        if current_user.role in roles
    ]


def role_label(role: str) -> str:
    """A role's name in the user's language."""
    return str(ROLE_NAMES.get(Role(role), role))


STATUS_NAMES = {
    "draft": _l("draft"),
    "submitted": _l("submitted"),
    "released": _l("new feedback"),
    "acknowledged": _l("acknowledged"),
    "disputed": _l("disputed"),
    "resolved": _l("dispute decided"),
    "open": _l("open"),
    "upheld": _l("upheld"),
    "rejected": _l("rejected"),
    "issued": _l("issued"),
    "closed": _l("closed"),
    "assigned": _l("to do"),
    "in_progress": _l("in progress"),
    "done": _l("done"),
}


def status_label(status: str) -> str:
    """An evaluation, dispute, training plan or item status in the user's language."""
    return str(STATUS_NAMES.get(status, status))


def duration(seconds: int | None) -> str:
    """Seconds as m:ss or h:mm:ss; "–" when unknown."""
    if seconds is None:
        return "–"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def age(moment: datetime) -> str:
    """How long ago, in the user's language ("3 days")."""
    return format_timedelta(utcnow() - moment, granularity="hour", threshold=1.1)


def url_with_page(page: int) -> str:
    """The current page's URL with its query string kept and `page` replaced."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint or "main.index", **(request.view_args or {}), **args)


def register_template_helpers(app: Flask) -> None:
    """Expose the helpers to every template."""
    from qa_app.stats.display import kpi_label, kpi_value

    app.jinja_env.globals.update(
        nav_items=nav_items,
        role_label=role_label,
        url_with_page=url_with_page,
        status_label=status_label,
        channel_name=channel_name,
        duration=duration,
        age=age,
        kpi_label=kpi_label,
        kpi_value=kpi_value,
        current_locale=lambda: str(get_locale()),
    )
