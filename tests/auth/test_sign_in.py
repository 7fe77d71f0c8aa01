"""Signing in and out: credentials, CSRF, lockout, sessions that really end, own account."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, SignInThrottle, User, UserSession
from qa_app.database import utcnow
from qa_app.extensions import db
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in

WRONG = "The e-mail address or the password is wrong."


@pytest.fixture
def agent(make_user: Any) -> User:
    return make_user(Role.AGENT, email="agent@example.test")


def test_sign_in_opens_the_home_page(client: Any, agent: User) -> None:
    response = sign_in(client, agent.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_email_is_case_and_space_insensitive(client: Any, agent: User) -> None:
    assert sign_in(client, "  AGENT@Example.TEST ").status_code == 302


@pytest.mark.parametrize("email", ["agent@example.test", "nobody@example.test"])
def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: Any, agent: User, email: str
) -> None:
    response = sign_in(client, email, "not the password")
    assert response.status_code == 401
    assert WRONG in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_without_csrf_token_is_refused(client: Any, agent: User) -> None:
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_user_is_refused(client: Any, make_user: Any) -> None:
    user = make_user(Role.AGENT, active=False)
    response = sign_in(client, user.email)
    assert response.status_code == 401
    assert "deactivated" in response.get_data(as_text=True)


def test_repeated_failures_lock_the_address(app: Flask, client: Any, agent: User) -> None:
    limit = app.config["SIGN_IN_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert WRONG in sign_in(client, agent.email, "guess").get_data(as_text=True)
    locked = sign_in(client, agent.email, "guess")
    assert "Too many failed sign-in attempts" in locked.get_data(as_text=True)
    # Even the right password is refused while locked.
    response = sign_in(client, agent.email, PASSWORD)
    assert response.status_code == 401
    assert "Try again in 15 minutes" in response.get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "auth.locked" in actions


def test_lock_expires(app: Flask, client: Any, agent: User) -> None:
    for _ in range(app.config["SIGN_IN_MAX_FAILURES"]):
        sign_in(client, agent.email, "guess")
    with app.app_context():
        throttle = db.session.get(SignInThrottle, agent.email)
        throttle.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(client, agent.email, PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.get(SignInThrottle, agent.email) is None


def test_unknown_addresses_are_locked_too(app: Flask, client: Any) -> None:
    for _ in range(app.config["SIGN_IN_MAX_FAILURES"]):
        response = sign_in(client, "ghost@example.test", "guess")
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)


def test_session_is_rotated_at_sign_in(app: Flask, client: Any, agent: User) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, agent.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["sid"]
    first_sid = session["sid"]
    post_form(client, "/logout")
    sign_in(client, agent.email)
    with client.session_transaction() as session:
        assert session["sid"] != first_sid


def test_logout_ends_the_session_on_the_server(app: Flask, client: Any, agent: User) -> None:
    sign_in(client, agent.email)
    saved_cookie = client.get_cookie("qa_session").value
    response = post_form(client, "/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    # Replaying the cookie saved before logout must not sign anybody in.
    replay = app.test_client()
    replay.set_cookie("qa_session", saved_cookie)
    response = replay.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    with app.app_context():
        assert db.session.scalar(sa.select(UserSession.revoked_at)) is not None


def test_logout_needs_post_with_csrf(client: Any, agent: User) -> None:
    sign_in(client, agent.email)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_deactivated_users_live_session_is_refused(app: Flask, client: Any, agent: User) -> None:
    sign_in(client, agent.email)
    with app.app_context():
        db.session.get(User, agent.id).active = False
        db.session.commit()
    assert client.get("/").status_code == 302


def test_idle_session_times_out(app: Flask, client: Any, agent: User) -> None:
    sign_in(client, agent.email)
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session["seen"] = time.time() - idle - 5
    response = client.get("/")
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert "signed out after a period of inactivity" in follow.get_data(as_text=True)


def test_absolute_session_lifetime(app: Flask, client: Any, agent: User) -> None:
    sign_in(client, agent.email)
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(expires_at=utcnow() - timedelta(1)))
        db.session.commit()
    assert client.get("/").status_code == 302


def test_cookie_flags(client: Any, agent: User) -> None:
    response = sign_in(client, agent.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/account", "/account"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_redirects_only_to_local_paths(
    client: Any, agent: User, next_url: str, expected: str
) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login",
        query_string={"next": next_url},
        data={"email": agent.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == expected


def test_anonymous_visitor_is_sent_to_sign_in_with_next(client: Any) -> None:
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account"


def test_change_password(app: Flask, client: Any, agent: User) -> None:
    sign_in(client, agent.email)
    other_browser = app.test_client()
    sign_in(other_browser, agent.email)
    new = "a much better passphrase"
    response = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this browser stays signed in
    assert other_browser.get("/").status_code == 302  # the other one is signed out
    assert sign_in(app.test_client(), agent.email, new).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        (
            "wrong",
            "a much better passphrase",
            "a much better passphrase",
            "This is not your current password.",
        ),
        (PASSWORD, "short1", "short1", "Use at least 10 characters."),
        (PASSWORD, "password123", "password123", "too common"),
        (PASSWORD, "a much better passphrase", "something else", "The passwords differ."),
        (PASSWORD, "aaaaaaaaaaaa", "aaaaaaaaaaaa", "Use more different characters."),
    ],
)
def test_change_password_is_validated(
    client: Any, agent: User, current: str, new: str, confirm: str, message: str
) -> None:
    sign_in(client, agent.email)
    response = post_form(
        client,
        "/account/password",
        {"current_password": current, "new_password": new, "confirm": confirm},
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_temporary_password_must_be_changed_first(app: Flask, client: Any, make_user: Any) -> None:
    user = make_user(Role.SUPERVISOR, must_change_password=True)
    sign_in(client, user.email)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    new = "my own secret phrase"
    post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    assert client.get("/").status_code == 200


def test_language_is_saved(app: Flask, client: Any, agent: User) -> None:
    sign_in(client, agent.email)
    assert post_form(client, "/account/language", {"locale": "en"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, agent.id).locale == "en"
    assert post_form(client, "/account/language", {"locale": "xx"}).status_code == 400


def test_sign_in_is_audited(app: Flask, client: Any, agent: User) -> None:
    sign_in(client, agent.email, "wrong password")
    sign_in(client, agent.email)
    with app.app_context():
        events = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.actor_id).order_by(AuditEvent.id)
        ).all()
    assert [tuple(event) for event in events] == [
        ("auth.sign_in_failed", agent.id),
        ("auth.signed_in", agent.id),
    ]


@pytest.mark.parametrize(("hops", "expected_ip"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_client_address_behind_a_proxy(
    app: Flask, make_user: Any, hops: int, expected_ip: str
) -> None:
    from qa_app.web.security import trust_reverse_proxy

    app.config["PROXY_FIX_HOPS"] = hops
    trust_reverse_proxy(app)
    user = make_user(Role.AGENT)
    client = app.test_client()
    token = csrf_token(client)
    client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    with app.app_context():
        assert db.session.scalar(sa.select(UserSession.ip_address)) == expected_ip


def _sign_in_from(app: Flask, address: str, email: str, password: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return sign_in(client, email, password)


def test_one_address_guessing_across_many_accounts_is_locked(app: Flask, make_user: Any) -> None:
    """Password spraying: one guess for each of many accounts stays under the per-account
    limit, so failures are also counted per client address."""
    app.config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"] = 3
    victim = make_user(Role.AGENT, email="victim@example.test")
    for number in range(2):
        answer = _sign_in_from(app, "198.51.100.7", f"user{number}@example.test", "Summer2026!")
        assert WRONG in answer.get_data(as_text=True)
    locked = _sign_in_from(app, "198.51.100.7", "user2@example.test", "Summer2026!")
    assert "Too many failed sign-in attempts" in locked.get_data(as_text=True)

    # The address stays locked, even with a right password; other addresses are not.
    assert _sign_in_from(app, "198.51.100.7", victim.email, PASSWORD).status_code == 401
    assert _sign_in_from(app, "203.0.113.9", victim.email, PASSWORD).status_code == 302
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent.after).where(AuditEvent.action == "auth.address_locked")
        ).all()
    assert events == [{"address": "198.51.100.7"}]


def test_the_address_limit_can_be_turned_off(app: Flask, agent: User) -> None:
    app.config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"] = 0
    for number in range(app.config["SIGN_IN_MAX_FAILURES"] + 2):
        _sign_in_from(app, "198.51.100.7", f"user{number}@example.test", "guess")
    assert _sign_in_from(app, "198.51.100.7", agent.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("email", ["agent@example.test", "nobody@example.test"])
def test_unknown_user_and_wrong_password_cost_the_same_work(
    app: Flask, client: Any, agent: User, email: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No timing difference to tell them apart: each checks one hash of the same method."""
    from qa_app.auth import services

    checked: list[str] = []
    real = services.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash.split("$", 1)[0])
        return real(password_hash, password)

    monkeypatch.setattr(services, "verify_password", counting)
    assert sign_in(client, email, "not the password").status_code == 401
    assert checked == [app.config["PASSWORD_HASH_METHOD"]]


def test_long_passwords_are_not_truncated(app: Flask, client: Any, agent: User) -> None:
    """bcrypt-style truncation would accept any password sharing the first 72 bytes."""
    long_password = "correct horse battery staple " * 4  # 116 characters
    with app.app_context():
        from qa_app.auth.passwords import hash_password

        db.session.get(User, agent.id).password_hash = hash_password(long_password)
        db.session.commit()
    assert sign_in(app.test_client(), agent.email, long_password[:72]).status_code == 401
    assert sign_in(app.test_client(), agent.email, long_password[:-1] + "!").status_code == 401
    assert sign_in(client, agent.email, long_password).status_code == 302


def test_a_sign_in_counts_before_its_password_is_checked(
    app: Flask, client: Any, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed during the slow hash check (a timeout) must not give a free guess."""
    from qa_app.auth import passwords

    def never_finishes(password_hash: str, password: str) -> bool:
        raise RuntimeError("the worker was killed")

    token = csrf_token(client)
    monkeypatch.setattr(passwords, "check_password_hash", never_finishes)
    with pytest.raises(RuntimeError):
        client.post("/login", data={"email": agent.email, "password": "guess", "csrf_token": token})
    with app.app_context():
        rows = db.session.execute(sa.select(SignInThrottle.email, SignInThrottle.failures))
        counts = {email: failures for email, failures in rows}
    assert counts == {agent.email: 1, "address:127.0.0.1": 1}


def test_right_passwords_do_not_use_up_the_client_address_limit(app: Flask, agent: User) -> None:
    """Everyone in an office signs in from one address: only wrong passwords count."""
    app.config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"] = 3
    for _ in range(5):
        assert _sign_in_from(app, "198.51.100.7", agent.email, PASSWORD).status_code == 302
    for number in range(2):
        answer = _sign_in_from(app, "198.51.100.7", f"user{number}@example.test", "guess")
        assert WRONG in answer.get_data(as_text=True)
    locked = _sign_in_from(app, "198.51.100.7", "user2@example.test", "guess")
    assert "Too many failed sign-in attempts" in locked.get_data(as_text=True)


CHANGE_LOCKED = "Too many wrong passwords. Try again in 15 minutes"


def _change_password(client: Any, current: str) -> Any:
    new = "a much better passphrase"
    return post_form(
        client,
        "/account/password",
        {"current_password": current, "new_password": new, "confirm": new},
    )


def test_wrong_current_passwords_lock_the_password_change(
    app: Flask, client: Any, agent: User
) -> None:
    """A stolen session guessing the current password gets no more guesses than a sign-in,
    and spends the same ones: the account is locked for signing in too."""
    sign_in(client, agent.email)
    limit = app.config["SIGN_IN_MAX_FAILURES"]
    for number in range(limit - 1):
        response = _change_password(client, f"guess {number}")
        assert response.status_code == 400
        assert "This is not your current password." in response.get_data(as_text=True)
    assert CHANGE_LOCKED in _change_password(client, "last guess").get_data(as_text=True)

    # Even the right password is refused for the window, and nothing changed.
    response = _change_password(client, PASSWORD)
    assert response.status_code == 400
    assert CHANGE_LOCKED in response.get_data(as_text=True)
    refused = _sign_in_from(app, "203.0.113.9", agent.email, PASSWORD)
    assert "Too many failed sign-in attempts" in refused.get_data(as_text=True)
    with app.app_context():
        from qa_app.auth.passwords import verify_password

        assert verify_password(db.session.get(User, agent.id).password_hash, PASSWORD)
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action != "auth.signed_in")
        ).all()
    assert sorted(actions) == ["auth.current_password_failed"] * limit + ["auth.locked"]


def test_the_password_change_lock_expires(app: Flask, client: Any, agent: User) -> None:
    sign_in(client, agent.email)
    for number in range(app.config["SIGN_IN_MAX_FAILURES"]):
        _change_password(client, f"guess {number}")
    with app.app_context():
        throttle = db.session.get(SignInThrottle, agent.email)
        throttle.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _change_password(client, PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.get(SignInThrottle, agent.email) is None


def test_a_password_change_without_its_security_token_checks_no_password(
    app: Flask, client: Any, agent: User
) -> None:
    """Another site cannot spend the account's guesses."""
    sign_in(client, agent.email)
    new = "a much better passphrase"
    for number in range(app.config["SIGN_IN_MAX_FAILURES"] + 1):
        response = client.post(
            "/account/password",
            data={"current_password": f"guess {number}", "new_password": new, "confirm": new},
        )
        assert response.status_code == 400
    assert _change_password(client, PASSWORD).status_code == 302
