"""Notification e-mails through a local SMTP server (aiosmtpd): their content, sent only after
the commit, never for a rolled-back change, not to users who turned them off, and a mail
server that fails never fails the request."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

import config as settings
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.notifications.models import Notification
from tests.conftest import Organisation, csrf_token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """The messages the local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        )
        return "250 OK"


@pytest.fixture
def inbox(app: Flask) -> Iterator[Inbox]:
    """A local SMTP server the app sends to (plain SMTP on 127.0.0.1)."""
    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=controller.port,
        SMTP_TLS="off",
        SMTP_SENDER="qa-coach@example.test",
        PUBLIC_URL="https://qa.example.test/",
    )
    try:
        yield handler
    finally:
        controller.stop()


def _release(app: Flask, evaluation_id: int, org: Organisation) -> None:
    from qa_app.evaluations import services
    from qa_app.evaluations.models import Evaluation

    services.release(
        db.session.get(Evaluation, evaluation_id), db.session.get(User, org.supervisor_a.id)
    )


def test_the_mail_says_what_happened_and_goes_after_the_commit(
    app: Flask, org: Organisation, submitted_evaluation: Any, inbox: Inbox
) -> None:
    with app.app_context():
        _release(app, submitted_evaluation.id, org)
        db.session.flush()
        assert inbox.messages == []  # queued: nothing leaves inside the transaction
        db.session.commit()
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == org.agent_a1.email
    assert message["From"] == "qa-coach@example.test"
    assert message["Subject"] == "QA Coach: New feedback"
    body = message.get_content()
    assert f"Hello {org.agent_a1.display_name}," in body
    assert (
        f"{org.supervisor_a.display_name} released feedback for you: Test call, "
        "interaction of Nov 2, 2026." in body
    )
    assert f"https://qa.example.test/evaluations/{submitted_evaluation.id}" in body
    assert "https://qa.example.test/account" in body


def test_nothing_is_sent_when_the_transaction_rolls_back(
    app: Flask, org: Organisation, submitted_evaluation: Any, inbox: Inbox
) -> None:
    with app.app_context():
        _release(app, submitted_evaluation.id, org)
        db.session.flush()
        db.session.rollback()
        db.session.commit()  # a later commit does not send the rolled-back change's mail
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert inbox.messages == []


def test_a_savepoint_rolled_back_drops_only_its_own_mail(
    app: Flask, org: Organisation, submitted_evaluation: Any, released_evaluation: Any,
    inbox: Inbox,
) -> None:  # fmt: skip
    from qa_app.evaluations.models import Evaluation
    from qa_app.notifications import events

    with app.app_context():
        events.feedback_released(db.session.get(Evaluation, released_evaluation.id))
        savepoint = db.session.begin_nested()
        _release(app, submitted_evaluation.id, org)
        savepoint.rollback()
        db.session.commit()
    assert len(inbox.messages) == 1


def test_a_rule_refused_in_a_request_sends_nothing(
    app: Flask, org: Organisation, released_evaluation: Any, sign_in_as: Any, inbox: Inbox
) -> None:
    """The dispute form with a blank reason: the service refuses, the request rolls back."""
    client = sign_in_as(org.agent_a1)
    token = csrf_token(client, f"/feedback/{released_evaluation.id}/dispute")
    path = f"/feedback/{released_evaluation.id}/dispute"
    client.post(path, data={"reason": " ", "csrf_token": token})
    assert inbox.messages == []
    assert client.post(path, data={"reason": "I did.", "csrf_token": token}).status_code == 302
    assert [m["To"] for m in inbox.messages] == [org.manager.email]
    assert inbox.messages[0]["Subject"] == "QA Coach: A dispute to decide"
    assert "https://qa.example.test/disputes/" in inbox.messages[0].get_content()


def _email_box(page: str) -> str:
    """The account page's e-mail checkbox."""
    found = re.search(r'<input[^>]*name="email"[^>]*type="checkbox"[^>]*>', page)
    assert found, "no e-mail checkbox on the account page"
    return found.group(0)


def test_a_user_who_turned_email_off_gets_none(
    app: Flask, org: Organisation, submitted_evaluation: Any, sign_in_as: Any, inbox: Inbox
) -> None:
    client = sign_in_as(org.agent_a1)
    assert _email_box(client.get("/account").get_data(as_text=True)).startswith("<input checked")
    saved = client.post("/notifications/email", data={"csrf_token": csrf_token(client, "/account")})
    assert saved.status_code == 302
    account = client.get("/account").get_data(as_text=True)
    assert "Notifications will no longer come by e-mail." in account
    assert not _email_box(account).startswith("<input checked")
    with app.app_context():
        _release(app, submitted_evaluation.id, org)
        db.session.commit()
        # The notification itself is there; only the e-mail is left out.
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1
    assert inbox.messages == []


def test_a_failing_mail_server_does_not_fail_the_request(
    app: Flask,
    org: Organisation,
    submitted_evaluation: Any,
    sign_in_as: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port(), SMTP_TLS="off", SMTP_SENDER="qa@x.test"
    )
    client = sign_in_as(org.supervisor_a)
    path = f"/evaluations/{submitted_evaluation.id}/release"
    with caplog.at_level(logging.WARNING, logger="qa_app.notifications.mail"):
        response = client.post(path, data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert "1 notification e-mail(s) not sent through 127.0.0.1" in caplog.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"SMTP_TLS": "yes"}, "SMTP_TLS must be one of starttls, ssl, off"),
        ({"SMTP_HOST": "mail.example.test"}, "SMTP_HOST is set but SMTP_SENDER is not"),
    ],
)
def test_smtp_settings_are_checked_at_start(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(settings.ConfigError, match=problem):
        settings.TestingConfig(environ).validate()


def test_smtp_settings_come_from_the_environment() -> None:
    config = settings.TestingConfig(
        {
            "SMTP_HOST": "mail.example.test",
            "SMTP_TLS": "ssl",
            "SMTP_USER": "qa",
            "SMTP_PASSWORD": "pw",
            "SMTP_SENDER": "qa@example.test",
        }
    )
    config.validate()
    assert (config.SMTP_HOST, config.SMTP_PORT, config.SMTP_TLS) == (
        "mail.example.test",
        465,
        "ssl",
    )
    assert (config.SMTP_USER, config.SMTP_PASSWORD, config.SMTP_SENDER) == (
        "qa",
        "pw",
        "qa@example.test",
    )


def test_a_calibration_invitation_is_mailed_to_the_participants(
    app: Flask, org: Organisation, inbox: Inbox
) -> None:
    """The organiser knows; the others read the session's title and its link."""
    from tests.calibration.conftest import build_session

    with app.app_context():
        session = build_session(org, participants=[org.supervisor_a, org.manager], title="Dec")
        db.session.commit()
        session_id = session.id
    assert [message["To"] for message in inbox.messages] == [org.supervisor_a.email]
    message = inbox.messages[0]
    assert message["Subject"] == "QA Coach: Invitation to a calibration session"
    body = message.get_content()
    assert (
        f"{org.manager.display_name} invited you to the calibration session “Dec”: score "
        "2 interactions." in body
    )
    assert f"https://qa.example.test/calibration/{session_id}" in body
