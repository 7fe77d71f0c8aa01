"""Sampling interactions to evaluate: random, reproducible, spread, and fairly assigned."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.evaluations import services
from qa_app.evaluations.models import Assignment, Sample
from qa_app.evaluations.sampling import MAX_PER_AGENT, SamplingError, draw_sample, stratified_pick
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard
from qa_app.scorecards.services import scorecard_for_channel, set_archived
from qa_app.teams.models import Team
from tests.conftest import SCORECARD_TOML, post_form

MULTI_TOML = (
    SCORECARD_TOML.replace('slug = "test-call"', 'slug = "any-contact"')
    .replace('name = "Test call"', 'name = "Any contact"')
    .replace('channels = ["phone"]', 'channels = ["phone", "chat", "email"]')
)
CHANNELS = ("phone", "chat", "email")
START, END = date(2026, 3, 2), date(2026, 3, 22)  # ISO weeks 10, 11 and 12 of 2026
WEEKS = 3
PER_STRATUM = 2
DUE_ON = date.today() + timedelta(days=30)  # the form refuses a due date already past


# --- stratified_pick -------------------------------------------------------------------------


def _candidates(strata: dict[Hashable, int]) -> list[tuple[int, Hashable]]:
    """`n` candidates per stratum, with ids numbered across strata."""
    result: list[tuple[int, Hashable]] = []
    for stratum, n in strata.items():
        first = len(result) + 1
        result.extend((first + i, stratum) for i in range(n))
    return result


GRID = {(channel, week): 4 for channel in CHANNELS for week in (10, 11, 12)}  # 9 strata × 4


@pytest.mark.parametrize(
    ("strata", "count", "expected"),
    [
        (GRID, 0, 0),
        (GRID, 1, 1),
        (GRID, 9, 9),
        (GRID, 20, 20),
        (GRID, 36, 36),
        (GRID, 100, 36),  # never more than there are
        ({}, 5, 0),
        ({("phone", 1): 3}, 5, 3),
    ],
)
def test_stratified_pick_takes_count_distinct_candidates(
    strata: dict[Hashable, int], count: int, expected: int
) -> None:
    candidates = _candidates(strata)
    for seed in range(20):
        picked = stratified_pick(candidates, count, random.Random(seed))
        assert len(picked) == expected
        assert len(set(picked)) == len(picked)
        assert set(picked) <= {item_id for item_id, _ in candidates}


@pytest.mark.parametrize("count", [1, 3, 5, 9, 10, 14, 18, 27, 35])
def test_stratified_pick_spreads_over_strata_before_repeating_one(count: int) -> None:
    candidates = _candidates(GRID)
    stratum_of = dict(candidates)
    for seed in range(30):
        picked = stratified_pick(candidates, count, random.Random(seed))
        per_stratum = Counter(stratum_of[item_id] for item_id in picked)
        if count <= len(GRID):
            assert len(per_stratum) == count  # every pick from another stratum
        else:
            assert len(per_stratum) == len(GRID)
        assert max(per_stratum.values()) - min(per_stratum.values()) <= 1


def test_stratified_pick_takes_small_strata_whole_and_fills_from_large_ones() -> None:
    candidates = _candidates({("rare", 1): 1, ("common", 1): 10, ("medium", 1): 2})
    stratum_of = dict(candidates)
    for seed in range(30):
        picked = stratified_pick(candidates, 7, random.Random(seed))
        assert Counter(stratum_of[item_id][0] for item_id in picked) == {
            "rare": 1,
            "medium": 2,
            "common": 4,
        }


@pytest.mark.parametrize("count", [1, 2, 3])
def test_stratified_pick_covers_every_channel_first(count: int) -> None:
    """Three channels × three weeks: a sample of three always has one of each channel."""
    candidates = _candidates(GRID)
    stratum_of = dict(candidates)
    for seed in range(50):
        picked = stratified_pick(candidates, count, random.Random(seed))
        assert len({stratum_of[item_id][0] for item_id in picked}) == count


def test_the_same_seed_picks_the_same_whatever_the_input_order() -> None:
    candidates = _candidates(GRID)
    shuffled = list(candidates)
    random.Random(99).shuffle(shuffled)
    for seed in (0, 1, 42, 2**31 - 1):
        first = stratified_pick(candidates, 6, random.Random(seed))
        assert stratified_pick(shuffled, 6, random.Random(seed)) == first
        assert stratified_pick(list(reversed(candidates)), 6, random.Random(seed)) == first


def test_different_seeds_pick_differently() -> None:
    candidates = _candidates(GRID)
    samples = {
        tuple(sorted(stratified_pick(candidates, 4, random.Random(seed)))) for seed in range(20)
    }
    assert len(samples) > 10


def test_stratified_pick_does_not_change_its_input() -> None:
    candidates = _candidates(GRID)
    copy = list(candidates)
    stratified_pick(candidates, 5, random.Random(1))
    assert candidates == copy


# --- scorecard_for_channel -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "scorecards", "expected"),
    [
        ("phone", [(1, ["phone", "chat"]), (2, ["phone"])], 2),  # the most specific
        ("chat", [(1, ["phone", "chat"]), (2, ["phone"])], 1),
        ("social", [(1, ["phone", "chat"]), (2, ["phone"])], None),
        ("phone", [(5, ["phone"]), (3, ["phone"]), (4, ["phone", "email"])], 3),  # tie: lower id
        ("email", [(7, ["email", "chat", "phone"]), (8, ["chat", "email"])], 8),
        ("email", [], None),
    ],
)
def test_scorecard_for_channel(
    channel: str, scorecards: list[tuple[int, list[str]]], expected: int | None
) -> None:
    assert scorecard_for_channel(channel, scorecards) == expected


# --- draw_sample -----------------------------------------------------------------------------


@pytest.fixture
def centre(
    app: Flask,
    make_user: Callable[..., User],
    make_team: Callable[..., Team],
    make_scorecard: Callable[..., str],
) -> dict[str, Any]:
    """A team with two supervisors, two active agents and an inactive one, each with
    interactions over three channels and three weeks (two per channel and week), plus some
    that must never be drawn; another team with its own supervisor and agent."""
    users = {
        "s1": make_user(Role.SUPERVISOR, email="s1@example.test"),
        "s2": make_user(Role.SUPERVISOR, email="s2@example.test"),
        "s3": make_user(Role.SUPERVISOR, email="s3@example.test"),
        "x1": make_user(Role.AGENT, email="x1@example.test"),
        "x2": make_user(Role.AGENT, email="x2@example.test"),
        "idle": make_user(Role.AGENT, email="idle@example.test", active=False),
        "y1": make_user(Role.AGENT, email="y1@example.test"),
        "manager": make_user(Role.MANAGER, email="boss@example.test"),
    }
    team = make_team(
        "Sampled",
        supervisors=[users["s1"], users["s2"]],
        agents=[users[k] for k in ("x1", "x2", "idle")],
    )
    other = make_team("Other", supervisors=[users["s3"]], agents=[users["y1"]])
    make_scorecard()
    make_scorecard(MULTI_TOML)
    eligible: dict[int, list[int]] = {}
    never: list[int] = []
    with app.app_context():
        scorecards = dict(db.session.execute(sa.select(Scorecard.slug, Scorecard.id)).all())

        def add(agent: User, channel: str, moment: datetime) -> int:
            interaction = Interaction(agent_id=agent.id, channel=channel, occurred_at=moment)
            db.session.add(interaction)
            db.session.flush()
            return interaction.id

        for key in ("x1", "x2", "idle", "y1"):
            agent = users[key]
            ids = []
            for week in range(WEEKS):
                for position, channel in enumerate(CHANNELS):
                    for n in range(PER_STRATUM):
                        moment = datetime(2026, 3, 2, 9 + n, tzinfo=UTC) + timedelta(
                            weeks=week, days=position
                        )
                        ids.append(add(agent, channel, moment))
            # The last minute of the period is in it; the minutes around it are not.
            ids.append(add(agent, "phone", datetime(2026, 3, 22, 23, 59, tzinfo=UTC)))
            outside = [
                add(agent, "phone", datetime(2026, 3, 1, 23, 59, tzinfo=UTC)),
                add(agent, "chat", datetime(2026, 3, 23, 0, 0, tzinfo=UTC)),
                add(agent, "social", datetime(2026, 3, 10, 12, tzinfo=UTC)),  # no scorecard
            ]
            if key in ("x1", "x2"):
                eligible[agent.id] = ids
                never.extend(outside)
            else:
                never.extend(ids + outside)
        db.session.commit()
    return {
        **users,
        "team_id": team.id,
        "other_team_id": other.id,
        "eligible": eligible,
        "never": never,
        "scorecards": scorecards,
    }


def _get(model: Any, key: Any) -> Any:
    return db.session.get(model, key)


def _draw(centre: dict[str, Any], per_agent: int = 4, seed: int = 7, **kwargs: Any) -> Any:
    values = {"start": START, "end": END, "per_agent": per_agent, "seed": seed} | kwargs
    return draw_sample(
        _get(Team, centre["team_id"]),
        values["start"],
        values["end"],
        values["per_agent"],
        values["seed"],
        _get(User, centre["s1"].id),
    )


def _assignments(sample_id: int | None = None) -> list[Assignment]:
    query = sa.select(Assignment).order_by(Assignment.interaction_id)
    if sample_id is not None:
        query = query.where(Assignment.sample_id == sample_id)
    return list(db.session.scalars(query))


@pytest.mark.parametrize("per_agent", [1, 4, 9])
def test_draw_sample_picks_per_agent_from_the_eligible_interactions(
    per_agent: int, centre: dict[str, Any], app_context: None
) -> None:
    result = _draw(centre, per_agent)
    db.session.commit()
    x1, x2 = centre["x1"].id, centre["x2"].id
    assert result.per_agent == {x1: per_agent, x2: per_agent}
    rows = _assignments(result.sample.id)
    assert len(rows) == 2 * per_agent
    by_agent: dict[int, list[Interaction]] = {x1: [], x2: []}
    for row in rows:
        interaction = _get(Interaction, row.interaction_id)
        by_agent[interaction.agent_id].append(interaction)
    for agent_id, interactions in by_agent.items():
        assert len(interactions) == per_agent
        assert {i.id for i in interactions} <= set(centre["eligible"][agent_id])
        # Nine strata (channel × week): nine picks are nine different ones.
        strata = {(i.channel, i.occurred_at.isocalendar()[:2]) for i in interactions}
        assert len(strata) == per_agent
    sample = _get(Sample, result.sample.id)
    assert (sample.team_id, sample.period_start, sample.period_end) == (
        centre["team_id"],
        START,
        END,
    )
    assert (sample.per_agent, sample.seed, sample.created_by_id) == (per_agent, 7, centre["s1"].id)


def test_draw_sample_takes_all_there_is_when_asked_for_more(
    centre: dict[str, Any], app_context: None
) -> None:
    result = _draw(centre, MAX_PER_AGENT)
    db.session.commit()
    available = WEEKS * len(CHANNELS) * PER_STRATUM + 1
    assert result.per_agent == {centre["x1"].id: available, centre["x2"].id: available}
    drawn = {row.interaction_id for row in _assignments(result.sample.id)}
    assert drawn == set(centre["eligible"][centre["x1"].id]) | set(
        centre["eligible"][centre["x2"].id]
    )
    assert drawn.isdisjoint(centre["never"])  # outside the period, social, inactive, other team


def test_draw_sample_skips_assigned_and_evaluated_interactions(
    centre: dict[str, Any], app_context: None
) -> None:
    x1 = centre["x1"].id
    assigned, evaluated = centre["eligible"][x1][:2], centre["eligible"][x1][2]
    for interaction_id in assigned:
        db.session.add(
            Assignment(
                interaction_id=interaction_id,
                evaluator_id=centre["s2"].id,
                scorecard_id=centre["scorecards"]["test-call"],
            )
        )
    services.start_evaluation(
        _get(User, centre["s1"].id),
        _get(Interaction, evaluated),
        _get(Scorecard, centre["scorecards"]["any-contact"]),
    )
    db.session.commit()

    result = _draw(centre, MAX_PER_AGENT)
    db.session.commit()
    drawn = {row.interaction_id for row in _assignments(result.sample.id)}
    assert drawn.isdisjoint([*assigned, evaluated])
    assert result.per_agent[x1] == len(centre["eligible"][x1]) - 3
    # Nothing is left to draw a second time.
    again = _draw(centre, MAX_PER_AGENT, seed=8)
    assert again.per_agent == {}
    assert _assignments(again.sample.id) == []


def test_the_same_seed_draws_the_same_sample_again(
    centre: dict[str, Any], app_context: None
) -> None:
    def drawn(result: Any) -> set[tuple[int, int]]:
        return {(row.interaction_id, row.evaluator_id) for row in _assignments(result.sample.id)}

    first = _draw(centre, 3, seed=1234)
    db.session.commit()
    picked = drawn(first)
    db.session.execute(sa.delete(Assignment).where(Assignment.sample_id == first.sample.id))
    db.session.commit()

    second = _draw(centre, 3, seed=1234)
    db.session.commit()
    assert second.sample.id != first.sample.id
    assert drawn(second) == picked
    db.session.execute(sa.delete(Assignment).where(Assignment.sample_id == second.sample.id))
    db.session.commit()

    # Other seeds draw other samples (from 19 interactions per agent, three at a time).
    picked_ids = {interaction for interaction, _ in picked}
    others = []
    for seed in (1, 2, 3):
        result = _draw(centre, 3, seed=seed)
        others.append({interaction for interaction, _ in drawn(result)})
        db.session.rollback()
    assert any(ids != picked_ids for ids in others)
    assert len({frozenset(ids) for ids in others}) > 1


def test_assignments_are_shared_evenly_among_the_teams_supervisors(
    centre: dict[str, Any], app_context: None
) -> None:
    result = _draw(centre, 3)
    db.session.commit()
    load = Counter(row.evaluator_id for row in _assignments(result.sample.id))
    assert load == {centre["s1"].id: 3, centre["s2"].id: 3}
    assert centre["s3"].id not in load  # another team's supervisor


def test_the_least_loaded_supervisor_gets_work_first(
    centre: dict[str, Any], app_context: None
) -> None:
    for interaction_id in centre["eligible"][centre["x1"].id][-2:]:
        db.session.add(
            Assignment(
                interaction_id=interaction_id,
                evaluator_id=centre["s1"].id,
                scorecard_id=centre["scorecards"]["test-call"],
            )
        )
    db.session.commit()
    result = _draw(centre, 3)
    db.session.commit()
    new = Counter(row.evaluator_id for row in _assignments(result.sample.id))
    assert new == {centre["s1"].id: 2, centre["s2"].id: 4}
    total = Counter(row.evaluator_id for row in _assignments())
    assert total == {centre["s1"].id: 4, centre["s2"].id: 4}


def test_inactive_supervisors_get_no_work(centre: dict[str, Any], app_context: None) -> None:
    _get(User, centre["s2"].id).active = False
    result = _draw(centre, 2)
    db.session.commit()
    assert {row.evaluator_id for row in _assignments(result.sample.id)} == {centre["s1"].id}


def test_each_assignment_gets_the_most_specific_scorecard_for_its_channel(
    centre: dict[str, Any], app_context: None
) -> None:
    result = _draw(centre, 9)
    db.session.commit()
    expected = {
        "phone": centre["scorecards"]["test-call"],
        "chat": centre["scorecards"]["any-contact"],
        "email": centre["scorecards"]["any-contact"],
    }
    seen = set()
    for row in _assignments(result.sample.id):
        channel = _get(Interaction, row.interaction_id).channel
        assert row.scorecard_id == expected[channel], channel
        seen.add(channel)
    assert seen == set(CHANNELS)


def test_archived_scorecards_are_not_used(centre: dict[str, Any], app_context: None) -> None:
    set_archived(_get(Scorecard, centre["scorecards"]["any-contact"]), True)
    result = _draw(centre, 9)
    db.session.commit()
    rows = _assignments(result.sample.id)
    assert {_get(Interaction, row.interaction_id).channel for row in rows} == {"phone"}
    assert {row.scorecard_id for row in rows} == {centre["scorecards"]["test-call"]}


def test_a_drawn_sample_is_audited(centre: dict[str, Any], app_context: None) -> None:
    result = _draw(centre, 2, seed=55)
    db.session.commit()
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "sample.drawn"))
    assert (event.entity_type, event.entity_id) == ("sample", result.sample.id)
    assert event.after == {
        "team_id": centre["team_id"],
        "period": ["2026-03-02", "2026-03-22"],
        "per_agent": 2,
        "seed": 55,
        "assigned": 4,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": END, "end": START}, "ends before it starts"),
        ({"per_agent": 0}, "Choose 1 to 50"),
        ({"per_agent": -1}, "Choose 1 to 50"),
        ({"per_agent": MAX_PER_AGENT + 1}, "Choose 1 to 50"),
    ],
)
def test_draw_sample_refuses_impossible_requests(
    changes: dict[str, Any], message: str, centre: dict[str, Any], app_context: None
) -> None:
    with pytest.raises(SamplingError, match=message):
        _draw(centre, **changes)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Sample.id))) == 0
    assert _assignments() == []


def test_a_single_day_period_is_allowed(centre: dict[str, Any], app_context: None) -> None:
    result = _draw(centre, MAX_PER_AGENT, start=date(2026, 3, 22), end=date(2026, 3, 22))
    assert result.per_agent == {centre["x1"].id: 1, centre["x2"].id: 1}


@pytest.mark.parametrize("how", ["no supervisor", "inactive supervisors"])
def test_draw_sample_needs_an_active_supervisor(
    how: str, centre: dict[str, Any], app_context: None
) -> None:
    team = _get(Team, centre["team_id"])
    if how == "no supervisor":
        team.supervisors = []
    else:
        for key in ("s1", "s2"):
            _get(User, centre[key].id).active = False
    db.session.commit()
    with pytest.raises(SamplingError, match="no active supervisor"):
        _draw(centre)
    db.session.rollback()
    assert _assignments() == []


def test_draw_sample_needs_an_active_scorecard(centre: dict[str, Any], app_context: None) -> None:
    for scorecard_id in centre["scorecards"].values():
        set_archived(_get(Scorecard, scorecard_id), True)
    db.session.commit()
    with pytest.raises(SamplingError, match="no active scorecard"):
        _draw(centre)


# --- the web form ----------------------------------------------------------------------------


def _form(team_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "team_id": team_id,
        "period_start": START.isoformat(),
        "period_end": END.isoformat(),
        "per_agent": 2,
        "seed": 11,
        "due_on": DUE_ON.isoformat(),
    } | changes


def _samples(app: Flask) -> list[tuple[int, int, int]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(sa.select(Sample.team_id, Sample.per_agent, Sample.seed))
        ]


def test_the_sample_form_draws_and_fills_the_queue(
    app: Flask, centre: dict[str, Any], sign_in_as: Callable[[User], FlaskClient]
) -> None:
    supervisor = sign_in_as(centre["s1"])
    page = supervisor.get("/evaluations/sample").get_data(as_text=True)
    assert 'name="per_agent"' in page and "Sampled" in page and "Other" not in page
    response = post_form(
        supervisor, "/evaluations/sample", _form(centre["team_id"]), follow_redirects=True
    )
    assert response.request.path == "/evaluations/queue"
    text = response.get_data(as_text=True)
    assert "Assigned 4 interactions (seed 11)." in text
    assert _samples(app) == [(centre["team_id"], 2, 11)]
    with app.app_context():
        mine = db.session.scalars(
            sa.select(Assignment.id).where(Assignment.evaluator_id == centre["s1"].id)
        ).all()
    assert len(mine) == 2  # the other two went to s2
    for assignment_id in mine:
        assert f"/evaluations/start/assignment/{assignment_id}" in text


def test_the_sample_form_warns_when_agents_are_short(
    app: Flask, centre: dict[str, Any], sign_in_as: Callable[[User], FlaskClient]
) -> None:
    response = post_form(
        sign_in_as(centre["manager"]),
        "/evaluations/sample",
        _form(centre["team_id"], per_agent=MAX_PER_AGENT),
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Assigned 38 interactions (seed 11)." in text
    assert "2 agents had fewer interactions in the period than asked for." in text


def test_the_sample_form_chooses_a_seed_when_none_is_given(
    app: Flask, centre: dict[str, Any], sign_in_as: Callable[[User], FlaskClient]
) -> None:
    response = post_form(
        sign_in_as(centre["s1"]), "/evaluations/sample", _form(centre["team_id"], seed="")
    )
    assert response.status_code == 302
    [(_team, _per_agent, seed)] = _samples(app)
    assert 0 <= seed < 2**31


@pytest.mark.parametrize(
    ("who", "changes", "status", "message"),
    [
        ("s1", {"team_id": "other"}, 200, "Not a valid choice"),  # not their team
        ("s1", {"per_agent": 0}, 200, None),
        ("s1", {"per_agent": MAX_PER_AGENT + 1}, 200, None),
        ("s1", {"period_start": "2026-03-22", "period_end": "2026-03-02"}, 200, "ends before"),
        ("s1", {"period_start": "not a date"}, 200, None),
        ("s1", {"seed": -1}, 200, None),
        ("x1", {}, 403, None),
    ],
)
def test_the_sample_form_refuses(
    who: str,
    changes: dict[str, Any],
    status: int,
    message: str | None,
    app: Flask,
    centre: dict[str, Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    if changes.get("team_id") == "other":
        changes = changes | {"team_id": centre["other_team_id"]}
    data = _form(centre["team_id"]) | changes
    response = post_form(sign_in_as(centre[who]), "/evaluations/sample", data)
    assert response.status_code == status
    if message:
        assert message in response.get_data(as_text=True)
    assert _samples(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0
