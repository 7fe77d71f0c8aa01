"""The Summary and Criteria figures, summed in SQL: one GROUP BY query each.

QA average = Σ score / n over the scored evaluations with a score (DESIGN.md: each
evaluation once, all-N/A ones left out); its interval comes from Σ score². A criterion's
average = mean r over its non-N/A answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.dashboards.filters import ReportFilters
from qa_app.evaluations.models import Answer, Evaluation
from qa_app.exports.rows import CriteriaRow
from qa_app.extensions import db
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


def _criterion_means(filters: ReportFilters, *group: sa.SQLColumnExpression) -> sa.Result:
    return db.session.execute(
        sa.select(
            *group,
            Answer.criterion_key,
            sa.func.avg(Answer.normalised),
            sa.func.count(Answer.normalised),
        )
        .join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .join(User, User.id == Evaluation.agent_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(*filters.evaluation_conditions(), Answer.normalised.is_not(None))
        .group_by(*group, Answer.criterion_key)
    )


def criteria_matrix(filters: ReportFilters, *, no_team: str, all_teams: str) -> list[CriteriaRow]:
    """Mean r and n per team and criterion, by team name, then a row over all teams."""
    by_team: dict[str | None, CriteriaRow] = {}
    for team, key, mean, count in _criterion_means(filters, Team.name):
        row = by_team.setdefault(team, CriteriaRow(team or no_team, {}, {}))
        row.means[key], row.counts[key] = float(mean), int(count)  # type: ignore[index]  # our dicts
    rows = [by_team[team] for team in sorted(by_team, key=lambda name: (name is None, name or ""))]
    if rows:
        overall = criterion_means(filters)
        rows.append(
            CriteriaRow(
                all_teams,
                {key: mean for key, (mean, _) in overall.items()},
                {key: count for key, (_, count) in overall.items()},
            )
        )
    return rows


def criterion_means(filters: ReportFilters) -> dict[str, tuple[float, int]]:
    """Mean r and n per criterion key over all the export's evaluations."""
    return {key: (float(mean), count) for key, mean, count in _criterion_means(filters)}
