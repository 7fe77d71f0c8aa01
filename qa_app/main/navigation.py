"""The navigation bar: the pages each role reaches from every page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qa_app.auth.models import Role

# (endpoint, label, roles that see it).
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
    ("calibration.index", _l("Calibration"), frozenset({Role.MANAGER, Role.SUPERVISOR})),
    ("stats.import", _l("Statistics"), frozenset({Role.ADMIN, Role.MANAGER})),
    ("exports.index", _l("Exports"), frozenset({Role.ADMIN, Role.MANAGER, Role.SUPERVISOR})),
    ("feedback.inbox", _l("My feedback"), frozenset({Role.AGENT})),
    ("stats.me", _l("My performance"), frozenset({Role.AGENT})),
    ("training.index", _l("My training"), frozenset({Role.AGENT})),
    ("coaching.index", _l("My coaching"), frozenset({Role.AGENT})),
    ("scorecards.index", _l("Scorecards"), frozenset({Role.ADMIN, Role.MANAGER, Role.SUPERVISOR})),
    ("admin.users", _l("Users"), frozenset({Role.ADMIN})),
    ("teams.index", _l("Teams"), frozenset({Role.ADMIN})),
    ("audit_trail.index", _l("Audit trail"), frozenset({Role.ADMIN, Role.MANAGER})),
    ("maintenance.index", _l("Maintenance"), frozenset({Role.ADMIN})),
]


def nav_items() -> list[tuple[str, str]]:
    """The navigation entries the signed-in user may open."""
    if not current_user.is_authenticated:
        return []
    return [
        (endpoint, str(label))
        for endpoint, label, roles in NAVIGATION
        if current_user.role in roles
    ]
