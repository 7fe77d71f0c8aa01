"""Every agent's figures side by side (DESIGN.md "Combined performance"): the supervisor
dashboard's table and the export's Summary sheet. One GROUP BY for the evaluations, one for
the KPIs, one query per team for targets."""

from __future__ import annotations

from dataclasses import dataclass

from qa_app.dashboards.aggregates import AgentTotals, agent_totals
from qa_app.stats.filters import ReportFilters
from qa_app.stats.kpis import KPIS, KpiTotals, kpi_totals_by_agent
from qa_app.stats.performance import (
    MeanWithInterval,
    Target,
    attainment,
    kpi_index,
    mean_with_interval_from_sums,
)
from qa_app.stats.services import configured_composite, targets_for_team


@dataclass(frozen=True)
class AgentPerformance:
    """One agent over the filtered evaluations and period."""

    agent_id: int
    name: str
    email: str
    team_id: int | None
    team: str | None
    evaluations: int
    qa: MeanWithInterval
    pass_rate: float | None
    critical_failures: int
    totals: KpiTotals
    targets: dict[str, Target]
    attainments: dict[str, float | None]
    kpi_index: float | None
    composite: float | None


def performance_of(
    row: AgentTotals, totals: KpiTotals, targets: dict[str, Target]
) -> AgentPerformance:
    """One agent's figures from their summed evaluations, KPI totals and targets."""
    qa = mean_with_interval_from_sums(row.scored, row.score_sum, row.score_squares)
    attainments = {kpi.key: attainment(totals.kpi(kpi.key), targets[kpi.key]) for kpi in KPIS}
    index = kpi_index(attainments, targets)
    return AgentPerformance(
        agent_id=row.agent_id,
        name=row.name,
        email=row.email,
        team_id=row.team_id,
        team=row.team,
        evaluations=row.evaluations,
        qa=qa,
        pass_rate=row.passed / row.pass_n if row.pass_n else None,
        critical_failures=row.critical_failures,
        totals=totals,
        targets=targets,
        attainments=attainments,
        kpi_index=index,
        composite=configured_composite(qa, index),
    )


def agent_performance(filters: ReportFilters) -> list[AgentPerformance]:
    """Each agent in scope with evaluations or statistics in the period, by team and name."""
    kpis = kpi_totals_by_agent(
        filters.agent_ids(), filters.start, filters.end, channel=filters.kpi_channel
    )
    targets: dict[int | None, dict[str, Target]] = {}
    result = []
    for row in agent_totals(filters):
        if row.team_id not in targets:
            targets[row.team_id] = targets_for_team(row.team_id)
        result.append(
            performance_of(row, kpis.get(row.agent_id, KpiTotals()), targets[row.team_id])
        )
    return result
