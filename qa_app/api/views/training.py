"""`GET /training-plans`."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from qa_app.api import representations
from qa_app.api.auth import token_required
from qa_app.api.blueprint import bp
from qa_app.api.pagination import paginate
from qa_app.api.params import agent_param, choice_param, team_agents, team_param
from qa_app.auth.models import Role
from qa_app.training.models import PlanStatus, TrainingPlan, TrainingPlanItem
from qa_app.training.permissions import visible_plans

# Who opens training plans on the web (training.index) opens them here; admins do not coach.
COACHED = (Role.MANAGER, Role.SUPERVISOR, Role.AGENT)


@bp.get("/training-plans")
@token_required(*COACHED)
def training_plans() -> ResponseReturnValue:
    """Training plans the caller may see (an agent: their own issued ones) with their items,
    by id; filters: team, agent, status."""
    query = visible_plans(current_user).options(
        joinedload(TrainingPlan.agent),
        selectinload(TrainingPlan.items).joinedload(TrainingPlanItem.module),
    )
    if (team_id := team_param(current_user)) is not None:
        query = query.where(TrainingPlan.agent_id.in_(team_agents(team_id)))
    if (agent_id := agent_param(current_user)) is not None:
        query = query.where(TrainingPlan.agent_id == agent_id)
    if (status := choice_param("status", PlanStatus)) is not None:
        query = query.where(TrainingPlan.status == status)
    return paginate(query, TrainingPlan.id).body(representations.training_plan)
