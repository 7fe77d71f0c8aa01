"""KPI math (DESIGN.md "KPI math"): sums in SQL, then one ratio of the sums.

Never an average of daily ratios: a day with 2 calls must not weigh as much as a day with
80. A KPI whose denominator is empty is None ("no data"), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date

import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.stats.models import ALL_CHANNELS, AgentDailyStat


@dataclass(frozen=True)
class KpiDefinition:
    """A KPI: its key, whether higher is better, and its unit for display."""

    key: str
    direction: str  # "higher" or "lower"
    unit: str  # "seconds", "per_hour", "percent", "score"


KPIS = (
    KpiDefinition("aht_seconds", "lower", "seconds"),
    KpiDefinition("contacts_per_hour", "higher", "per_hour"),
    KpiDefinition("csat_pct", "higher", "percent"),
    KpiDefinition("nps", "higher", "score"),
    KpiDefinition("fcr_pct", "higher", "percent"),
)
KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}


@dataclass(frozen=True)
class KpiTotals:
    """Summed daily totals over a period, and the KPIs computed from them."""

    days: int = 0
    contacts_handled: int = 0
    handle_seconds: int = 0
    logged_in_seconds: int = 0
    csat_responses: int = 0
    csat_positive: int = 0
    nps_responses: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    fcr_eligible: int = 0
    fcr_resolved: int = 0
    transfers: int = 0

    @property
    def aht_seconds(self) -> float | None:
        """AHT = Σ handle_seconds / Σ contacts_handled."""
        return _ratio(self.handle_seconds, self.contacts_handled)

    @property
    def contacts_per_hour(self) -> float | None:
        """Σ contacts_handled / (Σ logged_in_seconds / 3600)."""
        return _ratio(self.contacts_handled * 3600, self.logged_in_seconds)

    @property
    def csat_pct(self) -> float | None:
        """100 × Σ csat_positive / Σ csat_responses."""
        return _ratio(100 * self.csat_positive, self.csat_responses)

    @property
    def nps(self) -> float | None:
        """100 × (Σ promoters − Σ detractors) / Σ nps_responses."""
        return _ratio(100 * (self.nps_promoters - self.nps_detractors), self.nps_responses)

    @property
    def fcr_pct(self) -> float | None:
        """100 × Σ fcr_resolved / Σ fcr_eligible."""
        return _ratio(100 * self.fcr_resolved, self.fcr_eligible)

    def kpi(self, key: str) -> float | None:
        """A KPI by key (see KPIS)."""
        return getattr(self, key)

    def denominator(self, key: str) -> int:
        """The n behind a KPI: contacts, logged-in hours, survey or FCR responses."""
        return {
            "aht_seconds": self.contacts_handled,
            "contacts_per_hour": self.logged_in_seconds // 3600,
            "csat_pct": self.csat_responses,
            "nps": self.nps_responses,
            "fcr_pct": self.fcr_eligible,
        }[key]


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


_SUMMED = [f.name for f in fields(KpiTotals) if f.name != "days"]


def _sums() -> list[sa.ColumnElement[int]]:
    columns: list[sa.ColumnElement[int]] = [
        sa.func.count(sa.distinct(AgentDailyStat.day)).label("days")
    ]
    columns += [
        sa.func.coalesce(sa.func.sum(getattr(AgentDailyStat, name)), 0).label(name)
        for name in _SUMMED
    ]
    return columns


def _period(start: date, end: date, channel: str) -> list[sa.ColumnElement[bool]]:
    return [
        AgentDailyStat.day >= start,
        AgentDailyStat.day <= end,
        AgentDailyStat.channel == channel,
    ]


def kpi_totals(
    agent_ids: Iterable[int] | sa.Select, start: date, end: date, *, channel: str = ALL_CHANNELS
) -> KpiTotals:
    """Totals over a period for one agent, a team or the centre (a list or a SELECT of ids)."""
    ids = agent_ids if isinstance(agent_ids, sa.Select) else list(agent_ids)
    row = db.session.execute(
        sa.select(*_sums()).where(AgentDailyStat.agent_id.in_(ids), *_period(start, end, channel))
    ).one()
    return KpiTotals(**{name: int(value or 0) for name, value in row._mapping.items()})


def kpi_totals_by_agent(
    agent_ids: Iterable[int] | sa.Select, start: date, end: date, *, channel: str = ALL_CHANNELS
) -> dict[int, KpiTotals]:
    """Totals per agent over a period, in one GROUP BY query (agents without rows absent)."""
    ids = agent_ids if isinstance(agent_ids, sa.Select) else list(agent_ids)
    rows = db.session.execute(
        sa.select(AgentDailyStat.agent_id, *_sums())
        .where(AgentDailyStat.agent_id.in_(ids), *_period(start, end, channel))
        .group_by(AgentDailyStat.agent_id)
    )
    result = {}
    for row in rows:
        values = dict(row._mapping)
        agent_id = values.pop("agent_id")
        result[agent_id] = KpiTotals(**{k: int(v or 0) for k, v in values.items()})
    return result


def kpi_totals_by_team(
    team_ids: Iterable[int], start: date, end: date, *, channel: str = ALL_CHANNELS
) -> dict[int, KpiTotals]:
    """Totals per team (all its agents) over a period, in one GROUP BY query (teams without
    rows absent)."""
    rows = db.session.execute(
        sa.select(User.team_id, *_sums())
        .join(User, User.id == AgentDailyStat.agent_id)
        .where(User.team_id.in_(list(team_ids)), User.role == Role.AGENT)
        .where(*_period(start, end, channel))
        .group_by(User.team_id)
    )
    result = {}
    for row in rows:
        values = dict(row._mapping)
        team_id = values.pop("team_id")
        result[team_id] = KpiTotals(**{k: int(v or 0) for k, v in values.items()})
    return result
