"""The API's `message` and each detail's `reason` come in the caller's language (the token
owner's, else Accept-Language, else the centre's); `code` and field names stay English."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from qa_app.auth.models import User
from qa_app.day_range import last_day
from qa_app.extensions import db
from tests.conftest import Organisation
from tests.support.catalogue import add_translations, in_language

NOT_STORED = "Nothing was stored: some items are not valid (see details)."
OUTSIDE = "outside the days this app accepts (%(first)s to %(last)s)"  # translated already
NOT_A_DATE = "not a date (use YYYY-MM-DD)"  # translated already
BAD_PARAMETER = "The query parameter '%(name)s' is not valid: %(reason)s."
# Test translations of messages the catalogues do not have yet (see tests.support.catalogue).
GERMAN = {
    NOT_STORED: "TEST Nichts wurde gespeichert.",
    BAD_PARAMETER: "TEST Der Parameter '%(name)s' ist ungültig: %(reason)s.",
}
OLD_DAY = {"agent": "a1@example.test", "day": "1999-01-04", "contacts_handled": 3}


def _speaks(app: Flask, user: User, locale: str | None) -> None:
    with app.app_context():
        db.session.get_one(User, user.id).locale = locale
        db.session.commit()


def _outside(app: Flask, locale: str) -> str:
    return in_language(app, locale, OUTSIDE, first="2000-01-01", last=last_day().isoformat())


def test_a_422_speaks_the_token_owners_language_with_english_codes(
    app: Flask, org: Organisation, api_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_translations(app, monkeypatch, "de", GERMAN)
    _speaks(app, org.manager, "de")
    api = api_as(org.manager)
    # The owner's choice wins over the request's Accept-Language.
    headers = dict(api.headers, **{"Accept-Language": "en"})
    answer = api.client.post("/api/v1/stats", json=OLD_DAY, headers=headers)
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "validation_failed"
    assert error["message"] == "TEST Nichts wurde gespeichert."
    german = _outside(app, "de")
    assert german != _outside(app, "en")
    assert error["details"] == [
        {"item": 0, "field": "day", "value": "1999-01-04", "reason": german}
    ]

    _speaks(app, org.manager, "en")
    error = api.post("/api/v1/stats", OLD_DAY).json["error"]
    assert (error["code"], error["message"]) == ("validation_failed", NOT_STORED)
    assert error["details"][0]["reason"] == _outside(app, "en")


@pytest.mark.parametrize(
    ("accept", "locale"), [("de-AT, en;q=0.5", "de"), ("en-GB", "en"), ("ja", "en"), (None, "en")]
)
def test_without_a_chosen_language_the_api_follows_accept_language(
    app: Flask,
    org: Organisation,
    api_as: Any,
    monkeypatch: pytest.MonkeyPatch,
    accept: str | None,
    locale: str,
) -> None:
    add_translations(app, monkeypatch, "de", GERMAN)
    _speaks(app, org.manager, None)
    api = api_as(org.manager)
    headers = dict(api.headers, **({"Accept-Language": accept} if accept else {}))
    answer = api.client.get("/api/v1/interactions?from=yesterday", headers=headers)
    assert answer.status_code == 400
    error = answer.json["error"]
    assert error["code"] == "invalid_parameter" and error["details"][0]["field"] == "from"
    reason = in_language(app, locale, NOT_A_DATE)
    assert error["details"][0]["reason"] == reason
    assert error["message"] == in_language(app, locale, BAD_PARAMETER, name="from", reason=reason)
    if locale == "de":
        assert reason != NOT_A_DATE and error["message"].startswith("TEST")


def test_a_browser_session_does_not_choose_the_apis_language(
    app: Flask, org: Organisation, sign_in_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before a token is checked (a 401) only Accept-Language counts: the API reads no
    cookie, so a German user's browser session does not make its answers German."""
    english = "Send a personal API token as 'Authorization: Bearer <token>'."
    add_translations(app, monkeypatch, "de", {english: "TEST Senden Sie ein Token."})
    _speaks(app, org.manager, "de")
    browser = sign_in_as(org.manager)
    answer = browser.get("/api/v1/interactions")
    assert answer.status_code == 401
    assert answer.json["error"] == {"code": "unauthorized", "message": english, "details": []}
    german = browser.get("/api/v1/interactions", headers={"Accept-Language": "de"})
    assert german.json["error"]["code"] == "unauthorized"
    assert german.json["error"]["message"] == "TEST Senden Sie ein Token."
