"""The team dashboard's work panels — progress against the monthly target, the user's queue,
open disputes and overdue training items — each within the page's filters (period, team,
scorecard, channel) and the user's scope, like the agents table and the heat map above them.
One query per panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.evaluations.models import Assignment, Dispute, DisputeStatus, Evaluation
from qa_app.evaluations.permissions import visible_evaluations
from qa_app.evaluations.queue import AgentProgress, submitted_by_assignee
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.stats.filters import ReportFilters
from qa_app.teams.models import Team
from qa_app.training.models import ItemStatus, TrainingPlan, TrainingPlanItem
from qa_app.training.permissions import visible_plans
from qa_app.training.plans import WORKING


def progress_month(filters: ReportFilters) -> tuple[date, date]:
    """The days the progress panel counts: the calendar month in which the period ends, up
    to its end (this month so far by default)."""
    return filters.end.replace(day=1), filters.end


def progress_in(filters: ReportFilters) -> list[AgentProgress]:
    """Each active agent of the filters' teams with scored evaluations of the filters'
    scorecard and channel in `progress_month`, against their team's monthly target."""
    first, last = progress_month(filters)
    month = filters.with_period(first, last)
    done = (
        sa.select(Evaluation.agent_id, sa.func.count(Evaluation.id).label("done"))
        .where(*month.evaluation_conditions())
        .group_by(Evaluation.agent_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            User.id,
            User.display_name,
            Team.name,
            sa.func.coalesce(done.c.done, 0),
            Team.evaluations_per_agent_month,
        )
        .join(Team, Team.id == User.team_id)
        .outerjoin(done, done.c.agent_id == User.id)
        .where(User.id.in_(filters.agent_ids()), User.active.is_(True))
        .order_by(Team.name, User.display_name, User.id)
    )
    return [AgentProgress(*row) for row in rows]


def queue_count_in(user: User, filters: ReportFilters) -> int:
    """The user's assignments not yet submitted whose interaction lies in the filters: its
    agent among theirs, its channel, the scorecard assigned, the day it took place."""
    begin, finish = filters.bounds()
    conditions = [
        Assignment.evaluator_id == user.id,
        ~submitted_by_assignee(),
        Interaction.agent_id.in_(filters.agent_ids()),
        Interaction.occurred_at >= begin,
        Interaction.occurred_at < finish,
    ]
    if filters.scorecard_id is not None:
        conditions.append(Assignment.scorecard_id == filters.scorecard_id)
    if filters.channel is not None:
        conditions.append(Interaction.channel == filters.channel)
    count = db.session.scalar(
        sa.select(sa.func.count(Assignment.id))
        .join(Interaction, Interaction.id == Assignment.interaction_id)
        .where(*conditions)
    )
    return count or 0


def open_disputes_in(user: User, filters: ReportFilters, limit: int = 20) -> list[Dispute]:
    """Open disputes about the filters' evaluations that `user` may see, oldest first."""
    visible = visible_evaluations(user).with_only_columns(Evaluation.id).order_by(None)
    selected = sa.select(Evaluation.id).where(*filters.evaluation_conditions())
    return list(
        db.session.scalars(
            sa.select(Dispute)
            .where(
                Dispute.status == DisputeStatus.OPEN,
                Dispute.evaluation_id.in_(visible),
                Dispute.evaluation_id.in_(selected),
            )
            .options(sa.orm.joinedload(Dispute.evaluation).joinedload(Evaluation.agent))
            .order_by(Dispute.raised_at, Dispute.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class OverdueItems:
    """Overdue training items within the filters; `applies` is False when a scorecard or
    channel is chosen, which no training plan has (the panel then says so, listing none)."""

    items: list[TrainingPlanItem]
    applies: bool


def overdue_items_in(
    user: User, filters: ReportFilters, today: date, limit: int = 20
) -> OverdueItems:
    """Unfinished items of issued plans `user` may see, of the filters' agents, due in the
    period and before today, oldest due first."""
    if filters.scorecard_id is not None or filters.channel is not None:
        return OverdueItems([], applies=False)
    plans = visible_plans(user).with_only_columns(TrainingPlan.id).order_by(None)
    items = db.session.scalars(
        sa.select(TrainingPlanItem)
        .join(TrainingPlan)
        .where(
            TrainingPlan.id.in_(plans),
            TrainingPlan.agent_id.in_(filters.agent_ids()),
            TrainingPlan.status.in_(WORKING),
            TrainingPlanItem.status != ItemStatus.DONE,
            TrainingPlanItem.due_on < today,
            TrainingPlanItem.due_on >= filters.start,
            TrainingPlanItem.due_on <= filters.end,
        )
        .options(
            sa.orm.contains_eager(TrainingPlanItem.plan).joinedload(TrainingPlan.agent),
            sa.orm.joinedload(TrainingPlanItem.module),
        )
        .order_by(TrainingPlanItem.due_on, TrainingPlanItem.id)
        .limit(limit)
    )
    return OverdueItems(list(items), applies=True)
