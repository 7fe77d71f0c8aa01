"""Teams as their pages list them: supervisors' names and active agents."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.teams.models import Team, team_supervisor
from qa_app.teams.scope import teams_visible_to


@dataclass(frozen=True)
class TeamOverview:
    """One row of a team table: the team, its supervisors' names and its active agents."""

    team_id: int
    name: str
    supervisor_names: list[str]
    agent_count: int


def team_overviews(user: User) -> list[TeamOverview]:
    """The teams `user` may see, each with supervisors and active agent count (3 queries)."""
    teams = db.session.execute(teams_visible_to(user).with_only_columns(Team.id, Team.name)).all()
    team_ids = [team.id for team in teams]
    counts = dict(
        db.session.execute(
            sa.select(User.team_id, sa.func.count(User.id))
            .where(User.team_id.in_(team_ids), User.role == Role.AGENT, User.active.is_(True))
            .group_by(User.team_id)
        ).all()
    )
    supervisors: dict[int, list[str]] = {team_id: [] for team_id in team_ids}
    rows = db.session.execute(
        sa.select(team_supervisor.c.team_id, User.display_name)
        .join(User, User.id == team_supervisor.c.user_id)
        .where(team_supervisor.c.team_id.in_(team_ids))
        .order_by(User.display_name)
    )
    for team_id, name in rows:
        supervisors[team_id].append(name)
    return [
        TeamOverview(team.id, team.name, supervisors[team.id], counts.get(team.id, 0))
        for team in teams
    ]


def active_agent_count(team_id: int) -> int:
    """How many active agents a team has."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(User.id)).where(
                User.team_id == team_id, User.role == Role.AGENT, User.active.is_(True)
            )
        )
        or 0
    )


def visible_agents_by_team(user: User) -> list[tuple[Team, list[User]]]:
    """Each team `user` may see with its active agents, in two queries."""
    teams = list(db.session.scalars(teams_visible_to(user)))
    agents = db.session.scalars(
        sa.select(User)
        .where(
            User.team_id.in_([team.id for team in teams]),
            User.role == Role.AGENT,
            User.active.is_(True),
        )
        .order_by(User.display_name)
    )
    by_team: dict[int, list[User]] = {team.id: [] for team in teams}
    for agent in agents:
        by_team[agent.team_id].append(agent)  # type: ignore[index]
    return [(team, by_team[team.id]) for team in teams]
