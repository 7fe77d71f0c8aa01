"""Sampling filters (channel, queue, duration band, handle-time outliers per agent, a phrase
in the transcript, not yet evaluated) and the due date a sample gives its assignments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.evaluations import services
from qa_app.evaluations.models import Assignment, Sample
from qa_app.evaluations.sampling import (
    MAX_PER_AGENT,
    HandleTime,
    Outcome,
    SampleFilters,
    SamplingError,
    draw_sample,
)
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard
from qa_app.teams.models import Team
from tests.conftest import Organisation, post_form
from tests.evaluations.test_sampling import MULTI_TOML

START, END = date(2026, 3, 2), date(2026, 3, 29)
DUE_ON = date.today() + timedelta(days=14)


@pytest.fixture
def centre(app: Flask, org: Organisation, make_scorecard: Callable[..., str]) -> Organisation:
    """Team A (supervisor A; agents A1, A2) and a scorecard for phone, chat and e-mail."""
    make_scorecard(MULTI_TOML)
    return org


def add(
    agent: User,
    channel: str = "phone",
    *,
    day: int = 0,
    minute: int = 0,
    **details: Any,
) -> int:
    """An interaction of `agent` on the period's `day`-th day, returning its id."""
    interaction = Interaction(
        agent_id=agent.id,
        channel=channel,
        occurred_at=datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(days=day, minutes=minute),
        **details,
    )
    db.session.add(interaction)
    db.session.flush()
    return interaction.id


def drawn(org: Organisation, filters: SampleFilters, **kwargs: Any) -> set[int]:
    """The interactions a draw of as many as there are per agent assigns."""
    result = draw_sample(
        db.session.get_one(Team, org.team_a.id),
        START,
        END,
        kwargs.pop("per_agent", MAX_PER_AGENT),
        kwargs.pop("seed", 5),
        db.session.get_one(User, org.supervisor_a.id),
        filters=filters,
        **kwargs,
    )
    db.session.flush()
    return set(
        db.session.scalars(
            sa.select(Assignment.interaction_id).where(Assignment.sample_id == result.sample.id)
        )
    )


def test_the_channel_filter_draws_only_those_channels(
    centre: Organisation, app_context: None
) -> None:
    a1 = centre.agent_a1
    chats = {add(a1, "chat", day=1), add(a1, "chat", day=8)}
    emails = {add(a1, "email", day=2)}
    add(a1, "phone", day=3)
    add(centre.agent_b1, "chat", day=1)  # another team
    assert drawn(centre, SampleFilters(channels=("chat", "email"))) == chats | emails


def test_the_queue_filter_ignores_case_and_nothing_else(
    centre: Organisation, app_context: None
) -> None:
    a1 = centre.agent_a1
    wanted = {add(a1, queue="Billing", day=1), add(a1, queue="BILLING", day=2)}
    add(a1, queue="Billing disputes", day=3)
    add(a1, queue=None, day=4)
    add(a1, queue="Sales", day=5)
    assert drawn(centre, SampleFilters(queue=" billing ")) == wanted


def test_the_duration_band_includes_its_ends(centre: Organisation, app_context: None) -> None:
    a1 = centre.agent_a1
    by_seconds = {s: add(a1, day=i, duration_seconds=s) for i, s in enumerate((59, 60, 90, 120))}
    add(a1, day=6, duration_seconds=121)
    add(a1, day=7)  # no duration: never in a band
    assert drawn(centre, SampleFilters(min_seconds=60, max_seconds=120)) == {
        by_seconds[60],
        by_seconds[90],
        by_seconds[120],
    }


def test_an_open_ended_band(centre: Organisation, app_context: None) -> None:
    a1 = centre.agent_a1
    short = add(a1, day=1, duration_seconds=30)
    long = add(a1, day=2, duration_seconds=900)
    add(a1, day=3)
    assert drawn(centre, SampleFilters(min_seconds=600)) == {long}
    assert drawn(centre, SampleFilters(max_seconds=31)) == {short}


def _spread(agent: User, seconds: list[int], channel: str = "phone") -> dict[int, int]:
    """One interaction of `agent` per duration: {interaction id: seconds}."""
    return {
        add(agent, channel, day=i % 27, minute=i, duration_seconds=s): s
        for i, s in enumerate(seconds)
    }


@pytest.mark.parametrize(
    ("kind", "expected_a1", "expected_a2"),
    [
        # A1: 20 calls of 10..200 s; A2: 10 calls of 1000..1900 s (another scale entirely).
        (HandleTime.LONG, {190, 200}, {1900}),
        (HandleTime.SHORT, {10, 20}, {1000}),
    ],
)
def test_handle_time_outliers_are_measured_per_agent(
    kind: HandleTime,
    expected_a1: set[int],
    expected_a2: set[int],
    centre: Organisation,
    app_context: None,
) -> None:
    a1 = _spread(centre.agent_a1, [10 * n for n in range(1, 21)])
    a2 = _spread(centre.agent_a2, [1000 + 100 * n for n in range(10)])
    picked = drawn(centre, SampleFilters(handle_time=kind))
    assert {a1[i] for i in picked if i in a1} == expected_a1
    assert {a2[i] for i in picked if i in a2} == expected_a2


def test_handle_time_needs_ten_interactions_and_ignores_ties(
    centre: Organisation, app_context: None
) -> None:
    _spread(centre.agent_a1, [10 * n for n in range(1, 10)])  # nine: no outliers
    _spread(centre.agent_a2, [300] * 12)  # all alike: none either
    assert drawn(centre, SampleFilters(handle_time=HandleTime.LONG)) == set()
    assert drawn(centre, SampleFilters(handle_time=HandleTime.SHORT)) == set()


def test_handle_time_compares_within_the_chosen_channels(
    centre: Organisation, app_context: None
) -> None:
    """Long e-mails are not long calls: with a channel chosen, the agent's percentile is
    taken over that channel's interactions only."""
    calls = _spread(centre.agent_a1, [100 + n for n in range(10)])
    _spread(centre.agent_a1, [5000 + n for n in range(10)], channel="email")
    picked = drawn(centre, SampleFilters(channels=("phone",), handle_time=HandleTime.LONG))
    assert {calls[i] for i in picked} == {109}


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("refund", {"I want a REFUND now", "refund please", "Refunds?"}),
        ("über", {"ÜBER die Rechnung", "über"}),
        ("50%", {"a 50% discount"}),  # % is a character, not a wildcard
        ("a_b", {"code a_b"}),
    ],
)
def test_the_phrase_filter_ignores_case_on_every_database(
    phrase: str, expected: set[str], centre: Organisation, app_context: None
) -> None:
    texts = [
        "I want a REFUND now",
        "refund please",
        "Refunds?",
        "ÜBER die Rechnung",
        "über",
        "a 50% discount",
        "a 500 discount",
        "code a_b",
        "code axb",
        "nothing to see",
    ]
    ids = {add(centre.agent_a1, day=i, transcript=text): text for i, text in enumerate(texts)}
    add(centre.agent_a1, day=20)  # no transcript
    assert {ids[i] for i in drawn(centre, SampleFilters(phrase=phrase))} == expected


def test_interactions_evaluated_or_assigned_are_never_drawn_whatever_the_filters(
    centre: Organisation, app_context: None
) -> None:
    a1 = centre.agent_a1
    fresh = add(a1, "chat", day=1, queue="Billing", transcript="refund")
    assigned = add(a1, "chat", day=2, queue="Billing", transcript="refund")
    evaluated = add(a1, "chat", day=3, queue="Billing", transcript="refund")
    card = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == "any-contact"))
    assert card is not None
    db.session.add(
        Assignment(
            interaction_id=assigned, evaluator_id=centre.supervisor_a.id, scorecard_id=card.id
        )
    )
    services.start_evaluation(
        db.session.get_one(User, centre.supervisor_a.id),
        db.session.get_one(Interaction, evaluated),
        card,
    )
    filters = SampleFilters(channels=("chat",), queue="billing", phrase="refund")
    assert drawn(centre, filters) == {fresh}


def test_the_same_seed_and_filters_draw_the_same_sample_again(
    centre: Organisation, app_context: None
) -> None:
    ids = _spread(centre.agent_a1, [30 * n for n in range(1, 41)])
    filters = SampleFilters(min_seconds=300, max_seconds=1200)
    first = drawn(centre, filters, per_agent=5, seed=77)
    db.session.execute(sa.delete(Assignment))
    assert drawn(centre, filters, per_agent=5, seed=77) == first
    assert len(first) == 5 and all(300 <= ids[i] <= 1200 for i in first)


def test_filters_and_the_due_date_are_audited_and_set(
    centre: Organisation, app_context: None
) -> None:
    add(centre.agent_a1, "chat", day=1, duration_seconds=100)
    picked = drawn(
        centre,
        SampleFilters(channels=("chat",), min_seconds=60, handle_time=None),
        due_on=date(2026, 4, 3),
    )
    assert len(picked) == 1
    assert db.session.scalars(sa.select(Assignment.due_on)).all() == [date(2026, 4, 3)]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sample.drawn"))
    assert event is not None
    assert event.after["filters"] == {"channels": ["chat"], "min_seconds": 60}
    assert event.after["due_on"] == "2026-04-03"


@pytest.mark.parametrize(
    ("filters", "due_on", "messages"),
    [
        (SampleFilters(channels=("fax",)), None, ["no channel called “fax”"]),
        (
            SampleFilters(min_seconds=300, max_seconds=100, phrase="x"),
            None,
            ["shortest duration (300 s) is longer than the longest (100 s)", "2 to 200"],
        ),
        (SampleFilters(min_seconds=-1), None, ["between 0 and 86400; -1 is not"]),
        (SampleFilters(queue=" "), None, ["1 to 80 characters"]),
        (SampleFilters(), date(2026, 3, 1), ["due date is before the period starts"]),
    ],
)
def test_bad_filters_are_refused_together_and_nothing_is_written(
    filters: SampleFilters,
    due_on: date | None,
    messages: list[str],
    centre: Organisation,
    app_context: None,
) -> None:
    add(centre.agent_a1, day=1)
    with pytest.raises(SamplingError) as refused:
        drawn(centre, filters, due_on=due_on)
    for message in messages:
        assert message in refused.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Sample.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


# --- the form and the queue ------------------------------------------------------------------


def _form(team_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "team_id": team_id,
        "period_start": START.isoformat(),
        "period_end": END.isoformat(),
        "per_agent": 5,
        "seed": 3,
        "due_on": DUE_ON.isoformat(),
    } | changes


def test_the_form_draws_with_filters_and_the_queue_shows_the_due_date(
    app: Flask, centre: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    with app.app_context():
        wanted = add(centre.agent_a1, "chat", day=1, queue="Billing", transcript="A refund.")
        add(centre.agent_a1, "chat", day=2, queue="Billing", transcript="Thanks.")
        add(centre.agent_a1, "phone", day=3, queue="Billing", transcript="A refund.")
        db.session.commit()
    supervisor = sign_in_as(centre.supervisor_a)
    page = supervisor.get("/evaluations/sample").get_data(as_text=True)
    assert 'name="phrase"' in page and 'name="due_on"' in page
    response = post_form(
        supervisor,
        "/evaluations/sample",
        _form(centre.team_a.id, channels=["chat"], queue="billing", phrase="REFUND"),
        follow_redirects=True,
    )
    assert "Assigned 1 interaction (seed 3)." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(
            sa.select(Assignment.interaction_id, Assignment.due_on)
        ).all() == [(wanted, DUE_ON)]
    queue = supervisor.get("/evaluations/queue").get_data(as_text=True)
    assert "overdue" not in queue
    with app.app_context():
        db.session.execute(sa.update(Assignment).values(due_on=date.today() - timedelta(days=1)))
        db.session.commit()
    assert "overdue" in supervisor.get("/evaluations/queue").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        (
            {"min_seconds": 300, "max_seconds": 60, "phrase": "x"},
            ["The longest duration is shorter than the shortest (300 s).", "between 2 and 200"],
        ),
        ({"due_on": (date.today() - timedelta(days=1)).isoformat()}, ["due date has passed"]),
        ({"due_on": ""}, ["This field is required."]),
        ({"channels": ["fax"]}, ["not a valid choice"]),
        ({"handle_time": "medium"}, ["Not a valid choice"]),
        ({"outcome": "angry"}, ["Not a valid choice"]),
        ({"queue": "q" * 81}, ["longer than 80"]),
    ],
)
def test_the_form_refuses_bad_filters_and_draws_nothing(
    changes: dict[str, Any],
    messages: list[str],
    app: Flask,
    centre: Organisation,
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    with app.app_context():
        add(centre.agent_a1, "chat", day=1)
        db.session.commit()
    response = post_form(
        sign_in_as(centre.supervisor_a), "/evaluations/sample", _form(centre.team_a.id, **changes)
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for message in messages:
        assert message in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Sample.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


@pytest.fixture
def answered(centre: Organisation, app_context: None) -> dict[str, int]:
    """A1's interactions with every kind of customer answer, by what the customer said."""
    a1 = centre.agent_a1
    return {
        "csat bad": add(a1, day=1, csat_positive=False),
        "csat 2 of 5": add(a1, day=2, csat_score=2.0, csat_positive=False),
        "csat good": add(a1, day=3, csat_score=5.0, csat_positive=True),
        "nps 6": add(a1, day=4, nps_score=6),
        "nps 7": add(a1, day=5, nps_score=7),
        "nps 0, csat good": add(a1, day=6, nps_score=0, csat_positive=True),
        "unresolved": add(a1, day=7, resolved_first_contact=False),
        "resolved": add(a1, day=8, resolved_first_contact=True),
        "no answer": add(a1, day=9),
    }


@pytest.mark.parametrize(
    ("outcome", "names"),
    [
        (Outcome.LOW_CSAT, {"csat bad", "csat 2 of 5"}),
        (Outcome.DETRACTOR, {"nps 6", "nps 0, csat good"}),
        (Outcome.UNHAPPY, {"csat bad", "csat 2 of 5", "nps 6", "nps 0, csat good"}),
        (Outcome.UNRESOLVED, {"unresolved"}),
    ],
)
def test_the_customer_outcome_filter_draws_only_those_answers(
    outcome: Outcome,
    names: set[str],
    answered: dict[str, int],
    centre: Organisation,
    app_context: None,
) -> None:
    assert drawn(centre, SampleFilters(outcome=outcome)) == {answered[name] for name in names}


def test_the_outcome_filter_combines_with_the_others(
    answered: dict[str, int], centre: Organisation, app_context: None
) -> None:
    chat = add(centre.agent_a1, "chat", day=10, nps_score=2)
    filters = SampleFilters(outcome=Outcome.DETRACTOR, channels=("chat",))
    assert drawn(centre, filters) == {chat}
    assert SampleFilters(outcome=Outcome.UNHAPPY).as_record() == {"outcome": "unhappy"}


def test_an_unknown_outcome_is_refused_in_words() -> None:
    filters = SampleFilters(outcome="angry")  # type: ignore[arg-type]  # as a caller could
    assert filters.problems() == ["There is no customer outcome called “angry”."]


def test_the_form_draws_low_csat_only(
    app: Flask, centre: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    with app.app_context():
        wanted = add(centre.agent_a1, "chat", day=1, csat_positive=False)
        add(centre.agent_a1, "chat", day=2, csat_positive=True)
        add(centre.agent_a1, "chat", day=3)
        db.session.commit()
    supervisor = sign_in_as(centre.supervisor_a)
    assert 'name="outcome"' in supervisor.get("/evaluations/sample").get_data(as_text=True)
    response = post_form(
        supervisor,
        "/evaluations/sample",
        _form(centre.team_a.id, outcome="low_csat"),
        follow_redirects=True,
    )
    assert "Assigned 1 interaction (seed 3)." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(sa.select(Assignment.interaction_id)).all() == [wanted]
