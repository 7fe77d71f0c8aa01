"""Every panel of both dashboards honours every filter the page offers (period, team,
scorecard, channel): data in two teams, on two scorecards, on two channels and in two
periods, and for each filter each panel shows only what the filter selects.

Each agent below has one disputed evaluation, one assignment in the manager's queue and one
overdue training item, all of the same team, scorecard, channel and time; SELECTED matches
every filter, and each other agent differs from SELECTED in one thing only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape
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
from qa_app.evaluations.models import Assignment, Evaluation
from qa_app.extensions import db
from qa_app.interactions.services import create_interaction
from qa_app.scorecards.models import Scorecard
from qa_app.stats.filters import ReportFilters
from qa_app.teams.models import Team
from qa_app.training import plans
from qa_app.training.models import TrainingModule
from tests.conftest import SCORECARD_TOML, Organisation

OLD_DAYS = 40  # the "old" agent's work lies this many days back: outside a 7-day period
BOTH_CHANNELS = 'channels = ["phone", "chat"]'
CALL_TOML = SCORECARD_TOML.replace('channels = ["phone"]', BOTH_CHANNELS)
OTHER_TOML = (
    SCORECARD_TOML.replace('channels = ["phone"]', BOTH_CHANNELS)
    .replace('name = "Test call"', 'name = "Other card"')
    .replace('slug = "test-call"', 'slug = "other-card"')
)


@dataclass(frozen=True)
class Side:
    """One agent's work: team, scorecard, channel, and how many days back it lies."""

    name: str
    team: str
    card: str
    channel: str
    days_ago: int


SELECTED = Side("Selected Sam", "team_a", "test-call", "phone", 0)
OTHERS = {
    "team": Side("Other-team Olga", "team_b", "test-call", "phone", 0),
    "scorecard": Side("Other-card Otto", "team_a", "other-card", "phone", 0),
    "channel": Side("Other-channel Oona", "team_a", "test-call", "chat", 0),
    "period": Side("Old-period Oscar", "team_a", "test-call", "phone", OLD_DAYS),
}
SIDES = [SELECTED, *OTHERS.values()]


def today() -> date:
    return datetime.now(UTC).date()  # the centre's time zone is UTC in the tests


@pytest.fixture
def centre(
    app: Flask,
    org: Organisation,
    make_user: Callable[..., User],
    make_scorecard: Callable[..., Any],
    make_evaluation: Callable[..., Any],
) -> dict[str, Any]:
    make_scorecard(CALL_TOML)
    make_scorecard(OTHER_TOML)
    teams = {"team_a": org.team_a, "team_b": org.team_b}
    agents = {
        side.name: make_user(Role.AGENT, teams[side.team], display_name=side.name) for side in SIDES
    }
    with app.app_context():
        manager = db.session.get(User, org.manager.id)
        module = TrainingModule(key="listen", title="Listening", skill="", description="")
        module.expected_minutes = 5
        db.session.add(module)
        cards = {card.slug: card for card in db.session.scalars(sa.select(Scorecard))}
        for number, side in enumerate(SIDES):
            agent = db.session.get(User, agents[side.name].id)
            now = datetime.now(UTC)
            when = now - timedelta(days=side.days_ago, hours=1)
            if not side.days_ago:  # this month's, even in the first hour of a month
                when = max(when, now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))
            evaluation = make_evaluation(
                "disputed",
                commit=False,
                agent=agent,
                evaluator=org.supervisor_b if side.team == "team_b" else org.supervisor_a,
                scorecard=side.card,
                occurred_at=when,
                channel=side.channel,
                ref=f"EVAL-{number}",
            )
            db.session.get(Evaluation, evaluation.id).submitted_at = when
            call = create_interaction(
                agent,
                channel=side.channel,
                occurred_at=when,
                actor=manager,
                external_ref=f"QUEUED-{number}",
            )
            db.session.add(
                Assignment(
                    interaction_id=call.id,
                    evaluator_id=manager.id,
                    scorecard_id=cards[side.card].id,
                )
            )
            plan = plans.create_plan(agent, today() - timedelta(90), today(), manager)
            due = today() - timedelta(days=max(side.days_ago, 1))
            plans.add_item(plan, module, due, manager, reason="Empathy 55%.")
            plans.issue_plan(plan, manager)
        db.session.commit()
        card_ids = {slug: card.id for slug, card in cards.items()}
    return {"teams": teams, "cards": card_ids, "agents": agents}


def query(centre: dict[str, Any], dimension: str) -> dict[str, str]:
    """The dashboard's query string that selects SELECTED and not OTHERS[dimension]."""
    week = {"start": (today() - timedelta(days=7)).isoformat(), "end": today().isoformat()}
    return {
        "team": {"team_id": str(centre["teams"]["team_a"].id)},
        "scorecard": {"scorecard": "test-call"},
        "channel": {"channel": "phone"},
        "period": week,
    }[dimension]


def matches(side: Side, dimension: str) -> bool:
    """Whether `side` lies within the filter of `dimension`."""
    return side is SELECTED or OTHERS[dimension] is not side


def panel(html: str, name: str) -> str:
    """The text of the element marked data-panel="name" (up to its closing tag)."""
    start = re.search(rf'<(\w+)[^>]*data-panel="{name}"', html)
    assert start, f"no panel {name}"
    tag = start.group(1)
    depth, position = 0, start.start()
    for match in re.finditer(rf"<(/?){tag}\b[^>]*>", html[position:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            text = re.sub(r"<[^>]+>", " ", html[position : position + match.end()])
            return " ".join(unescape(text).split())
    raise AssertionError(f"panel {name} is not closed")


def progress_rows(text: str) -> dict[str, str]:
    """The progress panel's "done / target" by agent name."""
    return {
        side.name: found.group(1)
        for side in SIDES
        if (found := re.search(rf"{re.escape(side.name)} Team \w (\d+) / \d+", text))
    }


def check_names(name: str, html: str, dimension: str) -> None:
    """The agents table, the heat map and the open disputes: only the selected agents."""
    text = panel(html, name)
    assert all(side.name in text for side in SIDES if matches(side, dimension)), text
    assert OTHERS[dimension].name not in text, text


def check_progress(html: str, dimension: str) -> None:
    """The agents of the filters' teams, counting only the filters' evaluations this month
    (an agent of the team with none of them shows 0)."""
    other = OTHERS[dimension]
    done = progress_rows(panel(html, "progress"))
    in_month = [side.name for side in SIDES if matches(side, dimension) and not side.days_ago]
    assert {name: done.get(name) for name in in_month} == dict.fromkeys(in_month, "1")
    if dimension == "team":
        assert other.name not in done
    else:
        assert done[other.name] == "0"


def check_queue(html: str, dimension: str) -> None:
    """Only the assignments of interactions within the filters."""
    selected = sum(matches(side, dimension) for side in SIDES)
    assert panel(html, "queue").startswith(f"{selected} assigned interactions within")


def check_training(html: str, dimension: str) -> None:
    """Overdue items by team and due date; training plans have no scorecard or channel."""
    text = panel(html, "training")
    if dimension in ("scorecard", "channel"):
        assert "Training plans belong to no scorecard or channel" in text
        assert not any(side.name in text for side in SIDES)
    else:
        assert all(side.name in text for side in SIDES if matches(side, dimension)), text
        assert OTHERS[dimension].name not in text


TEAM_PANELS: dict[str, Callable[[str, str], None]] = {
    "agents": lambda html, dimension: check_names("agents", html, dimension),
    "heat": lambda html, dimension: check_names("heat", html, dimension),
    "disputes": lambda html, dimension: check_names("disputes", html, dimension),
    "progress": check_progress,
    "queue": check_queue,
    "training": check_training,
}


@pytest.mark.parametrize("dimension", list(OTHERS))
@pytest.mark.parametrize("name", list(TEAM_PANELS))
def test_every_team_dashboard_panel_honours_the_filter(
    centre: dict[str, Any],
    org: Organisation,
    sign_in_as: Callable[[User], FlaskClient],
    name: str,
    dimension: str,
) -> None:
    response = sign_in_as(org.manager).get("/dashboard/team", query_string=query(centre, dimension))
    assert response.status_code == 200
    TEAM_PANELS[name](response.get_data(as_text=True), dimension)


@pytest.mark.parametrize("dimension", list(OTHERS))
def test_every_centre_dashboard_panel_honours_the_filter(
    app: Flask,
    centre: dict[str, Any],
    org: Organisation,
    sign_in_as: Callable[[User], FlaskClient],
    dimension: str,
) -> None:
    selected = [side for side in SIDES if matches(side, dimension)]
    response = sign_in_as(org.manager).get(
        "/dashboard/centre", query_string=query(centre, dimension)
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if dimension == "team":
        for name in ("teams", "trend"):
            assert "Team B" not in panel(html, name), name
        assert org.supervisor_b.display_name not in panel(html, "evaluators")
    # The same filters as the page: every panel counts the selected evaluations only.
    values = query(centre, dimension)
    start = date.fromisoformat(values.get("start", (today() - timedelta(89)).isoformat()))
    filters = ReportFilters(
        start,
        date.fromisoformat(values.get("end", today().isoformat())),
        team_id=centre["teams"]["team_a"].id if dimension == "team" else None,
        scorecard_id=centre["cards"]["test-call"] if dimension == "scorecard" else None,
        channel="phone" if dimension == "channel" else None,
    )
    with app.app_context():
        assert sum(row.evaluations for row in teams_compared(filters)) == len(selected)
        _, trends = monthly_trend_by_team(filters)
        assert sum(point.n for trend in trends for point in trend.months) == len(selected)
        weakest = {row.key: row.n for row in weakest_criteria(filters)}
        assert weakest == {"greeting": len(selected), "empathy": len(selected)}
        centre_qa, evaluators = evaluator_consistency(filters)
        assert centre_qa.n == sum(row.qa.n for row in evaluators) == len(selected)
        names = {team.id: team.name for team in db.session.scalars(sa.select(Team))}
        assert {names[row.team_id] for row in teams_compared(filters)} == {
            "Team A" if side.team == "team_a" else "Team B" for side in selected
        }
