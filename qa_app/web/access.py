"""Who may open what: the one authorisation decorator and the team-scoping helpers.

Every view carries exactly one of `role_required(...)` or `public`; a test walks the URL map
and fails when a view has neither. Per-record checks use the scoping helpers below.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from qa_app.auth.models import Role, User
from qa_app.extensions import db, login_manager
from qa_app.teams.models import Team, team_supervisor

View = TypeVar("View", bound=Callable[..., Any])

ALL_ROLES = frozenset(Role)
# Roles that see every team in the centre.
CENTRE_WIDE_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def role_required(*roles: Role) -> Callable[[View], View]:
    """Allow signed-in users with one of `roles` (any role when none is given).

    Anonymous users are sent to sign in; signed-in users without the role get 403.
    """
    allowed = frozenset(roles) or ALL_ROLES

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]  # for route checks
        return cast(View, wrapped)

    return decorator


def public(view: View) -> View:
    """Mark a view as open to anonymous visitors (sign-in page, health check)."""
    view.allowed_roles = None  # type: ignore[attr-defined]  # for route checks
    return view


def teams_visible_to(user: User) -> sa.Select[Team]:
    """Teams whose agents `user` may see: all for admins and managers, supervised ones for
    supervisors, their own team for agents."""
    query = sa.select(Team).order_by(Team.name)
    if user.role in CENTRE_WIDE_ROLES:
        return query
    if user.role == Role.SUPERVISOR:
        return query.join(team_supervisor, team_supervisor.c.team_id == Team.id).where(
            team_supervisor.c.user_id == user.id
        )
    return query.where(Team.id == user.team_id)


def agents_visible_to(user: User) -> sa.Select[User]:
    """Agents `user` may see: the whole centre, the supervised teams' agents, or only oneself."""
    query = sa.select(User).where(User.role == Role.AGENT).order_by(User.display_name)
    if user.role in CENTRE_WIDE_ROLES:
        return query
    if user.role == Role.SUPERVISOR:
        supervised = sa.select(team_supervisor.c.team_id).where(
            team_supervisor.c.user_id == user.id
        )
        return query.where(User.team_id.in_(supervised))
    return query.where(User.id == user.id)


def can_see_agent(user: User, agent_id: int) -> bool:
    """True when `agent_id` is an agent within `user`'s scope."""
    visible = agents_visible_to(user).where(User.id == agent_id).with_only_columns(User.id)
    return db.session.scalar(visible) is not None


def supervises_team(user: User, team_id: int) -> bool:
    """True when `user` is one of the team's supervisors."""
    found = sa.select(team_supervisor.c.team_id).where(
        team_supervisor.c.team_id == team_id, team_supervisor.c.user_id == user.id
    )
    return db.session.scalar(found) is not None
