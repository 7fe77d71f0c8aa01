"""KPI math (DESIGN.md "KPI math"): sums in SQL, then one ratio of the sums.

Never an average of daily ratios: a day with 2 calls must not weigh as much as a day with
80. A KPI whose denominator is empty is None ("no data"), never 0.

An agent-day may have rows from several sources (the phone system's volumes and times, a
survey tool's CSAT); every sum runs over all of them. A ratio pairs its numerator with the
denominator of the same rows only: AHT divides the handle time by the contacts of the rows
that give handle time, so contacts from a source without handle time make AHT "no data", not
0, and never dilute it. (The import keeps the other groups whole: CSAT responses come with
their positives, NPS responses with promoters and detractors, FCR eligible with resolved.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

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
    """Summed daily totals over a period, and the KPIs computed from them.

    `timed_contacts` are the contacts of the rows that give handle time (AHT's denominator),
    `staffed_contacts` those of the rows that give logged-in time (contacts per hour's
    numerator); left out, they are all the contacts.
    """

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
    timed_contacts: int | None = None
    staffed_contacts: int | None = None

    def __post_init__(self) -> None:
        for name in ("timed_contacts", "staffed_contacts"):
            if getattr(self, name) is None:  # frozen: set once, here
                object.__setattr__(self, name, self.contacts_handled)

    @property
    def aht_seconds(self) -> float | None:
        """AHT = Σ handle_seconds / Σ contacts_handled, over the rows with handle time."""
        return _ratio(self.handle_seconds, self._count("timed_contacts"))

    @property
    def contacts_per_hour(self) -> float | None:
        """Σ contacts_handled / (Σ logged_in_seconds / 3600), over the rows with logged-in
        time."""
        return _ratio(self._count("staffed_contacts") * 3600, self.logged_in_seconds)

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
            "aht_seconds": self._count("timed_contacts"),
            "contacts_per_hour": self.logged_in_seconds // 3600,
            "csat_pct": self.csat_responses,
            "nps": self.nps_responses,
            "fcr_pct": self.fcr_eligible,
        }[key]

    def _count(self, name: str) -> int:
        value = getattr(self, name)
        assert value is not None  # set in __post_init__
        return int(value)

    @classmethod
    def from_sums(cls, values: Iterable[Any]) -> KpiTotals:
        """Totals from the values of `kpi_sums()`'s columns, in their order."""
        return cls(**{name: int(value or 0) for name, value in zip(SUMMED, values, strict=True)})


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


SUMMED = [f.name for f in fields(KpiTotals)]
# The contacts of the rows that give the total each of these pairs with (NULL: not given).
_CONTACTS_WITH = {"timed_contacts": "handle_seconds", "staffed_contacts": "logged_in_seconds"}


def kpi_sums(when: sa.ColumnElement[bool] | None = None) -> list[sa.Label[Any]]:
    """The columns of a KpiTotals (`KpiTotals.from_sums`) over the AgentDailyStat rows of a
    query, or only those rows where `when` holds: days with figures (a day with rows from
    two sources is one day), then each total summed over every source's rows."""
    stat = AgentDailyStat

    def only(condition: sa.ColumnElement[bool] | None, value: Any) -> Any:
        conditions = [c for c in (when, condition) if c is not None]
        return sa.case((sa.and_(*conditions), value)) if conditions else value

    columns: list[sa.ColumnElement[Any]] = [sa.func.count(sa.distinct(only(None, stat.day)))]
    for name in SUMMED[1:]:
        if name in _CONTACTS_WITH:
            paired = getattr(stat, _CONTACTS_WITH[name]).is_not(None)
            value = only(paired, stat.contacts_handled)
        else:
            value = only(None, getattr(stat, name))
        columns.append(sa.func.coalesce(sa.func.sum(value), 0))
    return [column.label(name) for column, name in zip(columns, SUMMED, strict=True)]


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
        sa.select(*kpi_sums()).where(
            AgentDailyStat.agent_id.in_(ids), *_period(start, end, channel)
        )
    ).one()
    return KpiTotals.from_sums(row)


def kpi_totals_by_agent(
    agent_ids: Iterable[int] | sa.Select, start: date, end: date, *, channel: str = ALL_CHANNELS
) -> dict[int, KpiTotals]:
    """Totals per agent over a period, in one GROUP BY query (agents without rows absent)."""
    ids = agent_ids if isinstance(agent_ids, sa.Select) else list(agent_ids)
    rows = db.session.execute(
        sa.select(AgentDailyStat.agent_id, *kpi_sums())
        .where(AgentDailyStat.agent_id.in_(ids), *_period(start, end, channel))
        .group_by(AgentDailyStat.agent_id)
    )
    return {agent_id: KpiTotals.from_sums(values) for agent_id, *values in rows}


def kpi_totals_by_team(
    team_ids: Iterable[int], start: date, end: date, *, channel: str = ALL_CHANNELS
) -> dict[int, KpiTotals]:
    """Totals per team (all its agents) over a period, in one GROUP BY query (teams without
    rows absent)."""
    rows = db.session.execute(
        sa.select(User.team_id, *kpi_sums())
        .join(User, User.id == AgentDailyStat.agent_id)
        .where(User.team_id.in_(list(team_ids)), User.role == Role.AGENT)
        .where(*_period(start, end, channel))
        .group_by(User.team_id)
    )
    return {
        team_id: KpiTotals.from_sums(values) for team_id, *values in rows if team_id is not None
    }
