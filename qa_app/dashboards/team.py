"""The supervisor's view of a team: every agent's figures side by side, and the heat map of
agents × criteria. Aggregates in SQL, one query per block."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.evaluations.models import Answer, Evaluation, answer_label
from qa_app.extensions import db
from qa_app.scorecards.services import labels_in_reader_language
from qa_app.stats.agent_performance import AgentPerformance, performance_by_agent, qa_by_agent
from qa_app.stats.filters import ReportFilters
from qa_app.stats.kpis import KPIS
from qa_app.stats.performance import MeanWithInterval


@dataclass
class HeatMap:
    """Mean r per agent and criterion, each with its n; criteria weakest first."""

    agents: list[tuple[int, str]] = field(default_factory=list)
    criteria: list[tuple[str, str]] = field(default_factory=list)
    cells: dict[tuple[int, str], tuple[float, int]] = field(default_factory=dict)

    def cell(self, agent_id: int, key: str) -> tuple[float, int] | None:
        """The (mean, n) of one agent on one criterion, None without answers."""
        return self.cells.get((agent_id, key))


def heat_map(filters: ReportFilters, max_criteria: int = 30) -> HeatMap:
    """Agents × criteria over the filtered evaluations: one GROUP BY agent and criterion."""
    label = answer_label()
    rows = db.session.execute(
        sa.select(
            Evaluation.agent_id,
            User.display_name,
            Answer.criterion_key,
            sa.func.max(label),
            sa.func.sum(Answer.normalised),
            sa.func.count(Answer.normalised),
        )
        .join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .join(User, User.id == Evaluation.agent_id)
        .where(*filters.evaluation_conditions(), Answer.normalised.is_not(None))
        .group_by(Evaluation.agent_id, User.display_name, Answer.criterion_key)
    ).all()
    result = HeatMap()
    agents: dict[int, str] = {}
    totals: dict[str, list[float]] = {}
    labels: dict[str, str] = {}
    for agent_id, name, key, criterion_label, total, count in rows:
        assert total is not None  # a group has at least one answer that is not None
        agents[agent_id] = name
        labels[key] = criterion_label or key
        result.cells[(agent_id, key)] = (float(total) / count, count)
        sums = totals.setdefault(key, [0.0, 0])
        sums[0] += float(total)
        sums[1] += count
    weakest = sorted(totals, key=lambda key: (totals[key][0] / totals[key][1], key))
    labels = labels_in_reader_language(labels)
    result.criteria = [(key, labels[key]) for key in weakest[:max_criteria]]
    result.agents = sorted(agents.items(), key=lambda item: (item[1], item[0]))
    return result


@dataclass(frozen=True)
class TeamTableRow:
    """An agent's figures, and their QA in the previous period of the same length."""

    performance: AgentPerformance
    previous: MeanWithInterval

    @property
    def trend(self) -> float | None:
        """QA this period − QA the period before, when both have scored evaluations."""
        now, before = self.performance.qa.mean, self.previous.mean
        return None if now is None or before is None else now - before


def _sort_value(row: TeamTableRow, key: str) -> Any:
    performance = row.performance
    values = {
        "name": performance.name.casefold(),
        "team": (performance.team or "").casefold(),
        "qa": performance.qa.mean,
        "evaluations": performance.evaluations,
        "pass_rate": performance.pass_rate,
        "critical": performance.critical_failures,
        "kpi_index": performance.kpi_index,
        "composite": performance.composite,
        "trend": row.trend,
    }
    if key in values:
        return values[key]
    return performance.totals.kpi(key)


SORT_KEYS = ("name", "team", "evaluations", "qa", "pass_rate", "critical", "kpi_index",
             "composite", "trend", *(kpi.key for kpi in KPIS))  # fmt: skip


def team_table(
    filters: ReportFilters, sort: str = "qa", descending: bool = False
) -> list[TeamTableRow]:
    """Every agent in scope with their trend against the previous period, sorted by `sort`
    (rows without a value last, whichever the direction)."""
    length = (filters.end - filters.start).days + 1
    before = filters.with_period(
        filters.start - timedelta(days=length), filters.start - timedelta(days=1)
    )
    previous = qa_by_agent(before)
    rows = [
        TeamTableRow(performance, previous.get(performance.agent_id, MeanWithInterval(None, 0)))
        for performance in performance_by_agent(filters)
    ]
    key = sort if sort in SORT_KEYS else "qa"
    present = [row for row in rows if _sort_value(row, key) is not None]
    missing = [row for row in rows if _sort_value(row, key) is None]
    present.sort(key=lambda row: _sort_value(row, key), reverse=descending)
    return present + missing
