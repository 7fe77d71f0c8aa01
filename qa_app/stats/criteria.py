"""Criterion averages over the filtered evaluations, summed in SQL: mean r over each
criterion's non-N/A answers (DESIGN.md "Scoring math"), with its n, per team or overall."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.evaluations.models import Answer, Evaluation
from qa_app.extensions import db
from qa_app.stats.filters import ReportFilters
from qa_app.teams.models import Team


@dataclass(frozen=True)
class CriteriaRow:
    """A row of the Criteria sheet (a team, or all teams): mean r and n per criterion key."""

    label: str
    means: Mapping[str, float]
    counts: Mapping[str, int]


def _criterion_means(filters: ReportFilters, *group: sa.ColumnElement) -> sa.Result:
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
        row.means[key], row.counts[key] = float(mean), int(count)  # type: ignore[index]
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
    """Mean r and n per criterion key over all the filtered evaluations."""
    return {key: (float(mean), count) for key, mean, count in _criterion_means(filters)}
