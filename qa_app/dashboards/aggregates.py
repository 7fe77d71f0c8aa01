"""The Summary and Criteria figures, summed in SQL: one GROUP BY query each.

QA average = Σ score / n over the scored evaluations with a score (DESIGN.md: each
evaluation once, all-N/A ones left out); its interval comes from Σ score². A criterion's
average = mean r over its non-N/A answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.evaluations.models import Evaluation
from qa_app.extensions import db
from qa_app.stats.filters import ReportFilters
from qa_app.stats.models import AgentDailyStat
from qa_app.teams.models import Team


@dataclass(frozen=True)
class AgentTotals:
    """One agent's evaluation counts and score sums over the export."""

    agent_id: int
    name: str
    email: str
    team_id: int | None
    team: str | None
    evaluations: int
    scored: int  # evaluations with a score: the n of the QA average
    score_sum: float
    score_squares: float
    pass_n: int  # evaluations with a pass/fail (all-N/A ones have none)
    passed: int
    critical_failures: int


def agent_totals(filters: ReportFilters) -> list[AgentTotals]:
    """Every agent in the export's scope with evaluations in it or statistics in its period,
    by team and name."""
    totals = (
        sa.select(
            Evaluation.agent_id.label("agent_id"),
            sa.func.count(Evaluation.id).label("evaluations"),
            sa.func.count(Evaluation.score).label("scored"),
            sa.func.sum(Evaluation.score).label("score_sum"),
            sa.func.sum(Evaluation.score * Evaluation.score).label("score_squares"),
            sa.func.count(Evaluation.passed).label("pass_n"),
            sa.func.count().filter(Evaluation.passed.is_(True)).label("passed"),
            sa.func.count().filter(Evaluation.auto_failed.is_(True)).label("critical_failures"),
        )
        .where(*filters.evaluation_conditions())
        .group_by(Evaluation.agent_id)
        .subquery()
    )
    summed = [column for column in totals.c if column.name != "agent_id"]
    has_statistics = sa.exists().where(
        AgentDailyStat.agent_id == User.id,
        AgentDailyStat.day >= filters.start,
        AgentDailyStat.day <= filters.end,
        AgentDailyStat.channel == filters.kpi_channel,
    )
    rows = db.session.execute(
        sa.select(
            User.id.label("agent_id"),
            User.display_name.label("name"),
            User.email,
            User.team_id,
            Team.name.label("team"),
            *(sa.func.coalesce(column, 0).label(column.name) for column in summed),
        )
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(totals, totals.c.agent_id == User.id)
        .where(
            User.id.in_(filters.agent_ids()),
            sa.or_(totals.c.agent_id.is_not(None), has_statistics),
        )
        .order_by(Team.name.is_(None), Team.name, User.display_name, User.id)
    )
    return [AgentTotals(**row._asdict()) for row in rows]
