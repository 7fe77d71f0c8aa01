"""The dashboards' filter form offers the teams the user may see, read as ids and names."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import MultiDict

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.stats.filter_form import read_dashboard_form
from qa_app.teams.models import Team
from tests.conftest import Organisation


@pytest.mark.parametrize(
    ("who", "teams"),
    [
        ("manager", ["Team A", "Team B"]),
        ("admin", ["Team A", "Team B"]),
        ("supervisor_a", ["Team A"]),
        ("supervisor_none", []),
        ("agent_b1", ["Team B"]),
    ],
)
def test_the_team_choices_are_the_teams_the_user_sees(
    app: Flask, org: Organisation, who: str, teams: list[str]
) -> None:
    with app.test_request_context():
        user = db.session.get(User, org.member(who).id)
        assert user is not None
        form, valid = read_dashboard_form(MultiDict(), user)
        assert valid
        labels = [str(choice.label) for choice in form.team_id.choices or []]
        assert labels == ["All teams", *teams]


def test_the_team_choices_load_no_team_objects(app: Flask, org: Organisation) -> None:
    # A large centre's 80 teams loaded as objects on every view of the centre dashboard were
    # a part of what grew with the centre in its cached view.
    loaded: list[Team] = []

    def record(team: Team, context: object) -> None:
        loaded.append(team)

    with app.test_request_context():
        user = db.session.get(User, org.manager.id)
        assert user is not None
        sa.event.listen(Team, "load", record)
        try:
            form, _valid = read_dashboard_form(MultiDict(), user)
        finally:
            sa.event.remove(Team, "load", record)
        assert len(form.team_id.choices or []) == 3
        assert loaded == []


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        # A team that is no choice of the supervisor's is dropped; the period stays.
        ({"start": "2026-11-01", "end": "2026-11-30", "team_id": "team_b"}, True),
        # A refused day drops the whole period, never half of it.
        ({"start": "2026-11-01", "end": "2026-10-01"}, False),
        ({"start": "2026-11-01", "end": "not a day"}, False),
    ],
)
def test_a_refused_choice_drops_only_itself(
    app: Flask, org: Organisation, query: dict[str, str], kept: bool
) -> None:
    with app.test_request_context():
        supervisor = db.session.get(User, org.supervisor_a.id)
        assert supervisor is not None
        args = MultiDict({k: str(org.team_b.id) if v == "team_b" else v for k, v in query.items()})
        form, valid = read_dashboard_form(args, supervisor)
        assert not valid
        filters = form.filters(supervisor)
        assert filters.team_id is None
        period = (filters.start.isoformat(), filters.end.isoformat())
        assert (period == ("2026-11-01", "2026-11-30")) is kept
        if not kept:
            assert period[0] != "2026-11-01"  # the default period, not a half-kept one
