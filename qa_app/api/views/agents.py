"""`GET /agents` and `GET /agents/{id}/performance` (the agent page's figures)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.api import representations
from qa_app.api.auth import token_required
from qa_app.api.blueprint import bp
from qa_app.api.pagination import paginate
from qa_app.api.params import invalid, period_params, team_param
from qa_app.api.views.common import ID, not_found
from qa_app.auth.models import User
from qa_app.evaluations.permissions import countable_statuses
from qa_app.stats.agent_performance import agent_performance as performance_of
from qa_app.stats.filters import ReportFilters, default_start
from qa_app.teams.scope import agents_visible_to, can_see_agent


@bp.get("/agents")
@token_required()
def agents() -> ResponseReturnValue:
    """Agents the caller may see (an agent: only themselves), by id, filtered by team."""
    query = (
        agents_visible_to(current_user)
        .options(sa.orm.joinedload(User.team), sa.orm.selectinload(User.identities))
        .order_by(None)
    )
    team_id = team_param(current_user)
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return paginate(query, User.id).body(representations.agent)


@bp.get(f"/agents/<{ID}:agent_id>/performance")
@token_required()
def agent_performance(agent_id: int) -> ResponseReturnValue:
    """An agent's QA score with n and interval, KPIs, KPI index and composite over a period
    (default: the agent page's last 90 days), exactly as the agent page computes them."""
    if not can_see_agent(current_user, agent_id):
        raise not_found("agent")
    tz = get_timezone()
    start, end = period_params()
    end = end or datetime.now(tz).date()
    start = start or default_start(end)
    if start > end:
        raise invalid("from", start.isoformat(), _("after 'to'"))
    # An agent's own token counts only the evaluations released to them, as their page does.
    filters = ReportFilters(
        start, end, tz, agent_id=agent_id, statuses=countable_statuses(current_user)
    )
    figures = performance_of(filters).public_figures()
    return {"agent_id": agent_id, "from": start.isoformat(), "to": end.isoformat(), **figures}
