"""The manager's view of the centre: teams compared, each team's monthly trend, the weakest
criteria, evaluator consistency and dispute rates. Every figure is one GROUP BY query over
the filtered evaluations (see `stats.filters.ReportFilters`), never rows pulled into Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.calibration.results import Drift, closed_between, evaluator_drift
from qa_app.evaluations.models import Answer, Dispute, DisputeStatus, Evaluation
from qa_app.extensions import db
from qa_app.i18n import local_midnight
from qa_app.scorecards.models import ScorecardCriterion
from qa_app.scorecards.services import labels_in_reader_language
from qa_app.stats.filters import ReportFilters
from qa_app.stats.performance import (
    MeanWithInterval,
    mean_with_interval_from_sums,
    stdev_from_sums,
)
from qa_app.teams.models import Team

# The most months the centre's trend shows: the last ones of a longer period.
MAX_TREND_MONTHS = 24

# An evaluator's mean differs "clearly" from the centre's when it lies this many standard
# errors away (two-sided 95%).
CLEAR_DIFFERENCE_Z = 1.96


def _score_sums(
    score: sa.SQLColumnExpression[float | None] = Evaluation.score,
) -> list[sa.ColumnElement]:
    return [
        sa.func.count(score),
        sa.func.coalesce(sa.func.sum(score), 0),
        sa.func.coalesce(sa.func.sum(score * score), 0),
    ]


@dataclass(frozen=True)
class TeamRow:
    """One team's QA over the period, its pass rate, critical failures and disputes."""

    team_id: int | None
    name: str | None
    evaluations: int
    qa: MeanWithInterval
    passed: int
    pass_n: int
    critical_failures: int
    disputes: int
    upheld: int

    @property
    def pass_rate(self) -> float | None:
        """Passed ÷ evaluations with a pass/fail verdict."""
        return self.passed / self.pass_n if self.pass_n else None

    @property
    def dispute_rate(self) -> float | None:
        """Evaluations disputed ÷ evaluations in the period."""
        return self.disputes / self.evaluations if self.evaluations else None


def teams_compared(filters: ReportFilters) -> list[TeamRow]:
    """Every team with evaluations in the period, by name."""
    # Each disputed evaluation once, joined to the period's evaluations: two EXISTS probes
    # for each of them cost more, and on PostgreSQL their estimate set off JIT compilation.
    disputes = (
        sa.select(
            Dispute.evaluation_id,
            sa.func.count().filter(Dispute.status == DisputeStatus.UPHELD).label("upheld"),
        )
        .group_by(Dispute.evaluation_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Team.id,
            Team.name,
            sa.func.count(Evaluation.id),
            *_score_sums(),
            sa.func.count().filter(Evaluation.passed.is_(True)),
            sa.func.count(Evaluation.passed),
            sa.func.count().filter(Evaluation.auto_failed.is_(True)),
            sa.func.count(disputes.c.evaluation_id),
            sa.func.count().filter(disputes.c.upheld > 0),
        )
        .join(User, User.id == Evaluation.agent_id)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(disputes, disputes.c.evaluation_id == Evaluation.id)
        .where(*filters.evaluation_conditions())
        .group_by(Team.id, Team.name)
        .order_by(Team.name)
    )
    return [
        TeamRow(team_id, name, count, mean_with_interval_from_sums(n, total, squares),
                passed, pass_n, failures, disputes, upheld_n)
        for team_id, name, count, n, total, squares, passed, pass_n, failures, disputes, upheld_n
        in rows
    ]  # fmt: skip


def month_starts(end: date, months: int) -> list[date]:
    """The first days of the `months` calendar months up to `end`, oldest first."""
    first = end.replace(day=1)
    starts = [first]
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        starts.append(first)
    return starts[::-1]


@dataclass(frozen=True)
class TeamTrend:
    """A team's QA mean per month (None for a month without scored evaluations)."""

    team_id: int | None
    name: str | None
    months: list[MeanWithInterval]


def trend_months(filters: ReportFilters) -> int:
    """How many calendar months the period touches, at most MAX_TREND_MONTHS."""
    start, end = filters.start, filters.end
    touched = (end.year - start.year) * 12 + end.month - start.month + 1
    return max(1, min(MAX_TREND_MONTHS, touched))


def monthly_trend_by_team(
    filters: ReportFilters, months: int | None = None
) -> tuple[list[date], list[TeamTrend]]:
    """Each team's QA mean per calendar month (centre's time zone) of the period — its first
    month from the period's start, its last up to its end (the last MAX_TREND_MONTHS of a
    longer one) — or, with `months`, over the `months` whole months up to the end; one query
    grouped by team and month."""
    starts = month_starts(filters.end, months or trend_months(filters))
    edges: list[datetime] = [local_midnight(start, filters.tz) for start in starts]
    first = starts[0] if months else max(starts[0], filters.start)
    trend_filters = filters.with_period(first, filters.end)
    # The month's index: the filters keep submitted_at within the first month's start and
    # the end, so the last month takes everything after its first midnight. Grouped outside
    # a subquery, so that PostgreSQL groups by the column, not by a second copy of the CASE
    # with its own parameters.
    # One month has no edge to compare with, and a CASE without WHEN is no SQL.
    month: sa.ColumnElement[int] = (
        sa.case(
            *((Evaluation.submitted_at < edge, index) for index, edge in enumerate(edges[1:])),
            else_=len(edges) - 1,
        )
        if len(edges) > 1
        else sa.literal(0)
    )
    scores = (
        sa.select(
            Team.id.label("team_id"),
            Team.name.label("name"),
            month.label("month"),
            Evaluation.score.label("score"),
        )
        .join(User, User.id == Evaluation.agent_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(*trend_filters.evaluation_conditions())
        .subquery()
    )
    rows = db.session.execute(
        sa.select(scores.c.team_id, scores.c.name, scores.c.month, *_score_sums(scores.c.score))
        .group_by(scores.c.team_id, scores.c.name, scores.c.month)
        .order_by(scores.c.name, scores.c.team_id)
    )
    sums: dict[int | None, tuple[str | None, list[MeanWithInterval]]] = {}
    empty = mean_with_interval_from_sums(0, 0.0, 0.0)
    for team_id, name, index, n, total, squares in rows:
        points = sums.setdefault(team_id, (name, [empty] * len(starts)))[1]
        points[index] = mean_with_interval_from_sums(int(n), float(total), float(squares))
    trends = [TeamTrend(team_id, name, points) for team_id, (name, points) in sums.items()]
    return starts, trends


@dataclass(frozen=True)
class CriterionAverage:
    """A criterion's mean r over its non-N/A answers in the period."""

    key: str
    label: str
    mean: float
    n: int


@dataclass(frozen=True)
class CriterionSums:
    """A criterion's mean r and n, with its stored label: numbers only, before the label is
    put in the reader's language (what the centre dashboard's cache keeps)."""

    key: str
    stored_label: str
    mean: float
    n: int


def weakest_criteria(filters: ReportFilters, limit: int = 10) -> list[CriterionAverage]:
    """The criteria with the lowest mean r across the filtered evaluations (at least two
    answers each), weakest first."""
    return criteria_in_reader_language(weakest_criteria_sums(filters, limit))


def criteria_in_reader_language(rows: list[CriterionSums]) -> list[CriterionAverage]:
    """The criteria's averages labelled in the reader's language."""
    labels = labels_in_reader_language({row.key: row.stored_label for row in rows})
    return [CriterionAverage(row.key, labels[row.key], row.mean, row.n) for row in rows]


def weakest_criteria_sums(filters: ReportFilters, limit: int = 10) -> list[CriterionSums]:
    """weakest_criteria's figures, with the labels as stored."""
    # Summed per criterion and scorecard version first, labelled afterwards: a label looked up
    # per answer row costs a subquery for each of a centre's million answers.
    per_version = (
        sa.select(
            Answer.criterion_key.label("key"),
            Evaluation.scorecard_version_id.label("version_id"),
            sa.func.sum(Answer.normalised).label("total"),
            sa.func.count(Answer.normalised).label("n"),
        )
        .join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .where(*filters.evaluation_conditions(), Answer.normalised.is_not(None))
        .group_by(Answer.criterion_key, Evaluation.scorecard_version_id)
        .subquery()
    )
    n = sa.func.sum(per_version.c.n)
    mean = sa.func.sum(per_version.c.total) / sa.cast(n, sa.Float)
    found = db.session.execute(
        sa.select(per_version.c.key, sa.func.max(ScorecardCriterion.label), mean, n)
        .outerjoin(
            ScorecardCriterion,
            sa.and_(
                ScorecardCriterion.version_id == per_version.c.version_id,
                ScorecardCriterion.key == per_version.c.key,
            ),
        )
        .group_by(per_version.c.key)
        .having(n >= 2)
        .order_by(mean, per_version.c.key)
        .limit(limit)
    )
    return [CriterionSums(key, name or key, float(m), int(n)) for key, name, m, n in found]


@dataclass(frozen=True)
class EvaluatorRow:
    """An evaluator's scores against the centre: mean, spread, and how clearly they differ."""

    evaluator_id: int
    name: str
    qa: MeanWithInterval
    spread: float | None  # standard deviation of their scores
    difference: float | None  # their mean − the centre's mean
    z: float | None  # difference ÷ its standard error
    # From calibration sessions closed in the period: their deviation from the benchmark on
    # the same interactions, which replaces the comparison with the centre's mean.
    calibration: Drift | None = None

    @property
    def method(self) -> str:
        """ "calibration" when the row's figure comes from calibration, else "centre"."""
        return "centre" if self.calibration is None else "calibration"

    @property
    def tendency(self) -> str | None:
        """ "harsh" or "lenient" when the difference is clear (|z| ≥ 1.96), else None."""
        if self.z is None or abs(self.z) < CLEAR_DIFFERENCE_Z:
            return None
        return "harsh" if self.z < 0 else "lenient"


def calibration_drift(filters: ReportFilters) -> dict[int, Drift]:
    """Each evaluator's drift from the benchmark in the calibration sessions closed within
    the filters' period (on their scorecard when one is chosen); teams and channels do not
    apply, since everyone in a session scored the same interactions."""
    start, end = filters.bounds()
    return evaluator_drift(
        closed_between(start, end, scorecard_id=filters.scorecard_id), filters.tz
    )


def evaluator_consistency(filters: ReportFilters) -> tuple[MeanWithInterval, list[EvaluatorRow]]:
    """Each evaluator's mean score and spread against the centre's, with the z of the
    difference (the centre's spread over √n), so harsh and lenient scorers stand out; where
    calibration sessions of the period compared the evaluator with a benchmark, that drift
    (`calibration_drift`) is the row's method instead."""
    conditions = filters.evaluation_conditions()
    n, total, squares = db.session.execute(sa.select(*_score_sums()).where(*conditions)).one()
    centre = mean_with_interval_from_sums(int(n), float(total), float(squares))
    centre_spread = stdev_from_sums(int(n), float(total), float(squares))
    rows = db.session.execute(
        sa.select(User.id, User.display_name, *_score_sums())
        .join(User, User.id == Evaluation.evaluator_id)
        .where(*conditions)
        .group_by(User.id, User.display_name)
        .order_by(User.display_name)
    )
    evaluators = []
    for evaluator_id, name, count, subtotal, subsquares in rows:
        qa = mean_with_interval_from_sums(int(count), float(subtotal), float(subsquares))
        difference = z = None
        if qa.mean is not None and centre.mean is not None:
            difference = qa.mean - centre.mean
            if centre_spread and count:
                z = difference / (centre_spread / math.sqrt(count))
        evaluators.append(
            EvaluatorRow(
                evaluator_id,
                name,
                qa,
                stdev_from_sums(int(count), float(subtotal), float(subsquares)),
                difference,
                z,
            )
        )
    drift = calibration_drift(filters)
    return centre, [replace(row, calibration=drift.get(row.evaluator_id)) for row in evaluators]
