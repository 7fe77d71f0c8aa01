"""Sampling to reach ±H for every agent this month: each agent gets the evaluations they
still need (as "How many evaluations are enough?" counts them), within a maximum total and
the interactions there are, most needed first, reproducibly with the seed."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.changes import Vocabulary, event_changes
from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.evaluations.models import Assignment, Sample
from qa_app.evaluations.sample_needs import ReachTarget, allocate, month_of
from qa_app.evaluations.sampling import SampleFilters, SamplingError, draw_sample
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.stats.filters import ReportFilters
from qa_app.stats.needed import needs_by_agent
from qa_app.teams.models import Team
from tests.conftest import post_form
from tests.evaluations.test_sampling import END, START, _form
from tests.evaluations.test_sampling import centre as centre  # noqa: F401  (the fixture)
from tests.stats.test_needed import FEW, STEADY, add_scored, pooled, scipy_needed

MARCH = datetime(2026, 3, 10, 12, tzinfo=UTC)
AVAILABLE = 19  # interactions of each agent in the period (see the `centre` fixture)

# --- allocate --------------------------------------------------------------------------------


def test_allocate_gives_each_what_they_need_when_there_is_enough() -> None:
    result = allocate([(1, 5), (2, 3), (3, 0)], {1: 10, 2: 10, 3: 10}, 100)
    assert result.counts == {1: 5, 2: 3}
    assert (result.short_of_interactions, result.short_of_total) == ((), ())


def test_allocate_serves_the_most_needed_first_up_to_the_total() -> None:
    result = allocate([(1, 5), (2, 3), (3, 4)], {1: 10, 2: 10, 3: 10}, 7)
    assert result.counts == {1: 5, 2: 2}
    assert result.short_of_total == (2, 3)
    assert sum(result.counts.values()) == 7


def test_allocate_never_more_than_there_are_interactions() -> None:
    result = allocate([(1, 5), (2, 3)], {1: 2}, 100)
    assert result.counts == {1: 2}
    assert result.short_of_interactions == (1, 2)
    assert result.short_of_total == ()


def test_allocate_counts_open_assignments_as_on_their_way() -> None:
    result = allocate([(1, 5), (2, 3), (3, 4)], {1: 10, 2: 10, 3: 10}, 100, {1: 3, 2: 7})
    assert result.counts == {1: 2, 3: 4}
    assert result.pending_counted == 3 + 3  # never more than the need
    assert (result.short_of_interactions, result.short_of_total) == ((), ())


@pytest.mark.parametrize(
    ("day", "month"),
    [
        (date(2026, 3, 22), (date(2026, 3, 1), date(2026, 3, 31))),
        (date(2028, 2, 1), (date(2028, 2, 1), date(2028, 2, 29))),
        (date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
    ],
)
def test_the_month_a_sample_counts(day: date, month: tuple[date, date]) -> None:
    assert month_of(day) == month


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (ReachTarget(0, 10), "Choose an interval of ±1 to ±50 points; ±0 is not one."),
        (ReachTarget(51, 10), "±51 is not one."),
        (ReachTarget(5, 0), "Choose between 1 and 1000 evaluations in all."),
        (ReachTarget(5, 1001), "Choose between 1 and 1000 evaluations in all."),
    ],
)
def test_a_target_out_of_range_is_named(target: ReachTarget, words: str) -> None:
    assert any(words in problem for problem in target.problems())


# --- drawing ---------------------------------------------------------------------------------


@pytest.fixture
def scored(app: Flask, centre: dict[str, Any]) -> dict[str, Any]:
    """X1 with twelve scores of March (their own spread), X2 with three (the team's), Y1 of
    the other team with three; every evaluated call is of February, outside the period."""
    with app.app_context():
        evaluator = db.session.get_one(User, centre["s1"].id)
        add_scored(db.session.get_one(User, centre["x1"].id), evaluator, STEADY, submitted_at=MARCH)
        add_scored(db.session.get_one(User, centre["x2"].id), evaluator, FEW, submitted_at=MARCH)
        other = db.session.get_one(User, centre["s3"].id)
        add_scored(db.session.get_one(User, centre["y1"].id), other, FEW, submitted_at=MARCH)
        db.session.commit()
    return centre


def still(centre: dict[str, Any], half_width: int = 5) -> dict[int, int]:
    """What each agent still needs, recomputed with SciPy from the fixed scores."""
    return {
        centre["x1"].id: scipy_needed(statistics.stdev(STEADY), half_width) - len(STEADY),
        centre["x2"].id: scipy_needed(pooled(STEADY, FEW), half_width) - len(FEW),
    }


def reach(centre: dict[str, Any], half_width: int = 5, max_total: int = 1000, **kwargs: Any) -> Any:
    return draw_sample(
        db.session.get_one(Team, centre["team_id"]),
        kwargs.pop("start", START),
        kwargs.pop("end", END),
        ReachTarget(half_width, max_total),
        kwargs.pop("seed", 7),
        db.session.get_one(User, centre["s1"].id),
        **kwargs,
    )


def drawn(result: Any) -> dict[int, list[int]]:
    """The interactions the sample assigned, by agent."""
    by_agent: dict[int, list[int]] = {}
    rows = db.session.execute(
        sa.select(Interaction.agent_id, Interaction.id)
        .join(Assignment, Assignment.interaction_id == Interaction.id)
        .where(Assignment.sample_id == result.sample.id)
        .order_by(Interaction.id)
    )
    for agent_id, interaction_id in rows:
        by_agent.setdefault(agent_id, []).append(interaction_id)
    return by_agent


def test_each_agent_gets_what_they_still_need(scored: dict[str, Any], app_context: None) -> None:
    expected = still(scored)
    assert all(0 < n <= AVAILABLE for n in expected.values())
    result = reach(scored)
    db.session.flush()
    assert result.per_agent == expected
    picked = drawn(result)
    assert {agent: len(ids) for agent, ids in picked.items()} == expected
    for agent_id, ids in picked.items():
        assert set(ids) <= set(scored["eligible"][agent_id])
    # The page's figures for the month the period ends in are the same.
    page = needs_by_agent(ReportFilters(*month_of(END), team_id=scored["team_id"]), 5)
    assert {n.agent_id: n.still_needed for n in page} == expected
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sample.drawn"))
    assert event is not None
    assert event.after["to_reach"] == {
        "half_width": 5,
        "max_total": 1000,
        "from": "2026-03-01",
        "to": "2026-03-31",
    }
    assert "per_agent" not in event.after
    assert event.after["assigned"] == sum(expected.values())
    lines = [line.text for line in event_changes(None, event.after, Vocabulary("en", {}))]
    assert "As many as each agent still needs – Interval ± points: 5" in lines
    assert "As many as each agent still needs – At most, in all: 1,000" in lines


def test_a_second_sample_in_the_month_does_not_draw_what_is_on_its_way(
    scored: dict[str, Any], app_context: None
) -> None:
    expected = still(scored)
    x1, x2 = scored["x1"].id, scored["x2"].id
    first = reach(scored, max_total=expected[x2] + 2)  # x1 gets 2 of what it needs
    db.session.flush()
    assert first.per_agent == {x2: expected[x2], x1: 2}
    again = reach(scored, seed=8)
    db.session.flush()
    # Nothing is scored yet: the first sample's assignments count, only x1's rest is drawn.
    assert again.per_agent == {x1: expected[x1] - 2}
    assert again.allocation.pending_counted == expected[x2] + 2
    assert set(drawn(again)) == {x1}
    assert not set(drawn(again)[x1]) & set(drawn(first)[x1])


def test_the_maximum_total_goes_to_the_most_needed_first(
    scored: dict[str, Any], app_context: None
) -> None:
    expected = still(scored)
    x1, x2 = scored["x1"].id, scored["x2"].id
    assert expected[x2] > expected[x1]  # both straddle 80: the larger need first
    result = reach(scored, max_total=expected[x2] + 2)
    db.session.flush()
    assert result.per_agent == {x2: expected[x2], x1: 2}
    assert result.allocation.short_of_total == (x1,)
    assert sum(len(ids) for ids in drawn(result).values()) == expected[x2] + 2


def test_the_same_seed_draws_the_same_and_another_seed_another(
    scored: dict[str, Any], app_context: None
) -> None:
    first = drawn(reach(scored, seed=41))
    db.session.rollback()
    assert drawn(reach(scored, seed=41)) == first
    db.session.rollback()
    assert drawn(reach(scored, seed=42)) != first


def test_the_other_filters_still_apply(scored: dict[str, Any], app_context: None) -> None:
    result = reach(scored, filters=SampleFilters(channels=("chat",)))
    db.session.flush()
    chats = 6  # three weeks × two a week
    assert result.per_agent == {agent: min(n, chats) for agent, n in still(scored).items()}
    assert result.allocation.short_of_interactions == tuple(
        agent for agent, n in sorted(still(scored).items(), key=lambda pair: -pair[1]) if n > chats
    )
    for ids in drawn(result).values():
        channels = db.session.scalars(sa.select(Interaction.channel).where(Interaction.id.in_(ids)))
        assert set(channels) == {"chat"}


def test_only_the_teams_active_agents(scored: dict[str, Any], app_context: None) -> None:
    result = reach(scored)
    db.session.flush()
    assert set(drawn(result)) == {scored["x1"].id, scored["x2"].id}  # not Y1, not the idle one


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"half_width": 0}, "Choose an interval of ±1 to ±50 points"),
        ({"max_total": 0}, "evaluations in all"),
        # April has no evaluations yet: no spread to compute a need from.
        ({"start": date(2026, 4, 1), "end": date(2026, 4, 5)}, "the spread of their scores"),
    ],
)
def test_nothing_is_written_when_the_sample_is_refused(
    kwargs: dict[str, Any], words: str, scored: dict[str, Any], app_context: None
) -> None:
    with pytest.raises(SamplingError, match=words):
        reach(scored, **kwargs)
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count(Sample.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0
    assert (
        db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sample.drawn")) is None
    )


# --- the form --------------------------------------------------------------------------------


def test_the_form_samples_to_reach_and_explains_the_cap(
    app: Flask, scored: dict[str, Any], sign_in_as: Callable[[User], FlaskClient]
) -> None:
    supervisor = sign_in_as(scored["s1"])
    page = supervisor.get("/evaluations/sample").get_data(as_text=True)
    assert 'value="to_reach"' in page and 'name="half_width"' in page and 'value="5"' in page
    expected = still(scored)
    total = max(expected.values()) + 1
    response = post_form(
        supervisor,
        "/evaluations/sample",
        _form(
            scored["team_id"],
            allocation="to_reach",
            per_agent="",
            half_width=5,
            max_total=total,
        ),
        follow_redirects=True,
    )
    assert response.request.path == "/evaluations/queue"
    text = response.get_data(as_text=True)
    assert f"Assigned {total} interactions (seed 11)." in text
    assert "The most in all was reached: 1 agent got fewer evaluations than they need" in text


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"half_width": ""}, "Choose the interval half-width to reach."),
        ({"max_total": ""}, "Choose the most evaluations to draw in all."),
        ({"allocation": "fixed"}, "Choose how many evaluations each agent gets."),
        ({"allocation": "most"}, "Not a valid choice"),
    ],
)
def test_the_form_names_what_is_missing(
    changes: dict[str, Any],
    words: str,
    app: Flask,
    scored: dict[str, Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    data = (
        _form(scored["team_id"], allocation="to_reach", per_agent="", half_width=5, max_total=20)
        | changes
    )
    response = post_form(sign_in_as(scored["s1"]), "/evaluations/sample", data)
    assert response.status_code == 200
    assert words in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Sample.id))) == 0
