"""`flask create-user`: the first administrator, and accounts created from scripts."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.auth.passwords import verify_password
from qa_app.extensions import db
from tests.conftest import PASSWORD, sign_in


def create_user(runner: Any, *args: str, password: str = PASSWORD) -> Any:
    """Run `flask create-user ARGS` with the password on standard input."""
    return runner.invoke(args=["create-user", *args], input=password + "\n")


def users(app: Flask) -> list[tuple[str, str, int | None]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(  # type: ignore[misc]
                sa.select(User.email, User.role, User.team_id).order_by(User.id)
            )
        ]


def stored(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def test_create_admin(app: Flask, runner: Any) -> None:
    result = create_user(runner, "  Ada.Admin@Example.TEST ", "--role", "admin")
    assert result.exit_code == 0, result.output
    user = stored(app, "ada.admin@example.test")
    assert user is not None
    assert result.output.strip() == f"Created admin ada.admin@example.test (id {user.id})."
    assert (user.role, user.display_name, user.team_id, user.active) == (
        "admin",
        "Ada Admin",
        None,
        True,
    )
    assert user.must_change_password is False  # they chose the password themselves
    assert verify_password(user.password_hash, PASSWORD)
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent))
        assert (event.action, event.entity_id, event.actor_id, event.after["email"]) == (
            "user.created",
            user.id,
            None,
            "ada.admin@example.test",
        )


def test_created_admin_can_sign_in_and_administer(app: Flask, runner: Any) -> None:
    assert create_user(runner, "root@example.test", "--role", "admin").exit_code == 0
    browser = app.test_client()
    response = sign_in(browser, "root@example.test", PASSWORD)
    assert response.status_code == 302
    assert browser.get("/").status_code == 200  # not held on the password page
    assert browser.get("/admin/users").status_code == 200


def test_create_agent_in_a_team_with_a_name(
    app: Flask, runner: Any, make_team: Any, make_user: Any
) -> None:
    team = make_team("Billing", supervisors=[make_user(Role.SUPERVISOR)])
    result = create_user(
        runner, "kim@example.test", "--role", "agent", "--team", "Billing", "--name", "Kim Lee"
    )
    assert result.exit_code == 0, result.output
    user = stored(app, "kim@example.test")
    assert user is not None
    assert (user.role, user.team_id, user.display_name) == ("agent", team.id, "Kim Lee")


def test_password_line_ending_is_not_part_of_the_password(app: Flask, runner: Any) -> None:
    result = runner.invoke(
        args=["create-user", "crlf@example.test", "--role", "manager"], input=PASSWORD + "\r\n"
    )
    assert result.exit_code == 0, result.output
    assert sign_in(app.test_client(), "crlf@example.test", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("x@example.test", "", "Use at least 10 characters."),
        ("x@example.test", "short", "Use at least 10 characters."),
        ("x@example.test", "password123", "This password is too common"),
        ("x@example.test", "abababababab", "Use more different characters."),
        (
            "longname.here@example.test",
            "longname.here",
            "Do not use your e-mail address as the password.",
        ),
        ("x@example.test", "y" * 257, "Use at most 256 characters."),
    ],
)
def test_password_policy_refusal(
    app: Flask, runner: Any, email: str, password: str, message: str
) -> None:
    result = create_user(runner, email, "--role", "admin", password=password)
    assert result.exit_code == 1
    assert "Password refused:" in result.output
    assert message in result.output
    assert users(app) == []


def test_password_refusal_message(app: Flask, runner: Any) -> None:
    """Outside any request the messages are still translated (default locale), not a crash."""
    result = create_user(runner, "x@example.test", "--role", "admin", password="short")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: Password refused: Use at least 10 characters."
    assert users(app) == []


def test_unknown_team_lists_the_existing_teams(app: Flask, runner: Any, make_team: Any) -> None:
    make_team("Support")
    make_team("Billing")
    result = create_user(runner, "pat@example.test", "--role", "agent", "--team", "Sales")
    assert result.exit_code == 1
    assert "No team named 'Sales'. Existing teams: Billing, Support." in result.output
    assert users(app) == []


def test_unknown_team_without_any_teams(app: Flask, runner: Any) -> None:
    result = create_user(runner, "pat@example.test", "--role", "agent", "--team", "Sales")
    assert result.exit_code == 1
    assert "Existing teams: none." in result.output


def test_team_names_match_exactly(app: Flask, runner: Any, make_team: Any) -> None:
    make_team("Billing")
    result = create_user(runner, "pat@example.test", "--role", "agent", "--team", "billing")
    assert result.exit_code == 1
    assert "Existing teams: Billing." in result.output


@pytest.mark.parametrize("role", ["admin", "manager", "supervisor"])
def test_team_is_refused_for_non_agents(app: Flask, runner: Any, make_team: Any, role: str) -> None:
    make_team("Billing")
    result = create_user(runner, "boss@example.test", "--role", role, "--team", "Billing")
    assert result.exit_code == 1
    assert "--team is for agents" in result.output
    assert users(app) == []


@pytest.mark.parametrize("email", ["taken@example.test", "  TAKEN@Example.test"])
def test_duplicate_email_is_refused(app: Flask, runner: Any, make_user: Any, email: str) -> None:
    existing = make_user(Role.MANAGER, email="taken@example.test")
    result = create_user(runner, email, "--role", "admin")
    assert result.exit_code == 1
    assert "A user with the e-mail taken@example.test already exists." in result.output
    assert users(app) == [("taken@example.test", "manager", None)]
    assert stored(app, "taken@example.test").password_hash == existing.password_hash  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x@example.test"], "Missing option '--role'"),
        (["x@example.test", "--role", "owner"], "Invalid value for '--role'"),
        (["--role", "admin"], "Missing argument 'EMAIL'"),
    ],
)
def test_usage_errors(app: Flask, runner: Any, args: list[str], message: str) -> None:
    result = create_user(runner, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert users(app) == []
