"""Managing teams: their supervisors, agents and settings, every change audited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from qa_app.audit.services import changed_fields, record_event
from qa_app.auth.models import Role, User
from qa_app.errors import RuleError
from qa_app.extensions import db
from qa_app.teams.models import Team


class TeamRuleError(RuleError, ValueError):
    """A team change would break a rule (message is user-facing)."""


# Who may be named to decide a team's disputes: people who score, never agents or admins.
REVIEWER_ROLES = (Role.SUPERVISOR, Role.MANAGER)


def team_snapshot(team: Team) -> dict[str, Any]:
    """The audited fields of a team."""
    return {
        "name": team.name,
        "release_mode": team.release_mode,
        "evaluations_per_agent_month": team.evaluations_per_agent_month,
        "supervisor_ids": sorted(user.id for user in team.supervisors),
        "dispute_reviewer_ids": sorted(user.id for user in team.dispute_reviewers),
        "agent_ids": sorted(user.id for user in team.agents),
    }


def _users_with_role(user_ids: list[int], role: Role) -> list[User]:
    if not user_ids:
        return []
    users = list(
        db.session.scalars(sa.select(User).where(User.id.in_(user_ids), User.role == role))
    )
    if len(users) != len(set(user_ids)):
        raise TeamRuleError(
            _l("Every selected person must be an existing %(role)s.", role=role.value)
        )
    return users


def _reviewers(user_ids: list[int]) -> list[User]:
    if not user_ids:
        return []
    users = list(
        db.session.scalars(
            sa.select(User).where(
                User.id.in_(user_ids), User.role.in_(REVIEWER_ROLES), User.active.is_(True)
            )
        )
    )
    if len(users) != len(set(user_ids)):
        raise TeamRuleError(_l("Every dispute reviewer must be an active supervisor or manager."))
    return users


def save_team(
    team: Team | None,
    name: str,
    supervisor_ids: list[int],
    agent_ids: list[int],
    *,
    release_mode: str | None = None,
    evaluations_per_agent_month: int | None = None,
    dispute_reviewer_ids: list[int] | None = None,
) -> Team:
    """Create or update a team with exactly these supervisors and agents.

    Agents chosen here leave their previous team; agents left out leave this team. The two
    settings and the dispute reviewers stay as they are when not given.
    """
    if not supervisor_ids:
        raise TeamRuleError(_l("A team needs at least one supervisor."))
    supervisors = _users_with_role(supervisor_ids, Role.SUPERVISOR)
    agents = _users_with_role(agent_ids, Role.AGENT)
    reviewers = None if dispute_reviewer_ids is None else _reviewers(dispute_reviewer_ids)
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        before: dict[str, Any] = {}
    else:
        before = team_snapshot(team)
        team.name = name
    if release_mode is not None:
        team.release_mode = release_mode
    if evaluations_per_agent_month is not None:
        team.evaluations_per_agent_month = evaluations_per_agent_month
    team.supervisors = supervisors
    if reviewers is not None:
        team.dispute_reviewers = reviewers
    # The form offers active agents only; deactivated members stay where they were.
    kept = [agent for agent in team.agents if not agent.active and agent not in agents]
    old_teams = {agent.id: agent.team_id for agent in agents + team.agents}
    team.agents = agents + kept
    db.session.flush()
    for agent_id, old_team_id in old_teams.items():
        new_team_id = team.id if agent_id in {a.id for a in team.agents} else None
        if old_team_id != new_team_id:
            # Each person's own history shows the move, not only the team's.
            record_event(
                "user.updated",
                "user",
                agent_id,
                before={"team_id": old_team_id},
                after={"team_id": new_team_id},
            )
    after = team_snapshot(team)
    if not before:
        record_event("team.created", "team", team.id, after=after)
    else:
        old, new = changed_fields(before, after)
        if new:
            record_event("team.updated", "team", team.id, before=old, after=new)
    return team
