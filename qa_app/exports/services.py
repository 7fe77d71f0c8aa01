"""Exports as the web and the CLI run them: figures from the database into a workbook, and
the audit event that says who exported what.

The caller runs these inside `database.snapshot_read`, so that every sheet reads the same
data and a long export blocks no one, then records the event and commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import IO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from qa_app.audit.models import AuditEvent
from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.dashboards.agents import AgentPerformance, agent_performance, performance_of
from qa_app.dashboards.aggregates import AgentTotals
from qa_app.evaluations.models import VISIBLE_TO_AGENT
from qa_app.exports.feedback_workbook import write_feedback_workbook
from qa_app.exports.queries import (
    answer_rows,
    criterion_columns,
    evaluation_rows,
    training_rows,
)
from qa_app.exports.rows import (
    AgentSummary,
    CriterionColumn,
    CriterionComparison,
    FeedbackOverview,
    KpiColumn,
    KpiComparison,
    with_answers,
)
from qa_app.exports.sheets import DECIMAL, PERCENT, SECONDS, WHOLE
from qa_app.exports.workbook import write_evaluations_workbook
from qa_app.stats.criteria import criteria_matrix, criterion_means
from qa_app.stats.display import kpi_label
from qa_app.stats.filters import ReportFilters
from qa_app.stats.kpis import KPIS, KpiDefinition, KpiTotals, kpi_totals
from qa_app.stats.performance import (
    attainment,
)
from qa_app.stats.services import targets_for_team

NUMBER_FORMATS = {"seconds": SECONDS, "per_hour": DECIMAL, "percent": PERCENT, "score": WHOLE}


def kpi_columns() -> list[KpiColumn]:
    """The KPI columns of the Summary sheet, in the user's language."""
    return [KpiColumn(kpi.key, kpi_label(kpi.key), NUMBER_FORMATS[kpi.unit]) for kpi in KPIS]


def in_sheet_units(kpi: KpiDefinition, value: float | None) -> float | None:
    """A KPI as a cell holds it: percentages as fractions, for a percent number format."""
    if value is None:
        return None
    return value / 100 if kpi.unit == "percent" else value


def agent_summaries(filters: ReportFilters) -> list[AgentSummary]:
    """The Summary rows: each agent's QA figures, KPIs, KPI index and composite (see
    `reports.agents.agent_performance`), KPIs in the sheet's units."""
    return [summary_row(performance) for performance in agent_performance(filters)]


def summary_row(performance: AgentPerformance) -> AgentSummary:
    """One agent's figures as the Summary sheet holds them."""
    qa = performance.qa
    return AgentSummary(
        agent=performance.name,
        email=performance.email,
        team=performance.team,
        evaluations=performance.evaluations,
        qa_average=qa.mean,
        qa_n=qa.n,
        qa_low=qa.low,
        qa_high=qa.high,
        pass_rate=performance.pass_rate,
        critical_failures=performance.critical_failures,
        kpis={kpi.key: in_sheet_units(kpi, performance.totals.kpi(kpi.key)) for kpi in KPIS},
        kpi_index=performance.kpi_index,
        composite=performance.composite,
    )


def _description(filters: ReportFilters) -> str:
    return _(
        "%(start)s to %(end)s; times in %(tz)s.",
        start=filters.start.isoformat(),
        end=filters.end.isoformat(),
        tz=str(filters.tz),
    )


def export_evaluations(
    filters: ReportFilters, out: str | IO[bytes], progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Write the evaluations workbook to `out`; the number of data rows of each sheet."""
    return write_evaluations_workbook(
        out,
        summaries=agent_summaries(filters),
        kpi_columns=kpi_columns(),
        criteria=criterion_columns(filters),
        evaluations=with_answers(evaluation_rows(filters), answer_rows(filters)),
        matrix=criteria_matrix(filters, no_team=_("No team"), all_teams=_("All teams")),
        training=training_rows(filters),
        today=datetime.now(filters.tz).date(),
        description=_description(filters),
        translate=_,
        progress=progress,
    )


def feedback_filters(agent: User, filters: ReportFilters) -> ReportFilters:
    """One agent's evaluations the agent may read (released and later) in the period."""
    return replace(
        filters,
        agent_id=agent.id,
        team_id=None,
        scorecard_id=None,
        channel=None,
        statuses=VISIBLE_TO_AGENT,
    )


def export_feedback(agent: User, filters: ReportFilters, out: str | IO[bytes]) -> dict[str, int]:
    """Write an agent's feedback workbook for the period of `filters` to `out`."""
    own = feedback_filters(agent, filters)
    summaries = agent_summaries(own)
    summary = (
        summaries[0]
        if summaries
        else summary_row(
            performance_of(_no_totals(agent), KpiTotals(), targets_for_team(agent.team_id))
        )
    )
    overview = FeedbackOverview(
        agent=agent.display_name,
        team=agent.team.name if agent.team else None,
        start=own.start,
        end=own.end,
        summary=summary,
        kpis=kpi_comparisons(agent, own),
        min_evaluations=current_app.config["MIN_EVALUATIONS"],
    )
    criteria = criterion_columns(own)
    return write_feedback_workbook(
        out,
        overview=overview,
        criteria=criteria,
        evaluations=with_answers(evaluation_rows(own), answer_rows(own)),
        comparisons=criterion_comparisons(agent, own, criteria),
        description=_description(own),
        translate=_,
    )


def _no_totals(agent: User) -> AgentTotals:
    return AgentTotals(agent.id, agent.display_name, agent.email, None, None, *[0] * 7)


def kpi_comparisons(agent: User, filters: ReportFilters) -> list[KpiComparison]:
    """Each KPI of the agent beside the team's total and the target, with attainment."""
    own = kpi_totals([agent.id], filters.start, filters.end, channel=filters.kpi_channel)
    team = KpiTotals()
    if agent.team_id is not None:
        members = sa.select(User.id).where(User.team_id == agent.team_id, User.role == Role.AGENT)
        team = kpi_totals(members, filters.start, filters.end, channel=filters.kpi_channel)
    targets = targets_for_team(agent.team_id)
    return [
        KpiComparison(
            header=kpi_label(kpi.key),
            number_format=NUMBER_FORMATS[kpi.unit],
            agent=in_sheet_units(kpi, own.kpi(kpi.key)),
            team=in_sheet_units(kpi, team.kpi(kpi.key)),
            target=in_sheet_units(kpi, targets[kpi.key].value),
            better_when=_("higher") if targets[kpi.key].direction == "higher" else _("lower"),
            attainment=attainment(own.kpi(kpi.key), targets[kpi.key]),
        )
        for kpi in KPIS
    ]


def criterion_comparisons(
    agent: User, filters: ReportFilters, criteria: Sequence[CriterionColumn]
) -> list[CriterionComparison]:
    """The agent's mean r per criterion beside the team's (same period and statuses),
    weakest first."""
    own = criterion_means(filters)
    team = {}
    if agent.team_id is not None:
        team = criterion_means(replace(filters, agent_id=None, team_id=agent.team_id))
    rows = [
        CriterionComparison(
            criterion.key,
            criterion.label,
            criterion.section,
            *own.get(criterion.key, (None, 0)),
            *team.get(criterion.key, (None, 0)),
        )
        for criterion in criteria
        if criterion.key in own
    ]
    return sorted(rows, key=lambda row: row.agent_mean or 0.0)


def record_export(
    action: str,
    filters: ReportFilters,
    rows: dict[str, int],
    *,
    via: str,
    entity: tuple[str, int | None] = ("export", None),
    actor_id: int | None = None,
) -> AuditEvent:
    """Audit an export: who (the signed-in user, or none for the CLI), filters, rows."""
    return record_event(
        action,
        entity[0],
        entity[1],
        actor_id=actor_id,
        after={"via": via, "filters": filters.describe(), "rows": rows},
    )
