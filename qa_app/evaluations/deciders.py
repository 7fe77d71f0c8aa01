"""Who may decide a dispute: the people told when an agent raises one.

One function, so that a change of who decides (dispute routing) changes this one place; it
applies the rule the dispute page itself applies (permissions.can_resolve).
"""

from __future__ import annotations

import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.evaluations.models import Dispute
from qa_app.evaluations.permissions import can_resolve
from qa_app.extensions import db
from qa_app.teams.models import Team


def deciders_of(dispute: Dispute) -> list[User]:
    """The active users who may decide `dispute` now: the agent's team's supervisors and the
    managers, less anyone who scored the evaluation (can_resolve's rule)."""
    agent = dispute.evaluation.agent
    supervisors = (
        sa.select(User.id).join(User.supervised_teams).where(Team.id == agent.team_id)
        if agent.team_id is not None
        else sa.select(User.id).where(sa.false())
    )
    candidates = db.session.scalars(
        sa.select(User)
        .where(
            User.active.is_(True),
            sa.or_(User.role == Role.MANAGER, User.id.in_(supervisors)),
        )
        .order_by(User.id)
    )
    return [user for user in candidates if can_resolve(user, dispute)]
