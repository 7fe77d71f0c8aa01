"""Who may see and change which training plan and coaching session.

Coaches (supervisors for their teams' agents, managers for everyone) own plans and sessions;
agents see their own, and only once issued; nobody coaches themselves.
"""

from __future__ import annotations

import sqlalchemy as sa

from qa_app.auth.models import CENTRE_WIDE_ROLES, Role, User
from qa_app.teams.scope import agents_visible_to, can_see_agent
from qa_app.training.models import VISIBLE_TO_AGENT, TrainingPlan

COACH_ROLES = (Role.SUPERVISOR, Role.MANAGER)


def scoped_to(user: User, agent_column: sa.ColumnElement[int]) -> list[sa.ColumnElement[bool]]:
    """Conditions on `agent_column` for the agents whose plans and sessions `user` may see."""
    if user.role in CENTRE_WIDE_ROLES:
        return []
    if user.role == Role.AGENT:
        return [agent_column == user.id]
    agents = agents_visible_to(user).with_only_columns(User.id).order_by(None)
    return [agent_column.in_(agents)]


def visible_plans(user: User) -> sa.Select[tuple[TrainingPlan]]:
    """Plans `user` may open: their teams' (coaches), or an agent's own issued ones."""
    query = sa.select(TrainingPlan).where(*scoped_to(user, TrainingPlan.agent_id))
    if user.role == Role.AGENT:
        query = query.where(TrainingPlan.status.in_(VISIBLE_TO_AGENT))
    return query


def can_coach(user: User, agent_id: int) -> bool:
    """A supervisor (their teams) or a manager may coach an agent, never themselves."""
    return user.role in COACH_ROLES and user.id != agent_id and can_see_agent(user, agent_id)
