"""How many evaluations are enough: the sample size recomputed with SciPy, the spread used
(own or the team's), the order of the agents, and the page (numbers, words, access)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from scipy import stats as scipy_stats

from qa_app.auth.models import User
from qa_app.evaluations.models import Evaluation, EvaluationStatus
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.stats.evidence import evaluations_needed
from qa_app.stats.filters import ReportFilters
from qa_app.stats.needed import (
    OWN_SPREAD_FROM,
    AgentScores,
    SpreadSource,
    agent_needs,
    needs_by_agent,
    pooled_spread,
)
from qa_app.stats.performance import mean_with_interval
from tests.conftest import Organisation

# Fixed scores: twelve of one agent, three of another.
STEADY = [62, 71, 85, 90, 77, 68, 94, 81, 73, 88, 79, 66]
FEW = [70, 85, 90]
HIGH = [92, 94, 96, 93, 95, 97, 91, 94, 96, 95, 93, 94]


def scipy_needed(spread: float, half_width: float) -> int:
    """The smallest n ≥ 2 with t(0.975, n − 1)·s/√n ≤ H, by counting up from 2."""
    n = 2
    while scipy_stats.t.ppf(0.975, n - 1) * spread / math.sqrt(n) > half_width:
        n += 1
    return n


def scores(agent_id: int, values: Sequence[float], name: str = "", mark: float = 80) -> AgentScores:
    """An agent's sums as SQL makes them."""
    return AgentScores(
        agent_id,
        name or f"Agent {agent_id}",
        len(values),
        float(sum(values)),
        float(sum(v * v for v in values)),
        mark if values else None,
    )


def pooled(*groups: Sequence[float]) -> float:
    """The pooled within-agent standard deviation, from the raw scores."""
    squares = sum(sum((v - statistics.fmean(g)) ** 2 for v in g) for g in groups if len(g) > 1)
    degrees = sum(len(g) - 1 for g in groups if len(g) > 1)
    return math.sqrt(squares / degrees)


# --- the formula and the spread ------------------------------------------------------------


@pytest.mark.parametrize("half_width", [2, 5, 7.5, 10, 20])
def test_evaluations_needed_is_the_smallest_n_scipy_finds(half_width: float) -> None:
    spread = statistics.stdev(STEADY)
    n = evaluations_needed(spread, half_width)
    assert n == scipy_needed(spread, half_width)
    assert scipy_stats.t.ppf(0.975, n - 1) * spread / math.sqrt(n) <= half_width
    if n > 2:
        assert scipy_stats.t.ppf(0.975, n - 2) * spread / math.sqrt(n - 1) > half_width


def test_a_spread_of_ten_points_needs_eighteen_for_five() -> None:
    # t(0.975, 17) = 2.1098: 2.1098 × 10 / √18 = 4.97 ≤ 5; t(0.975, 16) × 10 / √17 = 5.14.
    assert evaluations_needed(10, 5) == 18


def test_an_agent_with_enough_evaluations_uses_their_own_spread() -> None:
    assert len(STEADY) >= OWN_SPREAD_FROM
    [steady, few] = sorted(agent_needs([scores(1, STEADY), scores(2, FEW)], 5), key=_id)
    assert steady.spread_source == SpreadSource.OWN
    assert steady.spread == pytest.approx(statistics.stdev(STEADY))
    assert steady.needed == scipy_needed(statistics.stdev(STEADY), 5)
    assert steady.still_needed == max(0, steady.needed - len(STEADY))
    # Three of their own are too few: the team's pooled spread, from both agents' scores.
    assert few.spread_source == SpreadSource.TEAM
    assert few.spread == pytest.approx(pooled(STEADY, FEW))
    assert few.needed == scipy_needed(pooled(STEADY, FEW), 5)
    assert few.still_needed == few.needed - 3


def test_the_threshold_of_the_own_spread() -> None:
    nine, ten = STEADY[:9], STEADY[:10]
    below = agent_needs([scores(1, nine), scores(2, FEW)], 5)
    at = agent_needs([scores(1, ten), scores(2, FEW)], 5)
    assert {n.agent_id: n.spread_source for n in below}[1] == SpreadSource.TEAM
    assert {n.agent_id: n.spread_source for n in at}[1] == SpreadSource.OWN


def test_the_pooled_spread_leaves_out_agents_with_one_score() -> None:
    assert pooled_spread([scores(1, STEADY), scores(2, FEW), scores(3, [55])]) == pytest.approx(
        pooled(STEADY, FEW)
    )
    assert pooled_spread([scores(1, [80]), scores(2, [])]) is None


def test_without_any_spread_the_need_is_not_known() -> None:
    needs = agent_needs([scores(1, [80]), scores(2, [])], 5)
    assert [(n.spread_source, n.needed, n.still_needed) for n in needs] == [
        (SpreadSource.NONE, None, None),
        (SpreadSource.NONE, None, None),
    ]


def test_the_interval_is_the_agent_pages_interval() -> None:
    [need] = [n for n in agent_needs([scores(1, FEW), scores(2, STEADY)], 5) if n.agent_id == 1]
    expected = mean_with_interval(FEW)
    assert (need.qa.n, need.qa.high) == (expected.n, expected.high)
    assert (need.qa.mean, need.qa.low) == pytest.approx((expected.mean, expected.low))


# --- pass or fail known, and the order -----------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "known", "passes"),
    [
        (80, 90, True, True),  # the whole interval at or above the pass mark
        (70, 79.9, True, False),
        (70, 80, False, None),  # 80 is in the interval: could pass
        (79.9, 95, False, None),
    ],
)
def test_pass_or_fail_is_known_only_when_the_interval_is_on_one_side(
    low: float, high: float, known: bool, passes: bool | None
) -> None:
    [need] = agent_needs([scores(1, [low, high])], 5)
    mean, half = (low + high) / 2, (high - low) / 2
    need = _with_interval(need, mean - half, mean + half)
    assert (need.pass_known, need.passes) == (known, passes)


def test_unknown_pass_or_fail_first_then_the_most_still_needed() -> None:
    agents = [
        scores(1, HIGH, "Passes clearly"),  # interval ≈ 93–95: known, needs nothing more
        scores(2, FEW, "Straddles with three"),
        scores(3, [*FEW, 80, 84], "Straddles with five"),
        scores(4, [40, 45, 50, 42, 48], "Fails clearly"),
        scores(5, [], "Nothing yet"),
        scores(6, [75], "One only"),
    ]
    needs = agent_needs(agents, 5)
    order = [n.name for n in needs]
    unknown = [n for n in needs if not n.pass_known]
    assert {n.name for n in unknown} == {
        "Straddles with three",
        "Straddles with five",
        "Nothing yet",
        "One only",
    }
    assert order[: len(unknown)] == [n.name for n in unknown]
    still = [n.still_needed or 0 for n in unknown]
    assert still == sorted(still, reverse=True)
    assert order[0] == "Nothing yet"  # the same need as the others, and none done
    assert order[-2:] == ["Fails clearly", "Passes clearly"]


def _id(need: Any) -> int:
    return int(need.agent_id)


def _with_interval(need: Any, low: float, high: float) -> Any:
    return replace(need, qa=replace(need.qa, low=low, high=high))


# --- from the database, and the page -------------------------------------------------------

NOVEMBER = datetime(2026, 11, 10, 12, tzinfo=UTC)


def add_scored(
    agent: User, evaluator: User, values: Sequence[float], *, submitted_at: datetime = NOVEMBER
) -> None:
    """Released evaluations of `agent` with the given scores on the "Test call" scorecard,
    each on an interaction of its own a month before it was submitted."""
    version_id = db.session.scalar(
        sa.select(ScorecardVersion.id)
        .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
        .where(Scorecard.slug == "test-call")
    )
    for position, value in enumerate(values):
        interaction = Interaction(
            agent_id=agent.id,
            channel="phone",
            occurred_at=submitted_at - timedelta(days=30, minutes=position),
        )
        db.session.add(interaction)
        db.session.flush()
        db.session.add(
            Evaluation(
                interaction_id=interaction.id,
                agent_id=agent.id,
                evaluator_id=evaluator.id,
                scorecard_version_id=version_id,
                status=EvaluationStatus.RELEASED,
                score=value,
                raw_score=value,
                passed=value >= 80,
                submitted_at=submitted_at + timedelta(minutes=position),
                released_at=submitted_at + timedelta(minutes=position),
            )
        )
    db.session.flush()


@pytest.fixture
def scored_org(app: Flask, org: Organisation, make_scorecard: Callable[..., str]) -> Organisation:
    """Team A: A1 with twelve steady scores, A2 with three that straddle the pass mark; team B:
    B1 with three; all submitted in November 2026, plus one of A1 in October."""
    make_scorecard()
    with app.app_context():
        add_scored(org.agent_a1, org.supervisor_a, HIGH)
        add_scored(org.agent_a2, org.supervisor_a, FEW)
        add_scored(org.agent_b1, org.supervisor_b, [50, 60, 70])
        add_scored(
            org.agent_a1, org.supervisor_a, [10], submitted_at=datetime(2026, 10, 5, tzinfo=UTC)
        )
        db.session.commit()
    return org


def test_needs_by_agent_counts_the_period_and_the_team(
    scored_org: Organisation, app_context: None
) -> None:
    org = scored_org
    filters = ReportFilters(date(2026, 11, 1), date(2026, 11, 30), team_id=org.team_a.id)
    needs = {n.agent_id: n for n in needs_by_agent(filters, 5)}
    assert set(needs) == {org.agent_a1.id, org.agent_a2.id}  # not B1; the October one not
    a1, a2 = needs[org.agent_a1.id], needs[org.agent_a2.id]
    assert (a1.qa.n, a1.spread_source, a1.pass_mark) == (12, SpreadSource.OWN, 80)
    assert a1.qa.mean == pytest.approx(statistics.fmean(HIGH))
    assert a1.spread == pytest.approx(statistics.stdev(HIGH))
    # A2's spread is team A's pooled one: B1's scores do not enter it.
    assert a2.spread == pytest.approx(pooled(HIGH, FEW))
    assert a2.needed == scipy_needed(pooled(HIGH, FEW), 5)
    assert [n.agent_id for n in needs_by_agent(filters, 5)] == [org.agent_a2.id, org.agent_a1.id]


def test_inactive_agents_are_left_out(scored_org: Organisation, app_context: None) -> None:
    db.session.get_one(User, scored_org.agent_a2.id).active = False
    filters = ReportFilters(date(2026, 11, 1), date(2026, 11, 30), team_id=scored_org.team_a.id)
    assert [n.agent_id for n in needs_by_agent(filters, 5)] == [scored_org.agent_a1.id]


PAGE = "/stats/needed?team_id={team}&start=2026-11-01&end=2026-11-30&half_width=5"


def test_the_page_shows_numbers_and_words(
    scored_org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    org = scored_org
    response = sign_in_as(org.manager).get(PAGE.format(team=org.team_a.id))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "How many evaluations are enough?" in text
    few = mean_with_interval(FEW)
    assert few.low is not None and few.high is not None
    still = scipy_needed(pooled(HIGH, FEW), 5) - 3
    assert f"Needs {still} more to know the score within ±5 points." in text
    assert (
        f"Interval {few.low:.1f}–{few.high:.1f} includes the pass mark 80: "
        "pass or fail is not known yet." in text
    )
    high = mean_with_interval(HIGH)
    assert high.low is not None and high.high is not None
    assert "Enough evaluations to know the score within ±5 points." in text
    assert (
        f"Interval {high.low:.1f}–{high.high:.1f} is at or above the pass mark 80: passes." in text
    )
    assert f"{statistics.stdev(HIGH):.1f} points: their own" in text
    assert f"{pooled(HIGH, FEW):.1f} points: the team's (fewer than 10 of their own)" in text
    # The straddling agent first.
    assert text.index(f'data-agent="{org.agent_a2.id}"') < text.index(
        f'data-agent="{org.agent_a1.id}"'
    )


def test_the_page_takes_the_half_width_from_the_filter(
    scored_org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    org = scored_org
    path = PAGE.format(team=org.team_a.id).replace("half_width=5", "half_width=2")
    text = sign_in_as(org.manager).get(path).get_data(as_text=True)
    still = scipy_needed(pooled(HIGH, FEW), 2) - 3
    assert f"Needs {still} more to know the score within ±2 points." in text


@pytest.mark.parametrize("half_width", ["0", "51", "five"])
def test_the_page_refuses_a_half_width_out_of_range(
    half_width: str, scored_org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    org = scored_org
    path = PAGE.format(team=org.team_a.id).replace("half_width=5", f"half_width={half_width}")
    response = sign_in_as(org.manager).get(path)
    assert response.status_code == 400
    assert f'data-agent="{org.agent_a1.id}"' not in response.get_data(as_text=True)


def test_agents_are_refused(
    scored_org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    assert sign_in_as(scored_org.agent_a1).get("/stats/needed").status_code == 403


def test_supervisors_see_only_their_teams(
    scored_org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    org = scored_org
    supervisor = sign_in_as(org.supervisor_a)
    own = supervisor.get(PAGE.format(team=org.team_a.id)).get_data(as_text=True)
    assert f'data-agent="{org.agent_a1.id}"' in own
    assert "Team B" not in own
    other = supervisor.get(PAGE.format(team=org.team_b.id))
    assert other.status_code == 400
    assert f'data-agent="{org.agent_b1.id}"' not in other.get_data(as_text=True)
    # Without a team chosen: their first team, never another.
    default = sign_in_as(org.supervisor_b).get("/stats/needed?start=2026-11-01&end=2026-11-30")
    text = default.get_data(as_text=True)
    assert f'data-agent="{org.agent_b1.id}"' in text
    assert f'data-agent="{org.agent_a1.id}"' not in text


def test_managers_see_every_team(
    scored_org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    org = scored_org
    text = sign_in_as(org.manager).get(PAGE.format(team=org.team_b.id)).get_data(as_text=True)
    assert f'data-agent="{org.agent_b1.id}"' in text
