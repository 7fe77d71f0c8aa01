"""Finding the plan a request names: missing or out of sight is 404, not yours to coach 403."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.training.models import TrainingPlan, TrainingPlanItem
from qa_app.training.permissions import COACH_ROLES, can_coach, visible_plans

PLAN_READERS = (*COACH_ROLES, Role.AGENT)


def plan_or_404(plan_id: int) -> TrainingPlan:
    """A plan the user may see (an agent: their own, once issued)."""
    return db.first_or_404(
        visible_plans(current_user)
        .where(TrainingPlan.id == plan_id)
        .options(
            sa.orm.selectinload(TrainingPlan.items).joinedload(TrainingPlanItem.module),
            sa.orm.joinedload(TrainingPlan.agent),
        )
    )


def coached_plan_or_404(plan_id: int) -> TrainingPlan:
    """A plan the user coaches: 404 when out of sight, 403 for the agent themselves."""
    plan = plan_or_404(plan_id)
    if not can_coach(current_user, plan.agent_id):
        abort(403)
    return plan


def item_or_404(plan: TrainingPlan, item_id: int) -> TrainingPlanItem:
    """One of the plan's items."""
    for item in plan.items:
        if item.id == item_id:
            return item
    abort(404)
