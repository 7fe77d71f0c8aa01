"""A supervisor's work queue and progress against the monthly target, in two queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.evaluations.models import SCORED, Assignment, Evaluation
from qa_app.extensions import db
from qa_app.i18n import local_midnight
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard
from qa_app.teams.models import Team
from qa_app.teams.scope import agents_visible_to


@dataclass(frozen=True)
class QueueItem:
    """An assigned interaction not yet submitted, with the draft if one was started."""

    assignment: Assignment
    interaction: Interaction
    agent_name: str
    scorecard: Scorecard
    evaluation_id: int | None


def submitted_by_assignee() -> sa.Exists:
    """True for an assignment whose evaluator has submitted an evaluation of it (done)."""
    return sa.exists().where(
        Evaluation.interaction_id == Assignment.interaction_id,
        Evaluation.evaluator_id == Assignment.evaluator_id,
        Evaluation.status.in_(SCORED),
    )


def open_assignments_by_agent(agent_ids: list[int]) -> dict[int, int]:
    """How many open assignments (drawn, not yet scored by their evaluator) each agent has."""
    if not agent_ids:
        return {}
    rows = db.session.execute(
        sa.select(Interaction.agent_id, sa.func.count(Assignment.id))
        .join(Interaction, Interaction.id == Assignment.interaction_id)
        .where(Interaction.agent_id.in_(agent_ids), ~submitted_by_assignee())
        .group_by(Interaction.agent_id)
    )
    return {agent_id: int(count) for agent_id, count in rows}


def open_assignments(user: User) -> list[QueueItem]:
    """The user's assignments without a submitted evaluation, oldest interaction first."""
    own = sa.orm.aliased(Evaluation)
    rows = db.session.execute(
        sa.select(Assignment, Interaction, User.display_name, Scorecard, own.id)
        .join(Interaction, Interaction.id == Assignment.interaction_id)
        .join(User, User.id == Interaction.agent_id)
        .join(Scorecard, Scorecard.id == Assignment.scorecard_id)
        .outerjoin(
            own,
            sa.and_(
                own.interaction_id == Assignment.interaction_id,
                own.evaluator_id == Assignment.evaluator_id,
            ),
        )
        .where(Assignment.evaluator_id == user.id, ~submitted_by_assignee())
        .order_by(Interaction.occurred_at, Assignment.id)
    )
    return [QueueItem(*row) for row in rows]


@dataclass(frozen=True)
class AgentProgress:
    """Scored evaluations of an agent this month against the team's target."""

    agent_id: int
    agent_name: str
    team_name: str
    done: int
    target: int


def month_start(today: date, tz: tzinfo = UTC) -> datetime:
    """Midnight in the centre's time zone on the first day of `today`'s month."""
    return local_midnight(today.replace(day=1), tz)


def monthly_progress(user: User, today: date, tz: tzinfo = UTC) -> list[AgentProgress]:
    """For each agent the user may see: evaluations submitted this month (in the centre's
    time zone), and the target."""
    visible = agents_visible_to(user).where(User.active.is_(True))
    agents = visible.subquery()
    # Counted for the visible agents only: a supervisor's page must not count the centre.
    visible_ids = visible.with_only_columns(User.id).order_by(None)
    done = (
        sa.select(Evaluation.agent_id, sa.func.count(Evaluation.id).label("done"))
        .where(
            Evaluation.status.in_(SCORED),
            Evaluation.submitted_at >= month_start(today, tz),
            Evaluation.agent_id.in_(visible_ids),
        )
        .group_by(Evaluation.agent_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            agents.c.id,
            agents.c.display_name,
            Team.name,
            sa.func.coalesce(done.c.done, 0),
            Team.evaluations_per_agent_month,
        )
        .join(Team, Team.id == agents.c.team_id)
        .outerjoin(done, done.c.agent_id == agents.c.id)
        .order_by(Team.name, agents.c.display_name)
    )
    return [AgentProgress(*row) for row in rows]
