"""Dashboards: every figure checked against the evaluations themselves, sorting, the trend,
the heat map, the centre's comparisons, scope, and a query count that does not grow with the
number of agents."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import Role, User
from qa_app.dashboards.centre import (
    evaluator_consistency,
    monthly_trend_by_team,
    teams_compared,
    weakest_criteria,
)
from qa_app.dashboards.team import heat_map, team_table
from qa_app.evaluations import services
from qa_app.evaluations.models import SCORED, Answer, Dispute, Evaluation
from qa_app.extensions import db
from qa_app.interactions.services import create_interaction
from qa_app.scorecards.models import Scorecard
from qa_app.stats.filters import ReportFilters
from qa_app.teams.models import Team
from tests.conftest import Organisation
from tests.support.exports_data import TODAY, WEEK, seed_export_data
from tests.support.queries import page_queries


@pytest.fixture
def data(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, Any]:
    return seed_export_data(app, org, make_scorecard, make_evaluation)


def _scored(start_days_ago: int | None = None) -> list[Evaluation]:
    """Scored evaluations in WEEK (or since `start_days_ago`), straight from the table."""
    evaluations = db.session.scalars(sa.select(Evaluation).where(Evaluation.status.in_(SCORED)))
    first = TODAY - timedelta(days=start_days_ago) if start_days_ago else WEEK[0]
    return [e for e in evaluations if first <= e.submitted_at.astimezone(UTC).date() <= WEEK[1]]


def test_the_agent_table_matches_the_evaluations(
    app: Flask, org: Organisation, data: dict[str, Any]
) -> None:
    with app.app_context():
        rows = {row.performance.agent_id: row for row in team_table(ReportFilters(*WEEK))}
        evaluations = _scored()
        for agent_id in {e.agent_id for e in evaluations}:
            own = [e for e in evaluations if e.agent_id == agent_id]
            scores = [e.score for e in own if e.score is not None]
            verdicts = [e.passed for e in own if e.passed is not None]
            performance = rows[agent_id].performance
            assert performance.evaluations == len(own)
            assert performance.qa.n == len(scores)
            assert performance.qa.mean == pytest.approx(statistics.fmean(scores))
            assert performance.pass_rate == pytest.approx(sum(verdicts) / len(verdicts))
            assert performance.critical_failures == sum(e.auto_failed for e in own)
        # Agent B2 has statistics and only a draft: a row without a QA average.
        b2 = rows[org.agent_b2.id].performance
        assert (b2.evaluations, b2.qa.mean, b2.totals.contacts_handled) == (0, None, 60)


def test_sorting_puts_rows_without_a_value_last(app: Flask, data: dict[str, Any]) -> None:
    with app.app_context():
        filters = ReportFilters(*WEEK)
        ascending = [row.performance.qa.mean for row in team_table(filters, "qa")]
        descending = [row.performance.qa.mean for row in team_table(filters, "qa", True)]
        values = [value for value in ascending if value is not None]
        assert ascending == [*sorted(values), None]
        assert descending == [*sorted(values, reverse=True), None]
        names = [row.performance.name for row in team_table(filters, "name")]
        assert names == sorted(names, key=str.casefold)
        # An unknown sort key falls back to the QA average.
        assert [r.performance.qa.mean for r in team_table(filters, "; DROP")] == ascending


def test_the_trend_compares_with_the_period_before(
    app: Flask, org: Organisation, data: dict[str, Any]
) -> None:
    """A 46-day period ending tomorrow: the period before holds A1's evaluation of 60 days
    ago."""
    with app.app_context():
        filters = ReportFilters(TODAY - timedelta(days=44), WEEK[1])
        row = next(r for r in team_table(filters) if r.performance.agent_id == org.agent_a1.id)
        old = db.session.get(Evaluation, data["a1_old"])
        now = [e.score for e in _scored(44) if e.agent_id == org.agent_a1.id]
        assert row.previous.n == 1
        assert row.trend == pytest.approx(statistics.fmean(now) - old.score)
        others = [r for r in team_table(filters) if r.performance.agent_id != org.agent_a1.id]
        assert all(r.trend is None for r in others)


def test_heat_map_cells_are_criterion_means(app: Flask, data: dict[str, Any]) -> None:
    with app.app_context():
        heat = heat_map(ReportFilters(*WEEK))
        ids = [e.id for e in _scored()]
        answers = db.session.execute(
            sa.select(Evaluation.agent_id, Answer.criterion_key, Answer.normalised)
            .join(Evaluation)
            .where(Evaluation.id.in_(ids), Answer.normalised.is_not(None))
        ).all()
        expected: dict[tuple[int, str], list[float]] = {}
        for agent_id, key, value in answers:
            expected.setdefault((agent_id, key), []).append(value)
        assert set(heat.cells) == set(expected)
        for cell, values in expected.items():
            assert heat.cells[cell] == (pytest.approx(statistics.fmean(values)), len(values))
        # Criteria weakest first over all agents.
        overall = {}
        for (_, key), values in expected.items():
            overall.setdefault(key, []).extend(values)
        means = [statistics.fmean(overall[key]) for key, _ in heat.criteria]
        assert means == sorted(means)
        assert dict(heat.criteria)["greeting"] in ("Greeting", "Greeting in chat")


def test_teams_compared_and_dispute_rates(
    app: Flask, org: Organisation, records: dict[str, int]
) -> None:
    with app.app_context():
        rows = {row.name: row for row in teams_compared(ReportFilters(*WEEK))}
        team_a = rows["Team A"]
        scored = [e for e in _scored() if db.session.get(User, e.agent_id).team_id == org.team_a.id]
        assert team_a.evaluations == len(scored) == 3
        assert team_a.qa.mean == pytest.approx(statistics.fmean(e.score for e in scored))
        disputed = db.session.scalar(sa.select(sa.func.count(sa.distinct(Dispute.evaluation_id))))
        assert team_a.disputes == disputed == 1
        assert team_a.dispute_rate == pytest.approx(1 / 3)
        assert team_a.upheld == 0
        assert "Team B" not in rows  # no evaluations there


def test_an_evaluation_disputed_twice_counts_once_and_its_figures_once(
    app: Flask, org: Organisation, records: dict[str, int]
) -> None:
    # The dispute counts come from a join: a second dispute must not count the evaluation,
    # nor its score, twice.
    with app.app_context():
        before = {row.name: row for row in teams_compared(ReportFilters(*WEEK))}["Team A"]
        db.session.add(
            Dispute(
                evaluation_id=records["disputed_id"],
                raised_by_id=org.agent_a1.id,
                reason="And the closing.",
                status="upheld",
            )
        )
        db.session.commit()
        after = {row.name: row for row in teams_compared(ReportFilters(*WEEK))}["Team A"]
        assert (after.disputes, after.upheld) == (1, 1)
        assert after.evaluations == before.evaluations == 3
        assert after.qa == before.qa
        assert (after.passed, after.pass_n) == (before.passed, before.pass_n)


def test_evaluator_consistency_flags_a_clearly_harsh_scorer(
    app: Flask, org: Organisation, data: dict[str, Any]
) -> None:
    with app.app_context():
        centre, evaluators = evaluator_consistency(ReportFilters(*WEEK))
        scores = [e.score for e in _scored() if e.score is not None]
        assert centre.mean == pytest.approx(statistics.fmean(scores))
        spread = statistics.stdev(scores)
        for row in evaluators:
            own = [
                e.score
                for e in _scored()
                if e.evaluator_id == row.evaluator_id and e.score is not None
            ]
            assert row.qa.mean == pytest.approx(statistics.fmean(own))
            assert row.difference == pytest.approx(statistics.fmean(own) - centre.mean)
            assert row.z == pytest.approx(row.difference / (spread / math.sqrt(len(own))))
            expected = None if abs(row.z) < 1.96 else ("harsh" if row.z < 0 else "lenient")
            assert row.tendency == expected
        manager = next(row for row in evaluators if row.evaluator_id == org.manager.id)
        assert manager.qa.mean == 0.0  # the auto-failed evaluation
        assert manager.spread is None  # one evaluation has no spread


def test_monthly_trend_and_weakest_criteria(app: Flask, data: dict[str, Any]) -> None:
    with app.app_context():
        filters = ReportFilters(*WEEK)
        months, trends = monthly_trend_by_team(filters, months=3)
        assert months[-1] == WEEK[1].replace(day=1) and len(months) == 3
        total = sum(point.n for trend in trends for point in trend.months)
        in_months = [
            e for e in _scored(120)
            if e.score is not None and e.submitted_at.astimezone(UTC).date() >= months[0]
        ]  # fmt: skip
        assert total == len(in_months)
        weakest = weakest_criteria(filters)
        assert [c.mean for c in weakest] == sorted(c.mean for c in weakest)
        assert all(c.n >= 2 for c in weakest)


def test_each_month_of_the_trend_is_its_own_evaluations_mean(
    app: Flask, org: Organisation, data: dict[str, Any]
) -> None:
    with app.app_context():
        months, trends = monthly_trend_by_team(ReportFilters(*WEEK), months=4)
        ends = [*months[1:], date.max]
        evaluations = [e for e in _scored(150) if e.score is not None]
        expected = {}
        for team in db.session.scalars(sa.select(Team)):
            per_month = [
                [
                    e.score
                    for e in evaluations
                    if db.session.get(User, e.agent_id).team_id == team.id
                    and first <= e.submitted_at.astimezone(UTC).date() < end
                ]
                for first, end in zip(months, ends, strict=True)
            ]
            if any(per_month):
                expected[team.name] = [
                    (len(scores), pytest.approx(statistics.fmean(scores)) if scores else None)
                    for scores in per_month
                ]
        assert sum(1 for scores in expected.values() for n, _ in scores if n) >= 2
        assert {t.name: [(p.n, p.mean) for p in t.months] for t in trends} == expected


def test_weakest_criteria_are_the_mean_r_over_their_answers(
    app: Flask, data: dict[str, Any]
) -> None:
    # Summed per scorecard version and labelled afterwards: still one mean over all answers.
    with app.app_context():
        ids = [e.id for e in _scored()]
        answers = db.session.execute(
            sa.select(Answer.criterion_key, Answer.normalised)
            .join(Evaluation)
            .where(Evaluation.id.in_(ids), Answer.normalised.is_not(None))
        ).all()
        expected: dict[str, list[float]] = {}
        for key, value in answers:
            expected.setdefault(key, []).append(value)
        weakest = weakest_criteria(ReportFilters(*WEEK), limit=100)
        assert {c.key: (c.mean, c.n) for c in weakest} == {
            key: (pytest.approx(statistics.fmean(values)), len(values))
            for key, values in expected.items()
            if len(values) >= 2
        }
        assert all(c.label and c.label != c.key for c in weakest)


def test_supervisors_see_their_teams_only(
    org: Organisation, data: dict[str, Any], sign_in_as: Callable[[User], FlaskClient]
) -> None:
    page = sign_in_as(org.supervisor_a).get("/dashboard/team").get_data(as_text=True)
    assert org.agent_a1.display_name in page
    assert org.agent_b1.display_name not in page
    other = sign_in_as(org.supervisor_b).get("/dashboard/team").get_data(as_text=True)
    assert org.agent_a1.display_name not in other
    assert sign_in_as(org.supervisor_a).get("/dashboard/centre").status_code == 403
    agent = sign_in_as(org.agent_a1)
    assert agent.get("/dashboard/team").status_code == 403
    assert agent.get("/dashboard/centre").status_code == 403


def test_a_bad_filter_is_explained_and_the_default_view_shown(
    org: Organisation, data: dict[str, Any], sign_in_as: Callable[[User], FlaskClient]
) -> None:
    response = sign_in_as(org.manager).get("/dashboard/centre?start=2026-12-01&end=2026-01-01")
    assert response.status_code == 400
    assert "The period ends before it starts." in response.get_data(as_text=True)
    assert "Teams compared" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/dashboard/team", "/dashboard/centre"])
def test_query_count_does_not_grow_with_agents(
    app: Flask,
    org: Organisation,
    data: dict[str, Any],
    make_user: Callable[..., User],
    sign_in_as: Callable[[User], FlaskClient],
    path: str,
) -> None:
    client = sign_in_as(org.manager)
    before = page_queries(app, client, path)
    newcomers = [make_user(Role.AGENT, org.team_a) for _ in range(5)]
    with app.app_context():
        card = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == "export-call"))
        supervisor = db.session.get(User, org.supervisor_a.id)
        for number, newcomer in enumerate(newcomers):
            agent = db.session.get(User, newcomer.id)
            interaction = create_interaction(
                agent,
                channel="phone",
                occurred_at=datetime.now(UTC),
                actor=supervisor,
                external_ref=f"MORE-{number}",
            )
            evaluation = services.start_evaluation(supervisor, interaction, card)
            answers = {"greeting": True, "empathy": 1 + number % 5, "verification": True}
            services.submit(
                evaluation, services.Edit(answers, {}, {}, evaluation.lock_version), supervisor
            )
        db.session.commit()
    assert page_queries(app, client, path) == before
