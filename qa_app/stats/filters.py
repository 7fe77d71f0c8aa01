"""What a figure, a dashboard or an export covers: a period, optionally a team, an agent, a
scorecard and a channel, always within the agents the user may see."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa

from qa_app.auth.models import CENTRE_WIDE_ROLES, Role, User
from qa_app.day_range import clamp_day
from qa_app.evaluations.models import SCORED, Evaluation
from qa_app.i18n import local_midnight
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import ScorecardVersion
from qa_app.stats.models import ALL_CHANNELS
from qa_app.teams.scope import agents_visible_to

# The period of a page, an export or `report agent` when none is asked for: the last 90
# days up to the given day.
DEFAULT_DAYS = 90


def default_start(end: date) -> date:
    """The first day of the default period that ends on `end`."""
    return end - timedelta(days=DEFAULT_DAYS - 1)


def scope_of(user: User) -> sa.Select | None:
    """Agent ids `user` may see; None for the whole centre (admins and managers)."""
    if user.role in CENTRE_WIDE_ROLES:
        return None
    return agents_visible_to(user).with_only_columns(User.id).order_by(None)


@dataclass(frozen=True)
class ReportFilters:
    """The evaluations and agent-days an agent's figures, a dashboard or an export cover.

    Evaluations count by the day they were submitted in the centre's time zone; statistics
    by their own day. Only scored evaluations
    (submitted or later) are exported, or the `statuses` given.
    """

    start: date
    end: date
    tz: tzinfo = UTC
    team_id: int | None = None
    agent_id: int | None = None
    scorecard_id: int | None = None
    channel: str | None = None
    statuses: tuple[str, ...] = SCORED
    # Agent ids the user may see (see scope_of); None for the whole centre.
    scope: sa.Select | None = field(default=None, compare=False)

    def with_period(self, start: date, end: date) -> ReportFilters:
        """The same filters over another period."""
        return replace(self, start=start, end=end)

    def bounds(self) -> tuple[datetime, datetime]:
        """From midnight before `start` to midnight after `end`, local time; a period reaching
        beyond the days the app accepts is cut to them (no stored record lies outside)."""
        return local_midnight(clamp_day(self.start), self.tz), local_midnight(
            clamp_day(self.end) + timedelta(days=1), self.tz
        )

    def agent_ids(self) -> sa.Select:
        """The agents in scope, of the team and the agent asked for.

        Never correlated: the queries it filters often join `user` themselves.
        """
        query = sa.select(User.id).where(User.role == Role.AGENT)
        if self.scope is not None:
            query = query.where(User.id.in_(self.scope.correlate(None)))
        if self.team_id is not None:
            query = query.where(User.team_id == self.team_id)
        if self.agent_id is not None:
            query = query.where(User.id == self.agent_id)
        return query.correlate(None)

    def evaluation_conditions(self) -> list[sa.ColumnElement[bool]]:
        """WHERE conditions on Evaluation for every query of the export.

        The subqueries correlate with Evaluation only, whatever else the query joins.
        """
        begin, finish = self.bounds()
        conditions = [
            Evaluation.status.in_(self.statuses),
            Evaluation.submitted_at >= begin,
            Evaluation.submitted_at < finish,
            Evaluation.agent_id.in_(self.agent_ids()),
        ]
        if self.scorecard_id is not None:
            versions = sa.select(ScorecardVersion.id).where(
                ScorecardVersion.scorecard_id == self.scorecard_id
            )
            conditions.append(Evaluation.scorecard_version_id.in_(versions.correlate(None)))
        if self.channel is not None:
            conditions.append(
                sa.exists()
                .where(
                    Interaction.id == Evaluation.interaction_id,
                    Interaction.channel == self.channel,
                )
                .correlate(Evaluation)
            )
        return conditions

    @property
    def kpi_channel(self) -> str:
        """The statistics rows to sum: the channel asked for, else the all-channel rows."""
        return self.channel or ALL_CHANNELS

    def describe(self) -> dict[str, Any]:
        """The filters for the audit trail and the workbook's properties."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "time_zone": str(self.tz),
            "team_id": self.team_id,
            "agent_id": self.agent_id,
            "scorecard_id": self.scorecard_id,
            "channel": self.channel,
            "statuses": list(self.statuses),
            "scope": "centre" if self.scope is None else "supervised teams",
        }
