"""KPI targets, and an agent's criteria and monthly QA against the team."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

import sqlalchemy as sa

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.day_range import clamp_day
from qa_app.evaluations.models import Answer, Evaluation, answer_label
from qa_app.extensions import db
from qa_app.i18n import local_midnight
from qa_app.scorecards.services import labels_in_reader_language
from qa_app.stats.models import KpiTarget
from qa_app.stats.performance import (
    MeanWithInterval,
    Target,
    mean_with_interval,
)

# Used until a manager sets centre-wide targets: common contact-centre benchmarks.
DEFAULT_TARGETS = {
    "aht_seconds": Target(360, "lower"),
    "contacts_per_hour": Target(8, "higher"),
    "csat_pct": Target(85, "higher"),
    "nps": Target(30, "higher"),
    "fcr_pct": Target(75, "higher"),
}


def targets_for_team(team_id: int | None) -> dict[str, Target]:
    """Each KPI's target: the team's own, else the centre-wide one, else the default."""
    return targets_by_team([team_id])[team_id]


def targets_by_team(team_ids: Iterable[int | None]) -> dict[int | None, dict[str, Target]]:
    """Each team's targets (see `targets_for_team`), in one query for all the teams."""
    wanted = set(team_ids)
    rows = db.session.scalars(
        sa.select(KpiTarget).where(
            sa.or_(
                KpiTarget.team_id.is_(None),
                KpiTarget.team_id.in_([team_id for team_id in wanted if team_id is not None]),
            )
        )
    )
    centre = dict(DEFAULT_TARGETS)
    own: dict[int, dict[str, Target]] = {}
    for row in rows:
        target = Target(row.target, row.direction, row.weight)
        if row.team_id is None:
            centre[row.kpi] = target
        else:
            own.setdefault(row.team_id, {})[row.kpi] = target
    # The team's own rows overwrite the centre-wide ones.
    return {
        team_id: {**centre, **(own.get(team_id, {}) if team_id is not None else {})}
        for team_id in wanted
    }


def save_target(
    team_id: int | None, kpi: str, value: float, direction: str, weight: float, actor: User
) -> KpiTarget:
    """Set a team's (or, with team_id None, the centre's) target for a KPI; audited."""
    row = db.session.scalar(
        sa.select(KpiTarget).where(
            KpiTarget.kpi == kpi,
            KpiTarget.team_id.is_(None) if team_id is None else KpiTarget.team_id == team_id,
        )
    )
    before = (
        None
        if row is None
        else {"target": row.target, "direction": row.direction, "weight": row.weight}
    )
    if row is None:
        row = KpiTarget(team_id=team_id, kpi=kpi)
        db.session.add(row)
    row.target, row.direction, row.weight = value, direction, weight
    db.session.flush()
    record_event(
        "kpi_target.saved",
        "team" if team_id else "centre",
        team_id,
        actor_id=actor.id,
        before=before,
        after={"kpi": kpi, "target": value, "direction": direction, "weight": weight},
    )
    return row


def period_bounds(start: date, end: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """Midnight before `start` to midnight after `end` in the centre's time zone: the same
    days the imported agent-days mean; cut to the days the app accepts (qa_app.day_range)."""
    return local_midnight(clamp_day(start), tz), local_midnight(
        clamp_day(end) + timedelta(days=1), tz
    )


@dataclass(frozen=True)
class CriterionRow:
    """A criterion's average r for the agent and the team, each with its n."""

    key: str
    label: str
    agent_mean: float | None
    agent_n: int
    team_mean: float | None
    team_n: int


def criterion_breakdown(
    agent: User, start: date, end: date, tz: tzinfo = UTC, *, statuses: Collection[str]
) -> list[CriterionRow]:
    """Mean r over non-N/A answers per criterion key, agent against team (one query), over
    the evaluations of `statuses` (`countable_statuses` of whoever reads the figures)."""
    begin, finish = period_bounds(start, end, tz)
    team = sa.select(User.id).where(User.team_id == agent.team_id, User.role == Role.AGENT)
    is_agent = Evaluation.agent_id == agent.id
    label = answer_label()
    rows = db.session.execute(
        sa.select(
            Answer.criterion_key,
            sa.func.max(label),
            sa.func.avg(sa.case((is_agent, Answer.normalised))),
            sa.func.count(sa.case((is_agent, Answer.normalised))),
            sa.func.avg(Answer.normalised),
            sa.func.count(Answer.normalised),
        )
        .join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .where(
            Evaluation.agent_id.in_(team),
            Evaluation.status.in_(statuses),
            Evaluation.submitted_at >= begin,
            Evaluation.submitted_at < finish,
            Answer.normalised.is_not(None),
        )
        .group_by(Answer.criterion_key)
    ).all()
    shown = labels_in_reader_language({row[0]: row[1] or row[0] for row in rows})
    result = [
        CriterionRow(key, shown[key], agent_mean, agent_n or 0, team_mean, team_n or 0)
        for key, _label, agent_mean, agent_n, team_mean, team_n in rows
        if agent_n
    ]
    return sorted(result, key=lambda row: (row.agent_mean is None, row.agent_mean or 0))


def monthly_qa(
    agent: User, months: int, today: date, tz: tzinfo = UTC, *, statuses: Collection[str]
) -> list[tuple[date, MeanWithInterval]]:
    """The agent's QA average per calendar month, oldest first, with n and interval, over
    the evaluations of `statuses` (`countable_statuses` of whoever reads the figures)."""
    first = date(today.year, today.month, 1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    starts.reverse()
    begin, _ = period_bounds(starts[0], today, tz)
    rows = db.session.execute(
        sa.select(Evaluation.submitted_at, Evaluation.score).where(
            Evaluation.agent_id == agent.id,
            Evaluation.status.in_(statuses),
            Evaluation.score.is_not(None),
            Evaluation.submitted_at >= begin,
        )
    ).all()
    by_month: dict[date, list[float]] = {start: [] for start in starts}
    for submitted_at, score in rows:
        assert submitted_at is not None and score is not None  # the query excludes None
        local = submitted_at.astimezone(tz)
        key = date(local.year, local.month, 1)
        if key in by_month:
            by_month[key].append(score)
    return [(start, mean_with_interval(scores)) for start, scores in by_month.items()]
