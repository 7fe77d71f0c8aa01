"""Each notification e-mail in its recipient's language (their own, else the centre's), says
so in its Content-Language header, and writes dates as that language does, whatever the
language of the request or command that caused it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _

from qa_app.auth.models import User
from qa_app.extensions import db
from tests.conftest import Organisation, csrf_token
from tests.notifications.test_mail import Inbox, inbox

__all__ = ["inbox"]  # the fixture, for the tests below


def _set_locale(app: Flask, user: Any, locale: str | None) -> None:
    with app.app_context():
        db.session.get(User, user.id).locale = locale
        db.session.commit()


def test_a_polish_supervisors_release_mails_a_german_agent_in_german(
    app: Flask, org: Organisation, submitted_evaluation: Any, sign_in_as: Any, inbox: Inbox
) -> None:
    _set_locale(app, org.supervisor_a, "pl")
    _set_locale(app, org.agent_a1, "de")
    client = sign_in_as(org.supervisor_a)
    path = f"/evaluations/{submitted_evaluation.id}"
    response = client.post(f"{path}/release", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert 'lang="pl"' in client.get(path).get_data(as_text=True)  # the sender's pages
    (message,) = inbox.messages
    body = message.get_content()
    with app.test_request_context(), force_locale("de"):
        day = format_date(date(2026, 11, 2))  # the interaction's day
        hello = _("Hello %(name)s,", name=org.agent_a1.display_name)
        subject = _("QA Coach: %(what)s", what=_("New feedback"))
        footer = _("You receive this because notifications by e-mail are on for your account.")
    assert day == "02.11.2026"
    assert message["Content-Language"] == "de"
    assert message["Subject"] == subject != "QA Coach: New feedback"
    assert hello in body and day in body and footer in body


@pytest.mark.parametrize(
    ("own", "default", "expected"),
    [("fi", "en", "fi"), (None, "nb", "nb"), ("en_GB", "de", "en-GB")],
)
def test_the_daily_reminders_mail_each_coach_in_their_language(
    app: Flask,
    org: Organisation,
    runner: Any,
    plan_item: Any,
    assignment: Any,
    inbox: Inbox,
    own: str | None,
    default: str,
    expected: str,
) -> None:
    """The command speaks the centre's language; each e-mail its recipient's."""
    _set_locale(app, org.supervisor_a, own)
    app.config["BABEL_DEFAULT_LOCALE"] = default
    result = runner.invoke(args=["notifications", "remind", "--date", "2026-12-16"])
    assert result.exit_code == 0, result.output
    with app.test_request_context(), force_locale(own or default):
        overdue = ngettext(
            "%(num)d training plan item of your agents is overdue.",
            "%(num)d training plan items of your agents are overdue.",
            1,
        )
        subject = _("QA Coach: %(what)s", what=_("Training plan items overdue"))
    messages = {message["Subject"]: message for message in inbox.messages}
    assert len(messages) == 2 and subject in messages
    assert overdue in messages[subject].get_content()
    assert {message["Content-Language"] for message in inbox.messages} == {expected}
