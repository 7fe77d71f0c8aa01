"""An agent's figures over a period (DESIGN.md "Combined performance"): QA average with its n
and 95% interval, pass rate, critical failures, KPIs against targets, KPI index, composite
and its flags.

Every surface takes them from here — the agent page, the agent's home page, the dashboards,
the API, `report agent`, the Summary sheet and the feedback workbook — so they cannot
disagree. One agent or many, the SQL is the same: one GROUP BY for the evaluations, one for
the KPIs, one for the teams' KPI totals where a surface compares with the team, and one for
the targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app

from qa_app.auth.models import User
from qa_app.evaluations.models import Evaluation
from qa_app.extensions import db
from qa_app.scorecards.models import ScorecardVersion
from qa_app.stats.filters import ReportFilters
from qa_app.stats.kpis import KPIS, KpiTotals, kpi_totals_by_agent, kpi_totals_by_team
from qa_app.stats.models import AgentDailyStat
from qa_app.stats.performance import (
    Composite,
    MeanWithInterval,
    Target,
    agent_composite,
    attainment,
    kpi_index,
    mean_with_interval_from_sums,
)
from qa_app.stats.services import targets_by_team
from qa_app.teams.models import Team


@dataclass(frozen=True)
class AgentPerformance:
    """One agent's figures over the filtered evaluations and period."""

    agent_id: int
    name: str
    email: str
    team_id: int | None
    team: str | None
    start: date
    end: date
    evaluations: int
    qa: MeanWithInterval
    pass_rate: float | None
    critical_failures: int
    totals: KpiTotals
    targets: dict[str, Target]
    attainments: dict[str, float | None]
    kpi_index: float | None
    # The composite (None below min_evaluations), its K and its flags: see agent_composite.
    composite_figures: Composite
    # The mean pass mark of the scored evaluations' scorecard versions; None without any.
    pass_mark: float | None
    min_evaluations: int
    # The team's KPI totals over its agents, where a surface compares with the team: empty
    # for an agent without a team; None where it was not asked for (the tables).
    team_totals: KpiTotals | None = None

    @property
    def composite(self) -> float | None:
        """(W_qa·QA + W_kpi·K)/(W_qa + W_kpi) with K capped at 1.0 per KPI (DESIGN.md)."""
        return self.composite_figures.value

    @property
    def composite_flags(self) -> tuple[str, ...]:
        """ "below_pass_mark" and/or "critical_failure", shown wherever the composite is."""
        return self.composite_figures.flags

    def public_figures(self) -> dict[str, float | int | list[str] | None]:
        """The figures of `report agent --format json` and the API's /performance (DESIGN.md
        "Public contract"; null for no data)."""
        return {
            "qa_score": self.qa.mean, "qa_n": self.qa.n,
            "qa_ci_low": self.qa.low, "qa_ci_high": self.qa.high,
            "aht_seconds": self.totals.aht_seconds,
            "contacts_per_hour": self.totals.contacts_per_hour,
            "csat_pct": self.totals.csat_pct, "nps": self.totals.nps,
            "fcr_pct": self.totals.fcr_pct,
            "kpi_index": self.kpi_index, "composite": self.composite,
            "composite_flags": list(self.composite_flags),
        }  # fmt: skip


def agent_performance(filters: ReportFilters) -> AgentPerformance:
    """The figures of the agent `filters.agent_id`, with the team's KPI totals beside them,
    also when the period holds nothing of theirs; LookupError outside the filters' agents."""
    if filters.agent_id is None:
        raise ValueError("agent_performance needs ReportFilters(agent_id=…)")
    found = _performance(filters, idle_agents=True, team_totals=True)
    if not found:
        raise LookupError(f"no agent {filters.agent_id} among the filters' agents")
    return found[0]


def performance_by_agent(
    filters: ReportFilters, *, team_totals: bool = False
) -> list[AgentPerformance]:
    """Every agent of the filters with evaluations or statistics in the period, by team and
    name (the dashboards' tables, the Summary sheet)."""
    return _performance(filters, idle_agents=False, team_totals=team_totals)


def qa_by_agent(filters: ReportFilters) -> dict[int, MeanWithInterval]:
    """Only the QA average of each agent with evaluations in the filters (one GROUP BY)."""
    sums = evaluation_sums(filters)
    rows = db.session.execute(
        sa.select(sums.c.agent_id, sums.c.scored, sums.c.score_sum, sums.c.score_squares)
    )
    return {
        agent_id: mean_with_interval_from_sums(scored, score_sum or 0.0, squares or 0.0)
        for agent_id, scored, score_sum, squares in rows
    }


def evaluation_sums(filters: ReportFilters) -> sa.Subquery:
    """Per agent: evaluations, and the n, Σ score and Σ score² of those with a score (DESIGN.md:
    each evaluation once, all-N/A ones left out), the Σ of their versions' pass marks,
    pass/fail counts and critical failures."""
    return (
        sa.select(
            Evaluation.agent_id.label("agent_id"),
            sa.func.count(Evaluation.id).label("evaluations"),
            sa.func.count(Evaluation.score).label("scored"),
            sa.func.sum(Evaluation.score).label("score_sum"),
            sa.func.sum(Evaluation.score * Evaluation.score).label("score_squares"),
            sa.func.sum(sa.case((Evaluation.score.is_not(None), ScorecardVersion.pass_mark))).label(
                "pass_mark_sum"
            ),
            sa.func.count(Evaluation.passed).label("pass_n"),
            sa.func.count().filter(Evaluation.passed.is_(True)).label("passed"),
            sa.func.count().filter(Evaluation.auto_failed.is_(True)).label("critical_failures"),
        )
        .join(ScorecardVersion, ScorecardVersion.id == Evaluation.scorecard_version_id)
        .where(*filters.evaluation_conditions())
        .group_by(Evaluation.agent_id)
        .subquery()
    )


def _agent_rows(filters: ReportFilters, *, idle_agents: bool) -> list[sa.Row]:
    """The agents of the filters with their evaluation sums, by team and name; without
    `idle_agents`, only those with evaluations or statistics in the period."""
    sums = evaluation_sums(filters)
    summed = [column for column in sums.c if column.name != "agent_id"]
    conditions: list[sa.ColumnElement[bool]] = [User.id.in_(filters.agent_ids())]
    if not idle_agents:
        has_statistics = sa.exists().where(
            AgentDailyStat.agent_id == User.id,
            AgentDailyStat.day >= filters.start,
            AgentDailyStat.day <= filters.end,
            AgentDailyStat.channel == filters.kpi_channel,
        )
        conditions.append(sa.or_(sums.c.agent_id.is_not(None), has_statistics))
    return list(
        db.session.execute(
            sa.select(
                User.id.label("agent_id"),
                User.display_name.label("name"),
                User.email,
                User.team_id,
                Team.name.label("team"),
                *(sa.func.coalesce(column, 0).label(column.name) for column in summed),
            )
            .outerjoin(Team, Team.id == User.team_id)
            .outerjoin(sums, sums.c.agent_id == User.id)
            .where(*conditions)
            .order_by(Team.name.is_(None), Team.name, User.display_name, User.id)
        )
    )


def _performance(
    filters: ReportFilters, *, idle_agents: bool, team_totals: bool
) -> list[AgentPerformance]:
    rows = _agent_rows(filters, idle_agents=idle_agents)
    if not rows:
        return []
    start, end, channel = filters.start, filters.end, filters.kpi_channel
    kpis = kpi_totals_by_agent(filters.agent_ids(), start, end, channel=channel)
    team_ids = {row.team_id for row in rows}
    team_targets = targets_by_team(team_ids)
    teams: dict[int | None, KpiTotals] = {}
    if team_totals:
        known = [team_id for team_id in team_ids if team_id is not None]
        for team_id, totals in kpi_totals_by_team(known, start, end, channel=channel).items():
            teams[team_id] = totals
    config = current_app.config
    min_evaluations = config["MIN_EVALUATIONS"]
    weights = {
        "qa_weight": config["COMPOSITE_QA_WEIGHT"],
        "kpi_weight": config["COMPOSITE_KPI_WEIGHT"],
        "min_evaluations": min_evaluations,
    }
    result = []
    for row in rows:
        qa = mean_with_interval_from_sums(row.scored, row.score_sum, row.score_squares)
        totals = kpis.get(row.agent_id, KpiTotals())
        targets = team_targets[row.team_id]
        attainments = {kpi.key: attainment(totals.kpi(kpi.key), targets[kpi.key]) for kpi in KPIS}
        index = kpi_index(attainments, targets)
        pass_mark = row.pass_mark_sum / row.scored if row.scored else None
        result.append(
            AgentPerformance(
                agent_id=row.agent_id,
                name=row.name,
                email=row.email,
                team_id=row.team_id,
                team=row.team,
                start=start,
                end=end,
                evaluations=row.evaluations,
                qa=qa,
                pass_rate=row.passed / row.pass_n if row.pass_n else None,
                critical_failures=row.critical_failures,
                totals=totals,
                targets=targets,
                attainments=attainments,
                kpi_index=index,
                composite_figures=agent_composite(
                    qa,
                    attainments,
                    targets,
                    pass_mark=pass_mark,
                    critical_failures=row.critical_failures,
                    **weights,
                ),
                pass_mark=pass_mark,
                min_evaluations=min_evaluations,
                team_totals=teams.get(row.team_id, KpiTotals()) if team_totals else None,
            )
        )
    return result
