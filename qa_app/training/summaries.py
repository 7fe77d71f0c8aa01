"""Training on the home pages: overdue items for coaches, the current plan for agents."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.training.models import ItemStatus, TrainingPlan, TrainingPlanItem
from qa_app.training.permissions import visible_plans
from qa_app.training.plans import WORKING


def overdue_items(user: User, today: date, limit: int = 20) -> list[TrainingPlanItem]:
    """Unfinished items past their due date in the issued plans `user` may see, oldest
    due first (one query)."""
    plans = visible_plans(user).with_only_columns(TrainingPlan.id).order_by(None)
    return list(
        db.session.scalars(
            sa.select(TrainingPlanItem)
            .join(TrainingPlan)
            .where(
                TrainingPlan.id.in_(plans),
                TrainingPlan.status.in_(WORKING),
                TrainingPlanItem.status != ItemStatus.DONE,
                TrainingPlanItem.due_on < today,
            )
            .options(
                sa.orm.contains_eager(TrainingPlanItem.plan).joinedload(TrainingPlan.agent),
                sa.orm.joinedload(TrainingPlanItem.module),
            )
            .order_by(TrainingPlanItem.due_on, TrainingPlanItem.id)
            .limit(limit)
        )
    )


def items_due_soon(agent: User, today: date, days: int) -> list[TrainingPlanItem]:
    """The agent's unfinished items of issued plans that are due within `days` days of
    `today`, or overdue; soonest first."""
    return list(
        db.session.scalars(
            sa.select(TrainingPlanItem)
            .join(TrainingPlan)
            .where(
                TrainingPlan.agent_id == agent.id,
                TrainingPlan.status.in_(WORKING),
                TrainingPlanItem.status != ItemStatus.DONE,
                TrainingPlanItem.due_on <= today + timedelta(days=days),
            )
            .options(sa.orm.joinedload(TrainingPlanItem.module))
            .order_by(TrainingPlanItem.due_on, TrainingPlanItem.id)
        )
    )


def current_plan(agent: User) -> TrainingPlan | None:
    """The agent's issued plan they are working through, if any."""
    return db.session.scalar(
        sa.select(TrainingPlan)
        .where(TrainingPlan.agent_id == agent.id, TrainingPlan.status.in_(WORKING))
        .options(sa.orm.selectinload(TrainingPlan.items).joinedload(TrainingPlanItem.module))
    )
