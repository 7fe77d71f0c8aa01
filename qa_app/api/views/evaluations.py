"""`GET /evaluations` and `GET /evaluations/{id}` (with answers)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from qa_app.api import representations
from qa_app.api.auth import token_required
from qa_app.api.blueprint import bp
from qa_app.api.pagination import paginate
from qa_app.api.params import agent_param, choice_param, period_params, team_agents, team_param
from qa_app.api.views.common import ID, not_found, within_period
from qa_app.evaluations.models import Evaluation, EvaluationStatus
from qa_app.evaluations.permissions import visible_evaluations
from qa_app.extensions import db
from qa_app.scorecards.models import ScorecardVersion

SUMMARY = (
    joinedload(Evaluation.agent),
    joinedload(Evaluation.evaluator),
    joinedload(Evaluation.version).joinedload(ScorecardVersion.scorecard),
)


@bp.get("/evaluations")
@token_required()
def evaluations() -> ResponseReturnValue:
    """Evaluations the caller may open (an agent: their own released ones), by id; filters:
    period (when submitted), team, agent, status."""
    query = visible_evaluations(current_user).options(*SUMMARY)
    start, end = period_params()
    query = query.where(*within_period(Evaluation.submitted_at, start, end))
    if (team_id := team_param(current_user)) is not None:
        query = query.where(Evaluation.agent_id.in_(team_agents(team_id)))
    if (agent_id := agent_param(current_user)) is not None:
        query = query.where(Evaluation.agent_id == agent_id)
    if (status := choice_param("status", EvaluationStatus)) is not None:
        query = query.where(Evaluation.status == status)
    return paginate(query, Evaluation.id).body(representations.evaluation)


@bp.get(f"/evaluations/<{ID}:evaluation_id>")
@token_required()
def evaluation(evaluation_id: int) -> ResponseReturnValue:
    """One evaluation with its texts, interaction and answers; 404 outside the scope."""
    record = db.session.scalar(
        visible_evaluations(current_user)
        .where(Evaluation.id == evaluation_id)
        .options(
            *SUMMARY,
            joinedload(Evaluation.interaction),
            selectinload(Evaluation.answers),
            selectinload(Evaluation.version, ScorecardVersion.criteria),
        )
    )
    if record is None:
        raise not_found("evaluation")
    return representations.evaluation_detail(record)
