"""The part of the centre a user may see: all teams for admins and managers, the supervised
teams for supervisors, their own team (and only themselves) for agents.

Scope follows the agent's current team: when an agent moves, their former supervisors lose
them at once. The one thing kept is reading the evaluations a supervisor scored
(`evaluations.permissions.visible_evaluations`); every change needs `can_score` now."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from qa_app.auth.models import CENTRE_WIDE_ROLES, EVALUATOR_ROLES, Role, User
from qa_app.extensions import db
from qa_app.teams.models import Team, team_supervisor


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


def can_score(user: User, agent_id: int) -> bool:
    """A supervisor or manager may score an agent in their scope, never themselves."""
    return user.role in EVALUATOR_ROLES and user.id != agent_id and can_see_agent(user, agent_id)


# What an import answers for an agent it cannot use: no such person, another team's agent
# (active or not), or someone who is not an agent: all the same, so that an import's answer
# tells nothing about people out of the importer's sight. The look-up itself is
# `teams.identities.match_agents`.
UNKNOWN_AGENT = _l("unknown agent (none of your agents has this id, e-mail or name)")
