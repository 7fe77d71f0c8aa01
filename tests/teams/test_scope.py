"""The team-scoping helpers (qa_app.teams.scope), called without a request."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.teams.scope import agents_visible_to, can_see_agent, supervises_team, teams_visible_to
from tests.conftest import Organisation


def _emails(query: Any) -> set[str]:
    return {user.email for user in db.session.scalars(query)}


def _user(org: Organisation, key: str) -> User:
    return db.session.get(User, org.member(key).id)


ALL_AGENTS = {"a1@example.test", "a2@example.test", "b1@example.test", "b2@example.test"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", ALL_AGENTS),
        ("manager", ALL_AGENTS),
        ("supervisor_a", {"a1@example.test", "a2@example.test"}),
        ("supervisor_b", {"b1@example.test", "b2@example.test"}),
        ("supervisor_none", set()),
        ("agent_a1", {"a1@example.test"}),
        ("agent_b2", {"b2@example.test"}),
    ],
)
def test_agents_visible_to(
    who: str, expected: set[str], org: Organisation, app_context: None
) -> None:
    assert _emails(agents_visible_to(_user(org, who))) == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", {"Team A", "Team B"}),
        ("manager", {"Team A", "Team B"}),
        ("supervisor_a", {"Team A"}),
        ("supervisor_none", set()),
        ("agent_b1", {"Team B"}),
    ],
)
def test_teams_visible_to(
    who: str, expected: set[str], org: Organisation, app_context: None
) -> None:
    names = {team.name for team in db.session.scalars(teams_visible_to(_user(org, who)))}
    assert names == expected


def test_supervisor_of_two_teams_sees_both(
    org: Organisation, make_team: Any, make_user: Any, app: Flask
) -> None:
    extra_agent = make_user(Role.AGENT, email="c1@example.test")
    make_team("Team C", supervisors=[org.supervisor_a], agents=[extra_agent])
    with app.app_context():
        visible = _emails(agents_visible_to(_user(org, "supervisor_a")))
    assert visible == {"a1@example.test", "a2@example.test", "c1@example.test"}


def test_agents_visible_never_include_other_roles(org: Organisation, app_context: None) -> None:
    roles = {user.role for user in db.session.scalars(agents_visible_to(_user(org, "admin")))}
    assert roles == {Role.AGENT}


@pytest.mark.parametrize(
    ("who", "agent", "expected"),
    [
        ("supervisor_a", "agent_a1", True),
        ("supervisor_a", "agent_b1", False),
        ("agent_a1", "agent_a1", True),
        ("agent_a1", "agent_a2", False),
        ("manager", "agent_b2", True),
        ("supervisor_a", "supervisor_b", False),  # not an agent at all
    ],
)
def test_can_see_agent(
    who: str, agent: str, expected: bool, org: Organisation, app_context: None
) -> None:
    assert can_see_agent(_user(org, who), org.member(agent).id) is expected


def test_supervises_team(org: Organisation, app_context: None) -> None:
    supervisor = _user(org, "supervisor_a")
    assert supervises_team(supervisor, org.team_a.id)
    assert not supervises_team(supervisor, org.team_b.id)
