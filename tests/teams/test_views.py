"""Administering teams: the list, creating, renaming, and choosing supervisors and agents."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.teams.models import Team, team_supervisor
from tests.conftest import Organisation, post_form


@pytest.fixture
def admin_client(org: Organisation, sign_in_as: Any) -> FlaskClient:
    return sign_in_as(org.admin)


def ids(org: Organisation, *keys: str) -> list[int]:
    return [org.member(key).id for key in keys]


def team_form(
    name: str,
    supervisors: list[int],
    agents: list[int] | None = None,
    *,
    release_mode: str = "immediate",
    target: int = 4,
) -> dict[str, Any]:
    """The team form as posted: repeated supervisor_ids and agent_ids fields, and settings."""
    return {
        "name": name,
        "supervisor_ids": list(supervisors),
        "agent_ids": list(agents or []),
        "release_mode": release_mode,
        "evaluations_per_agent_month": target,
    }


def state(app: Flask) -> dict[str, Any]:
    """Teams, their supervisors and every user's team: what the team pages may change."""
    with app.app_context():
        return {
            "teams": sorted(
                tuple(row) for row in db.session.execute(sa.select(Team.id, Team.name))
            ),
            "supervisors": sorted(
                tuple(row)
                for row in db.session.execute(
                    sa.select(team_supervisor.c.team_id, team_supervisor.c.user_id)
                )
            ),
            "members": sorted(
                tuple(row) for row in db.session.execute(sa.select(User.id, User.team_id))
            ),
        }


def team_state(app: Flask, name: str) -> tuple[list[int], list[int]] | None:
    """(supervisor ids, agent ids) of the team called `name`, or None when there is none."""
    with app.app_context():
        team = db.session.scalar(sa.select(Team).where(Team.name == name))
        if team is None:
            return None
        return (
            sorted(user.id for user in team.supervisors),
            sorted(user.id for user in team.agents),
        )


def team_events(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            {
                "action": e.action,
                "entity_id": e.entity_id,
                "actor_id": e.actor_id,
                "before": e.before,
                "after": e.after,
            }
            for e in db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.entity_type == "team")
                .order_by(AuditEvent.id)
            )
        ]


def chosen(html: str, field: str) -> set[int]:
    """The values of `field` that the page shows as chosen (checkboxes or a select)."""
    values = set()
    for tag in re.findall(rf'<input[^>]*name="{field}"[^>]*>', html):
        if re.search(r"\bchecked\b", tag):
            values.add(int(re.search(r'value="(\d+)"', tag).group(1)))  # type: ignore[union-attr]
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S)
    if select:
        for option in re.findall(r"<option[^>]*>", select.group(1)):
            if re.search(r"\bselected\b", option):
                values.add(int(re.search(r'value="(\d+)"', option).group(1)))  # type: ignore[union-attr]
    return values


def offered(html: str, field: str) -> set[int]:
    """Every value the page offers for `field`."""
    tags = re.findall(rf'<input[^>]*name="{field}"[^>]*>', html)
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S)
    if select:
        tags += re.findall(r"<option[^>]*>", select.group(1))
    return {int(match.group(1)) for tag in tags if (match := re.search(r'value="(\d+)"', tag))}


# --- access and the list -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/teams", "/admin/teams/new", "/admin/teams/{team}"])
@pytest.mark.parametrize("who", ["manager", "supervisor_a", "agent_a1"])
def test_only_admins_open_the_team_pages(
    org: Organisation, sign_in_as: Any, who: str, path: str
) -> None:
    browser = sign_in_as(org.member(who))
    assert browser.get(path.format(team=org.team_a.id)).status_code == 403


def test_manager_cannot_post_a_team(app: Flask, org: Organisation, sign_in_as: Any) -> None:
    before = state(app)
    response = post_form(
        sign_in_as(org.manager),
        "/admin/teams/new",
        team_form("Sneaky", ids(org, "supervisor_none")),
    )
    assert response.status_code == 403
    assert state(app) == before


def test_team_list(app: Flask, admin_client: FlaskClient, org: Organisation) -> None:
    with app.app_context():  # deactivated agents are not counted
        db.session.get(User, org.agent_b2.id).active = False
        db.session.commit()
    html = admin_client.get("/admin/teams").get_data(as_text=True)
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    table = {
        re.sub(r"<[^>]+>", "", c[0]).strip(): (c[1].strip(), c[2].strip())
        for c in cells
        if len(c) == 3
    }
    assert table == {
        "Team A": (org.supervisor_a.display_name, "2"),
        "Team B": (org.supervisor_b.display_name, "1"),
    }
    assert f'href="/admin/teams/{org.team_a.id}"' in html
    assert 'href="/admin/teams/new"' in html


def test_unknown_team_is_404(admin_client: FlaskClient) -> None:
    assert admin_client.get("/admin/teams/999999").status_code == 404


# --- creating -----------------------------------------------------------------------------------


def test_create_form_offers_active_supervisors_and_agents(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    with app.app_context():
        db.session.get(User, org.agent_b2.id).active = False
        db.session.commit()
    html = admin_client.get("/admin/teams/new").get_data(as_text=True)
    assert offered(html, "supervisor_ids") == set(
        ids(org, "supervisor_a", "supervisor_b", "supervisor_none")
    )
    assert offered(html, "agent_ids") == set(ids(org, "agent_a1", "agent_a2", "agent_b1"))
    assert chosen(html, "supervisor_ids") == set()


def test_create_team(app: Flask, admin_client: FlaskClient, org: Organisation) -> None:
    response = post_form(
        admin_client,
        "/admin/teams/new",
        team_form(
            "  Collections ",
            ids(org, "supervisor_none", "supervisor_a"),
            ids(org, "agent_a1", "agent_b1"),
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/teams"
    assert "Saved team Collections." in admin_client.get("/admin/teams").get_data(as_text=True)

    supervisors, agents = team_state(app, "Collections")  # type: ignore[misc]
    assert supervisors == sorted(ids(org, "supervisor_none", "supervisor_a"))
    assert agents == sorted(ids(org, "agent_a1", "agent_b1"))
    # The agents moved; the supervisor keeps the team they already had.
    assert team_state(app, "Team A") == (ids(org, "supervisor_a"), ids(org, "agent_a2"))
    assert team_state(app, "Team B") == (ids(org, "supervisor_b"), ids(org, "agent_b2"))

    events = team_events(app)
    assert len(events) == 1
    with app.app_context():
        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == "Collections"))
    assert events[0] == {
        "action": "team.created",
        "entity_id": team_id,
        "actor_id": org.admin.id,
        "before": None,
        "after": {
            "name": "Collections",
            "release_mode": "immediate",
            "evaluations_per_agent_month": 4,
            "supervisor_ids": sorted(ids(org, "supervisor_none", "supervisor_a")),
            "dispute_reviewer_ids": [],
            "agent_ids": sorted(ids(org, "agent_a1", "agent_b1")),
        },
    }


def test_create_team_without_agents(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    response = post_form(
        admin_client,
        "/admin/teams/new",
        team_form("Empty", [org.supervisor_none.id]),
    )
    assert response.status_code == 302
    assert team_state(app, "Empty") == (ids(org, "supervisor_none"), [])


@pytest.mark.parametrize(
    ("name", "supervisors", "agents", "message"),
    [
        ("Nobody in charge", [], ["agent_a1"], "Choose at least one supervisor."),
        ("", ["supervisor_none"], [], "This field is required."),
        ("   ", ["supervisor_none"], [], "This field is required."),
        ("x" * 81, ["supervisor_none"], [], "Field cannot be longer than 80 characters."),
        ("Team A", ["supervisor_none"], [], "Another team already has this name."),
        (" Team B ", ["supervisor_none"], [], "Another team already has this name."),
        # Only active supervisors are valid supervisor choices; only active agents are agents.
        ("Wrong", ["agent_a1"], [], "is not a valid choice for this field."),
        ("Wrong", ["manager"], [], "is not a valid choice for this field."),
        ("Wrong", ["admin"], [], "is not a valid choice for this field."),
        ("Wrong", ["supervisor_none", "agent_b1"], [], "is not a valid choice for this field."),
        ("Wrong", ["inactive_supervisor"], [], "is not a valid choice for this field."),
        ("Wrong", ["supervisor_none"], ["supervisor_a"], "is not a valid choice for this field."),
        ("Wrong", ["supervisor_none"], ["inactive_agent"], "is not a valid choice for this field."),
        ("Wrong", ["supervisor_none"], [999_999], "is not a valid choice for this field."),
        ("Wrong", ["supervisor_none"], ["abc"], "could not be coerced."),
    ],
)
def test_create_team_validation(
    app: Flask,
    admin_client: FlaskClient,
    org: Organisation,
    make_user: Any,
    name: str,
    supervisors: list[Any],
    agents: list[Any],
    message: str,
) -> None:
    people = org.members()
    people["inactive_supervisor"] = make_user(Role.SUPERVISOR, active=False)
    people["inactive_agent"] = make_user(Role.AGENT, org.team_b, active=False)

    def resolve(key: Any) -> Any:
        return people[key].id if key in people else key

    before = state(app)
    response = post_form(
        admin_client,
        "/admin/teams/new",
        team_form(name, [resolve(key) for key in supervisors], [resolve(key) for key in agents]),
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert state(app) == before
    assert team_events(app) == []


# --- editing ------------------------------------------------------------------------------------


def test_edit_form_shows_the_current_members(admin_client: FlaskClient, org: Organisation) -> None:
    html = admin_client.get(f"/admin/teams/{org.team_a.id}").get_data(as_text=True)
    assert 'value="Team A"' in html
    assert chosen(html, "supervisor_ids") == set(ids(org, "supervisor_a"))
    assert chosen(html, "agent_ids") == set(ids(org, "agent_a1", "agent_a2"))


def test_rename_team(app: Flask, admin_client: FlaskClient, org: Organisation) -> None:
    team = org.team_a
    response = post_form(
        admin_client,
        f"/admin/teams/{team.id}",
        team_form("Team Alpha", ids(org, "supervisor_a"), ids(org, "agent_a1", "agent_a2")),
    )
    assert response.status_code == 302
    assert team_state(app, "Team Alpha") == (
        ids(org, "supervisor_a"),
        ids(org, "agent_a1", "agent_a2"),
    )
    assert team_state(app, "Team A") is None
    assert team_events(app) == [
        {
            "action": "team.updated",
            "entity_id": team.id,
            "actor_id": org.admin.id,
            "before": {"name": "Team A"},
            "after": {"name": "Team Alpha"},
        }
    ]


def test_saving_an_unchanged_team_is_not_a_conflict_and_not_audited(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    before = state(app)
    response = post_form(
        admin_client,
        f"/admin/teams/{org.team_a.id}",
        team_form("Team A", ids(org, "supervisor_a"), ids(org, "agent_a1", "agent_a2")),
    )
    assert response.status_code == 302
    assert state(app) == before
    assert team_events(app) == []


def test_rename_to_another_teams_name_is_refused(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    before = state(app)
    response = post_form(
        admin_client,
        f"/admin/teams/{org.team_a.id}",
        team_form("Team B", ids(org, "supervisor_a"), ids(org, "agent_a1", "agent_a2")),
    )
    assert response.status_code == 200
    assert "Another team already has this name." in response.get_data(as_text=True)
    assert state(app) == before
    assert team_events(app) == []


def test_assign_supervisors(app: Flask, admin_client: FlaskClient, org: Organisation) -> None:
    team = org.team_a
    # A second supervisor, who already supervises Team B: a supervisor may have several teams.
    new = ids(org, "supervisor_a", "supervisor_b")
    response = post_form(
        admin_client,
        f"/admin/teams/{team.id}",
        team_form("Team A", new, ids(org, "agent_a1", "agent_a2")),
    )
    assert response.status_code == 302
    assert team_state(app, "Team A") == (sorted(new), ids(org, "agent_a1", "agent_a2"))
    assert team_state(app, "Team B") == (ids(org, "supervisor_b"), ids(org, "agent_b1", "agent_b2"))
    # Replacing the supervisor.
    post_form(
        admin_client,
        f"/admin/teams/{team.id}",
        team_form("Team A", ids(org, "supervisor_none"), ids(org, "agent_a1", "agent_a2")),
    )
    assert team_state(app, "Team A") == (
        ids(org, "supervisor_none"),
        ids(org, "agent_a1", "agent_a2"),
    )
    assert [(e["action"], e["before"], e["after"]) for e in team_events(app)] == [
        (
            "team.updated",
            {"supervisor_ids": ids(org, "supervisor_a")},
            {"supervisor_ids": sorted(new)},
        ),
        (
            "team.updated",
            {"supervisor_ids": sorted(new)},
            {"supervisor_ids": ids(org, "supervisor_none")},
        ),
    ]


def test_removing_every_supervisor_is_refused(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    before = state(app)
    response = post_form(
        admin_client,
        f"/admin/teams/{org.team_a.id}",
        {"name": "Team A", "agent_ids": ids(org, "agent_a1", "agent_a2")},
    )
    assert response.status_code == 200
    assert "Choose at least one supervisor." in response.get_data(as_text=True)
    assert state(app) == before


def test_move_an_agent_from_another_team(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    team = org.team_a
    response = post_form(
        admin_client,
        f"/admin/teams/{team.id}",
        team_form("Team A", ids(org, "supervisor_a"), ids(org, "agent_a1", "agent_a2", "agent_b1")),
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, org.agent_b1.id).team_id == team.id
    assert team_state(app, "Team A") == (
        ids(org, "supervisor_a"),
        sorted(ids(org, "agent_a1", "agent_a2", "agent_b1")),
    )
    assert team_state(app, "Team B") == (ids(org, "supervisor_b"), ids(org, "agent_b2"))
    assert team_events(app) == [
        {
            "action": "team.updated",
            "entity_id": team.id,
            "actor_id": org.admin.id,
            "before": {"agent_ids": ids(org, "agent_a1", "agent_a2")},
            "after": {"agent_ids": sorted(ids(org, "agent_a1", "agent_a2", "agent_b1"))},
        }
    ]


@pytest.mark.parametrize(
    ("kept", "removed"),
    [
        (["agent_a1"], ["agent_a2"]),
        ([], ["agent_a1", "agent_a2"]),
    ],
)
def test_removing_agents_leaves_them_without_a_team(
    app: Flask, admin_client: FlaskClient, org: Organisation, kept: list[str], removed: list[str]
) -> None:
    team = org.team_a
    data = team_form("Team A", ids(org, "supervisor_a"), ids(org, *kept))
    if not kept:
        del data["agent_ids"]  # no box ticked: the browser sends no agent_ids field at all
    response = post_form(admin_client, f"/admin/teams/{team.id}", data)
    assert response.status_code == 302
    with app.app_context():
        for key in removed:
            agent = db.session.get(User, org.member(key).id)
            assert (agent.team_id, agent.role, agent.active) == (None, "agent", True)
    assert team_state(app, "Team A") == (ids(org, "supervisor_a"), ids(org, *kept))
    assert team_events(app)[-1]["before"] == {"agent_ids": ids(org, "agent_a1", "agent_a2")}
    assert team_events(app)[-1]["after"] == {"agent_ids": ids(org, *kept)}


@pytest.mark.parametrize("intruder", ["agent_a1", "manager", "inactive_supervisor"])
def test_non_supervisor_posted_as_supervisor_changes_nothing(
    app: Flask, admin_client: FlaskClient, org: Organisation, make_user: Any, intruder: str
) -> None:
    people = dict(org.members(), inactive_supervisor=make_user(Role.SUPERVISOR, active=False))
    before = state(app)
    response = post_form(
        admin_client,
        f"/admin/teams/{org.team_b.id}",
        team_form(
            "Team B renamed",
            [org.supervisor_b.id, people[intruder].id],
            ids(org, "agent_b1", "agent_b2"),
        ),
    )
    assert response.status_code == 200
    assert "is not a valid choice for this field." in response.get_data(as_text=True)
    assert state(app) == before  # not even the new name
    assert team_events(app) == []


def test_editing_a_team_keeps_its_deactivated_agents(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    """Deactivated agents are not offered on the form, and saving (even a rename) must not
    silently drop them from their team."""
    with app.app_context():
        db.session.get(User, org.agent_a2.id).active = False
        db.session.commit()
    html = admin_client.get(f"/admin/teams/{org.team_a.id}").get_data(as_text=True)
    assert org.agent_a2.id not in offered(html, "agent_ids")
    # The browser posts what the form shows: the active agent only.
    response = post_form(
        admin_client,
        f"/admin/teams/{org.team_a.id}",
        team_form(
            "Team Alpha", sorted(chosen(html, "supervisor_ids")), sorted(chosen(html, "agent_ids"))
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, org.agent_a2.id).team_id == org.team_a.id
    assert team_events(app)[-1]["after"] == {"name": "Team Alpha"}


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/teams/new", "/admin/teams/{team}"])
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_team_posts_without_a_valid_csrf_token_are_refused(
    app: Flask, admin_client: FlaskClient, org: Organisation, path: str, token: str | None
) -> None:
    before = state(app)
    data = team_form("Hijacked", ids(org, "supervisor_none"), ids(org, "agent_a1", "agent_b1"))
    if token:
        data["csrf_token"] = token
    response = admin_client.post(path.format(team=org.team_a.id), data=data)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert state(app) == before
    assert team_events(app) == []


def test_team_settings_are_saved_and_audited(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    team = org.team_a
    response = post_form(
        admin_client,
        f"/admin/teams/{team.id}",
        team_form(
            "Team A",
            [org.supervisor_a.id],
            [org.agent_a1.id, org.agent_a2.id],
            release_mode="manual",
            target=6,
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Team, team.id)
        assert (saved.release_mode, saved.evaluations_per_agent_month) == ("manual", 6)
    assert team_events(app)[-1]["after"] == {
        "release_mode": "manual",
        "evaluations_per_agent_month": 6,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("release_mode", "sometimes"),
        ("evaluations_per_agent_month", "-1"),
        ("evaluations_per_agent_month", ""),
    ],
)
def test_team_settings_are_validated(
    app: Flask, admin_client: FlaskClient, org: Organisation, field: str, value: str
) -> None:
    data = team_form("Team A", [org.supervisor_a.id], [org.agent_a1.id])
    data[field] = value
    before = state(app)
    response = post_form(admin_client, f"/admin/teams/{org.team_a.id}", data)
    assert response.status_code == 200
    assert state(app) == before


def test_moving_agents_is_recorded_on_each_agent(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    response = post_form(
        admin_client,
        f"/admin/teams/{org.team_a.id}",
        team_form("Team A", [org.supervisor_a.id], [org.agent_a1.id, org.agent_b1.id]),
    )
    assert response.status_code == 302
    with app.app_context():
        moves = {
            event.entity_id: (event.before, event.after)
            for event in db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == "user.updated")
            )
        }
    assert moves == {
        org.agent_b1.id: ({"team_id": org.team_b.id}, {"team_id": org.team_a.id}),
        org.agent_a2.id: ({"team_id": org.team_a.id}, {"team_id": None}),
    }
