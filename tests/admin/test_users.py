"""Administering users: the list, creating, editing, deactivating and resetting passwords."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.admin.services import (
    TEMPORARY_PASSWORD_ALPHABET,
    AdminRuleError,
    UserData,
    set_user_active,
    update_user,
)
from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, SignInThrottle, User, UserSession
from qa_app.auth.passwords import hash_password, verify_password
from qa_app.database import utcnow
from qa_app.extensions import db
from qa_app.teams.models import Team
from tests.conftest import PASSWORD, Organisation, post_form, sign_in

TEMPORARY_PASSWORD = re.compile(r'<p class="password-once"><code>([^<]+)</code></p>')
EMAIL_CELL = re.compile(r"<td>([^<@\s]+@[^<\s]+)</td>")
NEW_PASSWORD = "my very own passphrase"


@pytest.fixture
def admin_client(org: Organisation, sign_in_as: Callable[[User], FlaskClient]) -> FlaskClient:
    return sign_in_as(org.admin)


def listed_emails(response: Any) -> list[str]:
    """The e-mail column of the user table, in page order."""
    assert response.status_code == 200
    return EMAIL_CELL.findall(response.get_data(as_text=True))


def temporary_password(response: Any) -> str:
    """The one-time password on the 'password shown' page."""
    assert response.status_code == 200, response.get_data(as_text=True)
    match = TEMPORARY_PASSWORD.search(response.get_data(as_text=True))
    assert match, "no temporary password on the page"
    return match.group(1)


def admin_events(app: Flask) -> list[dict[str, Any]]:
    """Every audit event except sign-ins, oldest first."""
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action.not_like("auth.%"))
            .order_by(AuditEvent.id)
        ).all()
        return [
            {
                "action": e.action,
                "entity_type": e.entity_type,
                "entity_id": e.entity_id,
                "actor_id": e.actor_id,
                "before": e.before,
                "after": e.after,
            }
            for e in events
        ]


def get_user(app: Flask, user_id: int) -> User:
    """A fresh, detached copy of a user with the supervised teams loaded."""
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        _ = user.supervised_teams
        db.session.expunge(user)
        return user


def user_by_email(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def user_rows(app: Flask) -> list[tuple[Any, ...]]:
    """Everything an admin page could change about users, for 'nothing changed' checks."""
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                sa.select(
                    User.id,
                    User.email,
                    User.display_name,
                    User.role,
                    User.team_id,
                    User.external_id,
                    User.active,
                    User.must_change_password,
                    User.password_hash,
                ).order_by(User.id)
            )
        ]


def form_for(user: User, **changes: Any) -> dict[str, Any]:
    """The edit form as the browser would post it, with `changes` applied."""
    data = {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "team_id": user.team_id or 0,
        "external_id": user.external_id or "",
    }
    data.update(changes)
    return data


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new"])
@pytest.mark.parametrize("who", ["manager", "supervisor_a", "agent_a1"])
def test_only_admins_open_the_user_pages(
    org: Organisation, sign_in_as: Any, who: str, path: str
) -> None:
    assert sign_in_as(org.member(who)).get(path).status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client: FlaskClient, org: Organisation) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("who", ["manager", "agent_a1"])
def test_non_admins_cannot_post_changes(
    app: Flask, org: Organisation, sign_in_as: Any, who: str
) -> None:
    browser = sign_in_as(org.member(who))
    before = user_rows(app)
    target = org.agent_b1.id
    assert post_form(browser, f"/admin/users/{target}/active", {"active": "0"}).status_code == 403
    assert post_form(browser, f"/admin/users/{target}/reset-password").status_code == 403
    assert user_rows(app) == before


# --- the list -----------------------------------------------------------------------------------


@pytest.fixture
def directory(app: Flask, org: Organisation) -> Organisation:
    """The org with one deactivated agent and one agent with an external id."""
    with app.app_context():
        db.session.get(User, org.agent_a2.id).active = False
        db.session.get(User, org.agent_b1.id).external_id = "ACD-4711"
        db.session.commit()
    return org


ACTIVE = {
    "admin@example.test",
    "manager@example.test",
    "sup.a@example.test",
    "sup.b@example.test",
    "sup.none@example.test",
    "a1@example.test",
    "b1@example.test",
    "b2@example.test",
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ACTIVE),
        ({"q": "sup."}, {"sup.a@example.test", "sup.b@example.test", "sup.none@example.test"}),
        ({"q": "  SUP.A@Example "}, {"sup.a@example.test"}),
        ({"q": "agent"}, {"a1@example.test", "b1@example.test", "b2@example.test"}),
        ({"q": "acd-47"}, {"b1@example.test"}),
        ({"q": "nobody-matches"}, set()),
        (
            {"role": "supervisor"},
            {"sup.a@example.test", "sup.b@example.test", "sup.none@example.test"},
        ),
        ({"role": "manager"}, {"manager@example.test"}),
        ({"team_id": "A"}, {"a1@example.test"}),
        ({"team_id": "B", "role": "agent"}, {"b1@example.test", "b2@example.test"}),
        ({"team_id": "A", "include_inactive": "y"}, {"a1@example.test", "a2@example.test"}),
        ({"include_inactive": "y"}, ACTIVE | {"a2@example.test"}),
        ({"role": "agent", "include_inactive": "y", "q": "a2@"}, {"a2@example.test"}),
        ({"q": "a2@"}, set()),
        # An invalid filter does not fail the page: it shows the active users.
        ({"role": "pirate"}, ACTIVE),
    ],
)
def test_user_list_filters(
    admin_client: FlaskClient, directory: Organisation, query: dict[str, str], expected: set[str]
) -> None:
    teams = {"A": str(directory.team_a.id), "B": str(directory.team_b.id)}
    if "team_id" in query:
        query = {**query, "team_id": teams[query["team_id"]]}
    response = admin_client.get("/admin/users", query_string=query)
    emails = listed_emails(response)
    assert set(emails) == expected
    assert len(emails) == len(expected)
    noun = "user" if len(expected) == 1 else "users"
    assert f"{len(expected)} {noun}" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("_", ["b1_x@example.test"]),
        ("%", []),
        ("a_@", []),
        ("1_x", ["b1_x@example.test"]),
        ("100%", []),
    ],
)
def test_search_text_is_taken_literally(
    admin_client: FlaskClient, make_user: Any, q: str, expected: list[str]
) -> None:
    """% and _ are not LIKE wildcards in the search box."""
    make_user(Role.AGENT, email="b1_x@example.test")
    response = admin_client.get("/admin/users", query_string={"q": q})
    assert listed_emails(response) == expected


def test_user_list_shows_team_role_status_and_external_id(
    admin_client: FlaskClient, directory: Organisation
) -> None:
    html = admin_client.get("/admin/users", query_string={"include_inactive": "y"}).get_data(
        as_text=True
    )
    b1 = directory.agent_b1
    assert f'href="/admin/users/{b1.id}">{b1.display_name}</a>' in html
    row = html[html.index(f"/admin/users/{b1.id}") :]
    row = row[: row.index("</tr>")]
    assert "Team B" in row
    assert "ACD-4711" in row
    assert "active" in row
    a2_row = html[html.index(f"/admin/users/{directory.agent_a2.id}") :]
    assert "deactivated" in a2_row[: a2_row.index("</tr>")]


@pytest.fixture
def crowd(app: Flask, make_user: Any) -> User:
    """An admin and 60 agents named "Person 01" … "Person 60"."""
    admin = make_user(Role.ADMIN, display_name="Aaron Admin")
    with app.app_context():
        password_hash = hash_password(PASSWORD)
        db.session.add_all(
            User(
                email=f"person{n:02d}@example.test",
                display_name=f"Person {n:02d}",
                role=Role.AGENT.value,
                password_hash=password_hash,
            )
            for n in range(1, 61)
        )
        db.session.commit()
    return admin


def test_user_list_is_paginated(crowd: User, sign_in_as: Any) -> None:
    browser = sign_in_as(crowd)
    first = browser.get("/admin/users")
    second = browser.get("/admin/users", query_string={"page": 2})
    page_one, page_two = listed_emails(first), listed_emails(second)
    assert len(page_one) == 50
    assert len(page_two) == 11
    assert not set(page_one) & set(page_two)
    # Ordered by name across pages: the admin first, then Person 01 … Person 60.
    assert page_one[0] == crowd.email
    assert page_one[1:] + page_two == [f"person{n:02d}@example.test" for n in range(1, 61)]
    assert "61 users" in first.get_data(as_text=True)
    assert 'href="/admin/users?page=2"' in first.get_data(as_text=True)


def test_pagination_keeps_the_filters(crowd: User, sign_in_as: Any) -> None:
    browser = sign_in_as(crowd)
    response = browser.get("/admin/users", query_string={"role": "agent", "q": "person"})
    html = response.get_data(as_text=True)
    assert "60 users" in html
    links = re.findall(r'class="page-link" href="([^"]+)"', html)
    page_two = [link for link in links if "page=2" in link]
    assert page_two, links
    assert "role=agent" in page_two[0]
    assert "q=person" in page_two[0]
    second = browser.get(page_two[0].replace("&amp;", "&"))
    assert listed_emails(second) == [f"person{n:02d}@example.test" for n in range(51, 61)]


def test_page_beyond_the_end_is_empty_not_an_error(crowd: User, sign_in_as: Any) -> None:
    response = sign_in_as(crowd).get("/admin/users", query_string={"page": 99})
    assert listed_emails(response) == []
    assert "No user matches." in response.get_data(as_text=True)


# --- creating -----------------------------------------------------------------------------------


def test_create_user_form_shows_the_fields(admin_client: FlaskClient, org: Organisation) -> None:
    html = admin_client.get("/admin/users/new").get_data(as_text=True)
    for name in ("email", "display_name", "role", "team_id", "external_id", "csrf_token"):
        assert f'name="{name}"' in html
    assert ">Team A</option>" in html
    assert ">No team</option>" in html


def test_a_new_user_is_an_agent_unless_chosen_otherwise(
    admin_client: FlaskClient, org: Organisation
) -> None:
    """The role a slip would leave selected is Agent, never Administrator."""
    html = admin_client.get("/admin/users/new").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="role"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no role select"
    assert re.findall(r'<option selected value="(\w+)"', select.group(1)) == ["agent"]
    # Editing shows the user's own role, not the default.
    edit = admin_client.get(f"/admin/users/{org.manager.id}").get_data(as_text=True)
    assert '<option selected value="manager">' in edit


def test_create_user_shows_a_temporary_password_once(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "email": "  New.Agent@Example.TEST ",
            "display_name": " Nina New ",
            "role": "agent",
            "team_id": org.team_a.id,
            "external_id": "ACD-1001",
        },
    )
    password = temporary_password(response)
    assert len(password) == 14
    assert set(password) <= set(TEMPORARY_PASSWORD_ALPHABET)
    assert "User created" in response.get_data(as_text=True)

    user = user_by_email(app, "new.agent@example.test")
    assert user is not None
    assert (user.display_name, user.role, user.team_id, user.external_id, user.active) == (
        "Nina New",
        "agent",
        org.team_a.id,
        "ACD-1001",
        True,
    )
    assert user.must_change_password is True
    assert verify_password(user.password_hash, password)
    # The password is not shown again anywhere.
    assert password not in admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert password not in admin_client.get("/admin/users").get_data(as_text=True)

    assert admin_events(app) == [
        {
            "action": "user.created",
            "entity_type": "user",
            "entity_id": user.id,
            "actor_id": org.admin.id,
            "before": None,
            "after": {
                "email": "new.agent@example.test",
                "display_name": "Nina New",
                "role": "agent",
                "team_id": org.team_a.id,
                "external_id": "ACD-1001",
                "qa_lead": False,
                "active": True,
            },
        }
    ]


def test_two_new_users_get_different_temporary_passwords(
    admin_client: FlaskClient, org: Organisation
) -> None:
    first = post_form(
        admin_client,
        "/admin/users/new",
        {"email": "one@example.test", "display_name": "One", "role": "manager", "team_id": 0},
    )
    second = post_form(
        admin_client,
        "/admin/users/new",
        {"email": "two@example.test", "display_name": "Two", "role": "manager", "team_id": 0},
    )
    assert temporary_password(first) != temporary_password(second)


def test_new_user_must_change_the_temporary_password(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    password = temporary_password(
        post_form(
            admin_client,
            "/admin/users/new",
            {
                "email": "newbie@example.test",
                "display_name": "Newbie",
                "role": "supervisor",
                "team_id": 0,
            },
        )
    )
    browser = app.test_client()
    assert sign_in(browser, "newbie@example.test", password).status_code == 302
    for path in ("/", "/admin/users"):
        response = browser.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/account"
    assert browser.get("/account").status_code == 200

    response = post_form(
        browser,
        "/account/password",
        {"current_password": password, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert browser.get("/").status_code == 200
    user = user_by_email(app, "newbie@example.test")
    assert user is not None
    assert user.must_change_password is False
    assert sign_in(app.test_client(), "newbie@example.test", NEW_PASSWORD).status_code == 302


def test_team_of_a_new_non_agent_is_refused(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "email": "sup@example.test",
            "display_name": "Sup",
            "role": "supervisor",
            "team_id": org.team_a.id,
        },
    )
    assert response.status_code == 200
    assert "Only agents belong to a team; leave this empty." in response.get_data(as_text=True)
    assert user_by_email(app, "sup@example.test") is None


VALID_NEW_USER = {
    "email": "fresh@example.test",
    "display_name": "Fresh Face",
    "role": "agent",
    "team_id": 0,
    "external_id": "",
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": ""}, "This field is required."),
        ({"email": "not-an-address"}, "Enter an e-mail address such as name@example.com."),
        ({"email": "two@@example.test"}, "Enter an e-mail address such as name@example.com."),
        ({"email": "a b@example.test"}, "Enter an e-mail address such as name@example.com."),
        ({"email": "name@"}, "Enter an e-mail address such as name@example.com."),
        ({"email": "name@example..test"}, "Enter an e-mail address such as name@example.com."),
        ({"email": "a" * 250 + "@example.test"}, "Field cannot be longer than 254 characters."),
        ({"email": "A1@EXAMPLE.test"}, "Another user already has this e-mail address."),
        ({"email": " sup.a@example.test "}, "Another user already has this e-mail address."),
        ({"display_name": "   "}, "This field is required."),
        ({"display_name": "x" * 121}, "Field cannot be longer than 120 characters."),
        ({"role": "pirate"}, "Not a valid choice."),
        ({"team_id": 999_999}, "Not a valid choice."),
        ({"team_id": "abc"}, "Invalid Choice: could not coerce."),
        ({"external_id": "ACD-0001"}, "Another user already has this external id."),
        ({"external_id": "x" * 65}, "Field cannot be longer than 64 characters."),
        (
            {"role": "manager", "team_id": "TEAM_A"},
            "Only agents belong to a team; leave this empty.",
        ),
    ],
)
def test_create_user_validation(
    app: Flask,
    admin_client: FlaskClient,
    org: Organisation,
    changes: dict[str, Any],
    message: str,
) -> None:
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "ACD-0001"
        db.session.commit()
    before = user_rows(app)
    data = {**VALID_NEW_USER, **changes}
    if data["team_id"] == "TEAM_A":
        data["team_id"] = org.team_a.id
    response = post_form(admin_client, "/admin/users/new", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert "password-once" not in html
    assert user_rows(app) == before
    assert admin_events(app) == []


# Sign-in names, never mailed to: internal and reserved domains are fine (the demo users are
# @demo.test), which strict deliverability-style validators refuse.
@pytest.mark.parametrize("email", ["new.agent@demo.test", "kim@corp.local", "lee@localhost"])
def test_internal_domains_are_accepted(
    app: Flask, admin_client: FlaskClient, org: Organisation, email: str
) -> None:
    response = post_form(
        admin_client,
        "/admin/users/new",
        {"email": email, "display_name": "New", "role": "agent", "team_id": 0},
    )
    assert temporary_password(response)
    assert user_by_email(app, email) is not None


def test_demo_users_can_be_edited(app: Flask, admin_client: FlaskClient, make_user: Any) -> None:
    demo_agent = make_user(Role.AGENT, email="agent@demo.test")
    response = post_form(
        admin_client,
        f"/admin/users/{demo_agent.id}",
        form_for(demo_agent, display_name="Renamed Demo Agent"),
    )
    assert response.status_code == 302
    assert get_user(app, demo_agent.id).display_name == "Renamed Demo Agent"


# --- editing ------------------------------------------------------------------------------------


def test_edit_form_shows_the_current_values(admin_client: FlaskClient, org: Organisation) -> None:
    agent = org.agent_b1
    html = admin_client.get(f"/admin/users/{agent.id}").get_data(as_text=True)
    assert f'value="{agent.email}"' in html
    assert f'value="{agent.display_name}"' in html
    assert re.search(
        rf'<option selected value="{org.team_b.id}">Team B</option>|'
        rf'<option value="{org.team_b.id}" selected>Team B</option>',
        html,
    )
    assert re.search(r'<option selected value="agent">|<option value="agent" selected>', html)


def test_edit_unknown_user_is_404(admin_client: FlaskClient) -> None:
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert post_form(admin_client, "/admin/users/999999/active", {"active": "0"}).status_code == 404


def test_edit_user_saves_and_audits_only_what_changed(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    agent = org.agent_a1
    response = post_form(
        admin_client,
        f"/admin/users/{agent.id}",
        form_for(
            agent,
            email=" Renamed@Example.TEST",
            display_name="Renamed Agent",
            team_id=org.team_b.id,
            external_id="ACD-9",
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    assert "Saved Renamed Agent." in admin_client.get("/admin/users").get_data(as_text=True)

    user = get_user(app, agent.id)
    assert (user.email, user.display_name, user.team_id, user.external_id, user.role) == (
        "renamed@example.test",
        "Renamed Agent",
        org.team_b.id,
        "ACD-9",
        "agent",
    )
    assert admin_events(app) == [
        {
            "action": "user.updated",
            "entity_type": "user",
            "entity_id": agent.id,
            "actor_id": org.admin.id,
            "before": {
                "email": "a1@example.test",
                "display_name": agent.display_name,
                "team_id": org.team_a.id,
                "external_id": None,
            },
            "after": {
                "email": "renamed@example.test",
                "display_name": "Renamed Agent",
                "team_id": org.team_b.id,
                "external_id": "ACD-9",
            },
        }
    ]


def test_saving_an_unchanged_user_writes_no_audit_event(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "ACD-1"
        db.session.commit()
    agent = get_user(app, org.agent_a1.id)
    # Keeping one's own e-mail and external id is not a uniqueness conflict.
    response = post_form(admin_client, f"/admin/users/{agent.id}", form_for(agent))
    assert response.status_code == 302
    assert admin_events(app) == []


def test_external_id_can_be_cleared(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "ACD-1"
        db.session.commit()
    agent = get_user(app, org.agent_a1.id)
    response = post_form(
        admin_client, f"/admin/users/{agent.id}", form_for(agent, external_id="  ")
    )
    assert response.status_code == 302
    assert get_user(app, agent.id).external_id is None
    assert admin_events(app)[-1]["after"] == {"external_id": None}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "B1@example.test"}, "Another user already has this e-mail address."),
        ({"external_id": "ACD-B1"}, "Another user already has this external id."),
        ({"email": "broken"}, "Enter an e-mail address such as name@example.com."),
        ({"display_name": ""}, "This field is required."),
        ({"role": "supervisor"}, "Only agents belong to a team; leave this empty."),
        ({"role": "root"}, "Not a valid choice."),
    ],
)
def test_edit_user_errors_are_shown_on_the_form(
    app: Flask,
    admin_client: FlaskClient,
    org: Organisation,
    changes: dict[str, Any],
    message: str,
) -> None:
    with app.app_context():
        db.session.get(User, org.agent_b1.id).external_id = "ACD-B1"
        db.session.commit()
    before = user_rows(app)
    agent = org.agent_a1
    response = post_form(admin_client, f"/admin/users/{agent.id}", form_for(agent, **changes))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="invalid-feedback d-block"' in html
    assert user_rows(app) == before
    assert admin_events(app) == []


@pytest.mark.parametrize("role", ["supervisor", "manager", "admin"])
def test_agent_leaving_the_agent_role_leaves_the_team(
    app: Flask, admin_client: FlaskClient, org: Organisation, role: str
) -> None:
    agent = org.agent_a1
    response = post_form(
        admin_client, f"/admin/users/{agent.id}", form_for(agent, role=role, team_id=0)
    )
    assert response.status_code == 302
    user = get_user(app, agent.id)
    assert (user.role, user.team_id) == (role, None)
    event = admin_events(app)[-1]
    assert (event["action"], event["before"], event["after"]) == (
        "user.updated",
        {"role": "agent", "team_id": org.team_a.id},
        {"role": role, "team_id": None},
    )


@pytest.mark.parametrize("role", ["manager", "agent", "admin"])
def test_supervisor_changing_role_drops_supervised_teams(
    app: Flask, admin_client: FlaskClient, org: Organisation, role: str
) -> None:
    supervisor = org.supervisor_a
    with app.app_context():  # supervise both teams; team A has a second supervisor
        team_b = db.session.get(Team, org.team_b.id)
        team_b.supervisors.append(db.session.get(User, supervisor.id))
        team_a = db.session.get(Team, org.team_a.id)
        team_a.supervisors.append(db.session.get(User, org.supervisor_none.id))
        db.session.commit()
    response = post_form(
        admin_client, f"/admin/users/{supervisor.id}", form_for(supervisor, role=role)
    )
    assert response.status_code == 302
    user = get_user(app, supervisor.id)
    assert user.role == role
    assert user.supervised_teams == []
    with app.app_context():
        team_b = db.session.get(Team, org.team_b.id)
        assert [u.id for u in team_b.supervisors] == [org.supervisor_b.id]
    event = admin_events(app)[-1]
    assert (event["action"], event["before"], event["after"]) == (
        "user.updated",
        {"role": "supervisor"},
        {"role": role},
    )


def test_the_only_supervisor_of_a_team_keeps_the_role(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    supervisor = org.supervisor_a
    response = post_form(
        admin_client, f"/admin/users/{supervisor.id}", form_for(supervisor, role="manager")
    )
    assert response.status_code == 200
    assert "is the only supervisor of Team A" in response.get_data(as_text=True)
    assert get_user(app, supervisor.id).role == "supervisor"
    assert [e["action"] for e in admin_events(app)] == []


def test_supervisor_keeps_teams_when_role_is_unchanged(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    supervisor = org.supervisor_a
    response = post_form(
        admin_client,
        f"/admin/users/{supervisor.id}",
        form_for(supervisor, display_name="Sue Pervisor"),
    )
    assert response.status_code == 302
    assert [t.name for t in get_user(app, supervisor.id).supervised_teams] == ["Team A"]


def test_admin_cannot_demote_themselves(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    admin = org.admin
    before = user_rows(app)
    response = post_form(admin_client, f"/admin/users/{admin.id}", form_for(admin, role="manager"))
    assert response.status_code == 200
    assert "You cannot remove your own administrator rights" in response.get_data(as_text=True)
    assert user_rows(app) == before
    assert admin_events(app) == []
    assert admin_client.get("/admin/users").status_code == 200


def test_admin_can_demote_another_admin(
    app: Flask, admin_client: FlaskClient, org: Organisation, make_user: Any
) -> None:
    other = make_user(Role.ADMIN, email="other.admin@example.test")
    response = post_form(admin_client, f"/admin/users/{other.id}", form_for(other, role="manager"))
    assert response.status_code == 302
    assert get_user(app, other.id).role == "manager"


def test_admin_can_edit_their_own_name(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    admin = org.admin
    response = post_form(
        admin_client, f"/admin/users/{admin.id}", form_for(admin, display_name="Ada Admin")
    )
    assert response.status_code == 302
    assert get_user(app, admin.id).display_name == "Ada Admin"


# --- deactivating and reactivating --------------------------------------------------------------


def test_deactivation_signs_the_user_out_at_once(
    app: Flask, admin_client: FlaskClient, org: Organisation, sign_in_as: Any
) -> None:
    agent = org.agent_a1
    agent_browser = sign_in_as(agent)
    assert agent_browser.get("/").status_code == 200

    response = post_form(admin_client, f"/admin/users/{agent.id}/active", {"active": "0"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{agent.id}"
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is deactivated and signed out." in page
    assert "Reactivate" in page

    next_request = agent_browser.get("/")
    assert next_request.status_code == 302
    assert next_request.headers["Location"].startswith("/login")
    assert get_user(app, agent.id).active is False
    with app.app_context():
        revoked = db.session.scalars(
            sa.select(UserSession.revoked_at).where(UserSession.user_id == agent.id)
        ).all()
    assert revoked and all(moment is not None for moment in revoked)
    assert admin_events(app) == [
        {
            "action": "user.deactivated",
            "entity_type": "user",
            "entity_id": agent.id,
            "actor_id": org.admin.id,
            "before": {"active": True},
            "after": {"active": False},
        }
    ]
    refused = sign_in(app.test_client(), agent.email)
    assert refused.status_code == 401
    assert "deactivated" in refused.get_data(as_text=True)


def test_deactivating_asks_for_confirmation_first(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    """The user page links to a confirmation page (no script needed); only its button posts."""
    agent = org.agent_a1
    page = admin_client.get(f"/admin/users/{agent.id}").get_data(as_text=True)
    assert f'action="/admin/users/{agent.id}/active"' not in page
    assert f'href="/admin/users/{agent.id}/deactivate"' in page

    confirm = admin_client.get(f"/admin/users/{agent.id}/deactivate")

    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert f"Deactivate {agent.display_name}?" in text
    assert "signed out at once" in text
    action = f'<form method="post" action="/admin/users/{agent.id}/active"'
    form = re.search(re.escape(action) + r"[^>]*>(.*?)</form>", text, re.S)
    assert form, "no deactivation form"
    assert '<input type="hidden" name="active" value="0">' in form.group(1)
    assert f'href="/admin/users/{agent.id}"' in text  # the way back, changing nothing
    assert get_user(app, agent.id).active is True  # asking changes nothing
    assert admin_events(app) == []

    response = post_form(admin_client, f"/admin/users/{agent.id}/active", {"active": "0"})
    assert response.status_code == 302
    assert get_user(app, agent.id).active is False
    # A deactivated user has nothing to confirm: back to their page, which offers reactivation.
    again = admin_client.get(f"/admin/users/{agent.id}/deactivate")
    assert again.status_code == 302 and again.headers["Location"] == f"/admin/users/{agent.id}"


def test_reactivation_lets_the_user_sign_in_but_not_resume_old_sessions(
    app: Flask, admin_client: FlaskClient, org: Organisation, sign_in_as: Any
) -> None:
    agent = org.agent_b2
    old_browser = sign_in_as(agent)
    post_form(admin_client, f"/admin/users/{agent.id}/active", {"active": "0"})
    response = post_form(admin_client, f"/admin/users/{agent.id}/active", {"active": "1"})
    assert response.status_code == 302
    assert "can sign in again." in admin_client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert get_user(app, agent.id).active is True
    # The session revoked at deactivation stays revoked.
    assert old_browser.get("/").status_code == 302
    assert sign_in_as(agent).get("/").status_code == 200
    assert [(e["action"], e["before"], e["after"]) for e in admin_events(app)] == [
        ("user.deactivated", {"active": True}, {"active": False}),
        ("user.reactivated", {"active": False}, {"active": True}),
    ]


def test_deactivating_twice_is_recorded_once(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    agent = org.agent_a2
    for _ in range(2):
        post_form(admin_client, f"/admin/users/{agent.id}/active", {"active": "0"})
    assert [e["action"] for e in admin_events(app)] == ["user.deactivated"]


def test_admin_cannot_deactivate_themselves(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    admin = org.admin
    response = post_form(admin_client, f"/admin/users/{admin.id}/active", {"active": "0"})
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"])
    assert page.status_code == 200  # still signed in
    assert "You cannot remove your own administrator rights or deactivate yourself" in (
        page.get_data(as_text=True)
    )
    assert get_user(app, admin.id).active is True
    assert admin_events(app) == []


def test_admin_can_deactivate_another_admin(
    app: Flask, admin_client: FlaskClient, org: Organisation, make_user: Any
) -> None:
    other = make_user(Role.ADMIN, email="other.admin@example.test")
    response = post_form(admin_client, f"/admin/users/{other.id}/active", {"active": "0"})
    assert response.status_code == 302
    assert get_user(app, other.id).active is False


def test_last_active_admin_is_kept(app: Flask, make_user: Any) -> None:
    """Reachable only outside the web pages (a signed-in admin is always another active
    admin), so the rule is checked in the service."""
    last = make_user(Role.ADMIN, email="last.admin@example.test")
    former = make_user(Role.ADMIN, email="former.admin@example.test", active=False)
    with app.app_context():  # no request: the error message is still translated
        target = db.session.get(User, last.id)
        actor = db.session.get(User, former.id)
        with pytest.raises(AdminRuleError, match="at least one active administrator"):
            set_user_active(target, False, actor)
        with pytest.raises(AdminRuleError, match="at least one active administrator"):
            update_user(target, UserData(target.email, target.display_name, Role.MANAGER), actor)
        db.session.rollback()
    assert get_user(app, last.id).active is True
    assert get_user(app, last.id).role == "admin"
    assert admin_events(app) == []


def test_reactivating_an_admin_needs_no_other_admin(app: Flask, make_user: Any) -> None:
    only = make_user(Role.ADMIN, active=False)
    with app.app_context():
        user = db.session.get(User, only.id)
        set_user_active(user, True, user)
        db.session.commit()
    assert get_user(app, only.id).active is True


# --- resetting passwords ------------------------------------------------------------------------


def test_reset_password(
    app: Flask, admin_client: FlaskClient, org: Organisation, sign_in_as: Any
) -> None:
    agent = org.agent_a1
    agent_browser = sign_in_as(agent)
    with app.app_context():  # the agent has locked themselves out
        db.session.add(
            SignInThrottle(
                email=agent.email, failures=5, locked_until=utcnow() + timedelta(minutes=15)
            )
        )
        db.session.commit()

    response = post_form(admin_client, f"/admin/users/{agent.id}/reset-password")
    password = temporary_password(response)
    assert "Password reset" in response.get_data(as_text=True)
    assert len(password) == 14

    user = get_user(app, agent.id)
    assert user.must_change_password is True
    assert not verify_password(user.password_hash, PASSWORD)
    with app.app_context():
        assert db.session.get(SignInThrottle, agent.email) is None
    assert agent_browser.get("/").status_code == 302  # signed out everywhere

    assert sign_in(app.test_client(), agent.email, PASSWORD).status_code == 401
    browser = app.test_client()
    assert sign_in(browser, agent.email, password).status_code == 302
    assert browser.get("/").headers["Location"] == "/account"
    assert admin_events(app) == [
        {
            "action": "user.password_reset",
            "entity_type": "user",
            "entity_id": agent.id,
            "actor_id": org.admin.id,
            "before": None,
            "after": None,
        }
    ]


def test_reset_password_is_post_only(
    app: Flask, admin_client: FlaskClient, org: Organisation
) -> None:
    before = user_rows(app)
    assert admin_client.get(f"/admin/users/{org.agent_a1.id}/reset-password").status_code == 405
    assert user_rows(app) == before


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/admin/users/new",
            {"email": "x@example.test", "display_name": "X", "role": "admin", "team_id": 0},
        ),
        (
            "/admin/users/{agent}",
            {"email": "x@example.test", "display_name": "X", "role": "manager", "team_id": 0},
        ),
        ("/admin/users/{agent}/active", {"active": "0"}),
        ("/admin/users/{agent}/reset-password", {}),
    ],
)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_posts_without_a_valid_csrf_token_are_refused(
    app: Flask,
    admin_client: FlaskClient,
    org: Organisation,
    path: str,
    data: dict[str, Any],
    token: str | None,
) -> None:
    before = user_rows(app)
    payload = dict(data)
    if token:
        payload["csrf_token"] = token
    response = admin_client.post(path.format(agent=org.agent_a1.id), data=payload)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert "password-once" not in response.get_data(as_text=True)
    assert user_rows(app) == before
    assert admin_events(app) == []
