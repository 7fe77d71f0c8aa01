"""KPI targets, and the combined picture of one agent over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from flask import current_app

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.evaluations.models import SCORED, Answer, Evaluation, answer_label
from qa_app.extensions import db
from qa_app.i18n import local_midnight
from qa_app.stats.kpis import KPIS, KpiTotals, kpi_totals
from qa_app.stats.models import KpiTarget
from qa_app.stats.performance import (
    MeanWithInterval,
    Target,
    attainment,
    composite,
    kpi_index,
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
    rows = db.session.scalars(
        sa.select(KpiTarget).where(
            sa.or_(KpiTarget.team_id.is_(None), KpiTarget.team_id == team_id)
        )
    )
    targets = dict(DEFAULT_TARGETS)
    # Centre-wide rows first, so that the team's rows overwrite them.
    for row in sorted(rows, key=lambda r: r.team_id is not None):
        targets[row.kpi] = Target(row.target, row.direction, row.weight)
    return targets


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
    days the imported agent-days mean."""
    return local_midnight(start, tz), local_midnight(end + timedelta(days=1), tz)


def qa_scores(
    agent_ids: list[int] | sa.Select, start: date, end: date, tz: tzinfo = UTC
) -> list[float]:
    """Scores of the scored evaluations submitted in the period (each evaluation once;
    all-N/A evaluations, whose score is None, left out)."""
    begin, finish = period_bounds(start, end, tz)
    return list(
        db.session.scalars(
            sa.select(Evaluation.score).where(
                Evaluation.agent_id.in_(agent_ids),
                Evaluation.status.in_(SCORED),
                Evaluation.score.is_not(None),
                Evaluation.submitted_at >= begin,
                Evaluation.submitted_at < finish,
            )
        )
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
    agent: User, start: date, end: date, tz: tzinfo = UTC
) -> list[CriterionRow]:
    """Mean r over non-N/A answers per criterion key, agent against team (one query)."""
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
            Evaluation.status.in_(SCORED),
            Evaluation.submitted_at >= begin,
            Evaluation.submitted_at < finish,
            Answer.normalised.is_not(None),
        )
        .group_by(Answer.criterion_key)
    ).all()
    result = [
        CriterionRow(key, label or key, agent_mean, agent_n or 0, team_mean, team_n or 0)
        for key, label, agent_mean, agent_n, team_mean, team_n in rows
        if agent_n
    ]
    return sorted(result, key=lambda row: (row.agent_mean is None, row.agent_mean or 0))


@dataclass(frozen=True)
class AgentPicture:
    """Everything the agent page and `report agent` show, each number with its parts."""

    agent: User
    start: date
    end: date
    qa: MeanWithInterval
    totals: KpiTotals
    team_totals: KpiTotals
    targets: dict[str, Target]
    attainments: dict[str, float | None]
    kpi_index: float | None
    composite: float | None
    min_evaluations: int

    def report(self) -> dict[str, float | int | None]:
        """The figures `flask report agent … --format json` prints (null for no data)."""
        return {
            "qa_score": self.qa.mean, "qa_n": self.qa.n,
            "qa_ci_low": self.qa.low, "qa_ci_high": self.qa.high,
            "aht_seconds": self.totals.aht_seconds,
            "contacts_per_hour": self.totals.contacts_per_hour,
            "csat_pct": self.totals.csat_pct, "nps": self.totals.nps,
            "fcr_pct": self.totals.fcr_pct,
            "kpi_index": self.kpi_index, "composite": self.composite,
        }  # fmt: skip


def configured_composite(qa: MeanWithInterval, index: float | None) -> float | None:
    """The composite with the configured weights and minimum number of evaluations."""
    config = current_app.config
    return composite(
        qa.mean,
        qa.n,
        index,
        qa_weight=config["COMPOSITE_QA_WEIGHT"],
        kpi_weight=config["COMPOSITE_KPI_WEIGHT"],
        min_evaluations=config["MIN_EVALUATIONS"],
    )


def agent_picture(agent: User, start: date, end: date, tz: tzinfo = UTC) -> AgentPicture:
    """QA average with its interval, KPIs against team and target, KPI index, composite."""
    config = current_app.config
    qa = mean_with_interval(qa_scores([agent.id], start, end, tz))
    totals = kpi_totals([agent.id], start, end)
    team_ids = sa.select(User.id).where(User.team_id == agent.team_id, User.role == Role.AGENT)
    team_totals = kpi_totals(team_ids, start, end) if agent.team_id else KpiTotals()
    targets = targets_for_team(agent.team_id)
    attainments = {kpi.key: attainment(totals.kpi(kpi.key), targets[kpi.key]) for kpi in KPIS}
    index = kpi_index(attainments, targets)
    return AgentPicture(
        agent=agent,
        start=start,
        end=end,
        qa=qa,
        totals=totals,
        team_totals=team_totals,
        targets=targets,
        attainments=attainments,
        kpi_index=index,
        composite=configured_composite(qa, index),
        min_evaluations=config["MIN_EVALUATIONS"],
    )


def monthly_qa(
    agent: User, months: int, today: date, tz: tzinfo = UTC
) -> list[tuple[date, MeanWithInterval]]:
    """The agent's QA average per calendar month, oldest first, with n and interval."""
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
            Evaluation.status.in_(SCORED),
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
