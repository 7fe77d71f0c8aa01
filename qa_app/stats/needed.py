"""How many evaluations are enough: for an interval of ±H points around each agent's QA
average, how many evaluations the agent needs, from their own spread when they have enough
evaluations to measure it, else from the team's pooled spread.

The sample size is evidence.evaluations_needed (the smallest n with
t(0.975, n − 1)·s/√n ≤ H); the agent's mean and interval are performance's
mean_with_interval_from_sums, as on the agent page. Agents whose pass or fail is not known
yet (no interval, or an interval that includes the pass mark) come first, then those who
still need the most. Every surface (this page, the sampling form) takes the figures from
`needs_by_agent`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import get_timezone

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.stats.agent_performance import evaluation_sums
from qa_app.stats.evidence import evaluations_needed
from qa_app.stats.filters import ReportFilters
from qa_app.stats.performance import (
    MeanWithInterval,
    mean_with_interval_from_sums,
    stdev_from_sums,
)
from qa_app.teams.models import Team

# From this many scored evaluations on, an agent's own standard deviation is used; below,
# the team's pooled one (a spread from 3 scores can be anything from 0 to 40 points).
OWN_SPREAD_FROM = 10


class SpreadSource(StrEnum):
    """Whose standard deviation an agent's need is computed from."""

    OWN = "own"
    TEAM = "team"
    NONE = "none"  # the team has no two scores of one agent yet: no spread at all


@dataclass(frozen=True)
class AgentScores:
    """One agent's scored evaluations as SQL sums them: n, Σ score, Σ score², and the mean
    pass mark of their scorecard versions (None without any)."""

    agent_id: int
    name: str
    n: int
    total: float
    squares: float
    pass_mark: float | None

    @property
    def spread(self) -> float | None:
        """The agent's own standard deviation (None below two scores)."""
        return stdev_from_sums(self.n, self.total, self.squares)


@dataclass(frozen=True)
class AgentNeed:
    """How many evaluations one agent needs for an interval of ±`half_width` points."""

    agent_id: int
    name: str
    qa: MeanWithInterval
    pass_mark: float | None
    spread: float | None
    spread_source: SpreadSource
    needed: int | None  # None while no spread is known
    half_width: float

    @property
    def still_needed(self) -> int | None:
        """Evaluations still to do: needed − n so far, never below 0."""
        return None if self.needed is None else max(0, self.needed - self.qa.n)

    @property
    def pass_known(self) -> bool:
        """True when the whole interval lies at or above the pass mark, or below it."""
        low, high, mark = self.qa.low, self.qa.high, self.pass_mark
        if low is None or high is None or mark is None:
            return False
        return low >= mark or high < mark

    @property
    def passes(self) -> bool | None:
        """Whether the agent passes, when `pass_known`; else None."""
        if not self.pass_known or self.qa.low is None or self.pass_mark is None:
            return None
        return self.qa.low >= self.pass_mark


def pooled_spread(agents: Sequence[AgentScores]) -> float | None:
    """The team's pooled standard deviation √(Σ (nᵢ − 1)·sᵢ² / Σ (nᵢ − 1)) over its agents with
    at least two scores: the spread of one agent's scores around their own mean, so that
    differences between agents do not count as noise. None without such an agent."""
    weighted = [(agent.n - 1, agent.spread) for agent in agents if agent.spread is not None]
    degrees = sum(df for df, _ in weighted)
    if not degrees:
        return None
    return math.sqrt(sum(df * spread * spread for df, spread in weighted) / degrees)


def agent_needs(
    agents: Sequence[AgentScores], half_width: float, *, own_from: int = OWN_SPREAD_FROM
) -> list[AgentNeed]:
    """Each agent's need for ±`half_width` points, in `priority` order."""
    team = pooled_spread(agents)
    needs = []
    for agent in agents:
        if agent.n >= own_from and agent.spread is not None:
            spread, source = agent.spread, SpreadSource.OWN
        elif team is not None:
            spread, source = team, SpreadSource.TEAM
        else:
            spread, source = None, SpreadSource.NONE
        needs.append(
            AgentNeed(
                agent_id=agent.agent_id,
                name=agent.name,
                qa=mean_with_interval_from_sums(agent.n, agent.total, agent.squares),
                pass_mark=agent.pass_mark,
                spread=spread,
                spread_source=source,
                needed=None if spread is None else evaluations_needed(spread, half_width),
                half_width=half_width,
            )
        )
    return sorted(needs, key=priority)


def priority(need: AgentNeed) -> tuple[bool, bool, int, str, int]:
    """Pass or fail not known yet first, then the most evaluations still needed (an unknown
    need last), then by name."""
    still = need.still_needed
    return (need.pass_known, still is None, -(still or 0), need.name.casefold(), need.agent_id)


def needs_by_agent(filters: ReportFilters, half_width: float) -> list[AgentNeed]:
    """The needs of the active agents of `filters` (its team, within its scope) from their
    scored evaluations submitted in its period, in `priority` order: the page's rows and the
    sampling form's allocation."""
    sums = evaluation_sums(filters)
    rows = db.session.execute(
        sa.select(
            User.id,
            User.display_name,
            sa.func.coalesce(sums.c.scored, 0),
            sa.func.coalesce(sums.c.score_sum, 0.0),
            sa.func.coalesce(sums.c.score_squares, 0.0),
            sums.c.pass_mark_sum,
        )
        .outerjoin(sums, sums.c.agent_id == User.id)
        .where(User.id.in_(filters.agent_ids()), User.active.is_(True))
        .order_by(User.id)
    )
    agents = [
        AgentScores(
            agent_id,
            name,
            int(n),
            float(total),
            float(squares),
            float(pass_marks) / n if n and pass_marks is not None else None,
        )
        for agent_id, name, n, total, squares, pass_marks in rows
    ]
    return agent_needs(agents, half_width)


def still_needed_for_sampling(
    team: Team, start: date, end: date, half_width: int
) -> list[tuple[int, int | None]]:
    """(agent id, evaluations still needed) of the team's active agents over [start, end] in
    the centre's time zone, most needed first: what a sample to reach ±H allocates."""
    filters = ReportFilters(start, end, get_timezone(), team_id=team.id)
    return [(need.agent_id, need.still_needed) for need in needs_by_agent(filters, half_width)]
