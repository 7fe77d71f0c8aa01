"""Template globals: navigation by role, role names, the current language."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qa_app.auth.models import Role

# (endpoint, label, roles that see it). Later features add their pages here.
NAVIGATION = [
    ("main.index", _l("Home"), frozenset(Role)),
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


def url_with_page(page: int) -> str:
    """The current page's URL with its query string kept and `page` replaced."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint or "main.index", **(request.view_args or {}), **args)


def register_template_helpers(app: Flask) -> None:
    """Expose the helpers to every template."""
    app.jinja_env.globals.update(
        nav_items=nav_items,
        role_label=role_label,
        url_with_page=url_with_page,
        current_locale=lambda: str(get_locale()),
    )
