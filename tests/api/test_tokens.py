"""Personal API tokens: made on the account page (or by an admin for a service account), shown
once, stored hashed, audited; bearer authentication and its 401s; JSON errors everywhere
under /api/."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.api.models import ApiToken
from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.database import utcnow
from qa_app.extensions import db
from tests.conftest import ApiClient, Organisation, post_form

SECRET = re.compile(r"qac_[A-Za-z0-9_-]{43}")
AGENTS = "/api/v1/agents"


def _secret_from(page: str) -> str:
    found = SECRET.findall(page)
    assert found, "the new token is shown"
    assert len(set(found)) == 1
    return found[0]


def _everything_stored(app: Flask) -> str:
    """Every row of every table, as text."""
    with app.app_context():
        rows = [
            list(map(str, row))
            for table in db.metadata.sorted_tables
            for row in db.session.execute(sa.select(table))
        ]
    assert rows
    return json.dumps(rows)


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))
        return list(events)


def test_a_user_makes_a_token_that_is_shown_once_and_stored_hashed(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    browser = sign_in_as(org.agent_a1)
    page = post_form(browser, "/account/tokens", {"name": "My dashboard"}, "/account/tokens")
    assert page.status_code == 200
    secret = _secret_from(page.get_data(as_text=True))

    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        assert token.user_id == org.agent_a1.id
        assert token.name == "My dashboard"
        assert token.prefix == secret[:12]
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = _everything_stored(app)
    assert secret not in stored
    assert secret[12:] not in stored
    listing = browser.get("/account/tokens").get_data(as_text=True)
    assert secret[:12] in listing and secret not in listing

    (created,) = _events(app, "api_token.created")
    assert created.actor_id == org.agent_a1.id
    assert created.after["prefix"] == secret[:12]
    assert created.after["owner_id"] == org.agent_a1.id

    answer = app.test_client().get(AGENTS, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    assert [agent["id"] for agent in answer.json["data"]] == [org.agent_a1.id]


def test_revoking_a_token_stops_it_at_once(
    app: Flask, org: Organisation, sign_in_as: Any, make_token: Any
) -> None:
    secret = make_token(org.supervisor_a)
    api = ApiClient(app.test_client(), secret)
    assert api.get(AGENTS).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    browser = sign_in_as(org.supervisor_a)
    answer = post_form(browser, f"/account/tokens/{token_id}/revoke", token_from="/account/tokens")
    assert answer.status_code == 302

    refused = api.get(AGENTS)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "invalid_token"
    (revoked,) = _events(app, "api_token.revoked")
    assert revoked.actor_id == org.supervisor_a.id
    assert revoked.after["prefix"] == secret[:12]
    assert secret not in _everything_stored(app)
    assert "revoked" in browser.get("/account/tokens").get_data(as_text=True)


def test_nobody_revokes_another_users_token_from_their_own_page(
    app: Flask, org: Organisation, sign_in_as: Any, make_token: Any
) -> None:
    secret = make_token(org.agent_a1)
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    browser = sign_in_as(org.manager)
    answer = post_form(browser, f"/account/tokens/{token_id}/revoke", token_from="/account/tokens")
    assert answer.status_code == 404
    assert ApiClient(app.test_client(), secret).get(AGENTS).status_code == 200


def test_an_admin_gives_a_service_account_a_token_and_revokes_it(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    from qa_app.admin.services import UserData, create_user

    with app.app_context():
        service, _password = create_user(UserData("bi-tool@example.test", "BI tool", Role.MANAGER))
        db.session.commit()
        service_id = service.id
        assert service.must_change_password  # nobody ever signs in as it
    admin = sign_in_as(org.admin)
    page = post_form(
        admin,
        f"/admin/users/{service_id}/tokens",
        {"name": "Power BI", "expires_on": (date.today() + timedelta(days=30)).isoformat()},
        token_from=f"/admin/users/{service_id}/tokens",
    )
    assert page.status_code == 200
    secret = _secret_from(page.get_data(as_text=True))
    api = ApiClient(app.test_client(), secret)
    answer = api.get("/api/v1/evaluations")
    assert answer.status_code == 200, answer.json

    (created,) = _events(app, "api_token.created")
    assert (created.actor_id, created.after["owner_id"]) == (org.admin.id, service_id)
    assert created.after["expires_at"] is not None
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        assert token.created_by_id == org.admin.id
        assert token.expires_at > utcnow() + timedelta(days=29)
    listing = admin.get(f"/admin/users/{service_id}/tokens").get_data(as_text=True)
    assert "Power BI" in listing and secret[:12] in listing

    revoked = post_form(
        admin,
        f"/admin/users/{service_id}/tokens/{token.id}/revoke",
        token_from=f"/admin/users/{service_id}/tokens",
    )
    assert revoked.status_code == 302
    assert api.get("/api/v1/evaluations").status_code == 401
    assert _events(app, "api_token.revoked")[0].actor_id == org.admin.id


def test_a_token_form_with_a_past_expiry_or_no_name_is_refused(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    browser = sign_in_as(org.manager)
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    for data in ({"name": "x", "expires_on": yesterday}, {"name": "  "}):
        page = post_form(browser, "/account/tokens", data, "/account/tokens")
        assert page.status_code == 400
        assert not SECRET.search(page.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_a_deactivated_user_gets_no_token_and_their_tokens_stop(
    app: Flask, org: Organisation, sign_in_as: Any, make_token: Any
) -> None:
    secret = make_token(org.agent_b1)
    with app.app_context():
        db.session.get(User, org.agent_b1.id).active = False
        db.session.commit()
    refused = ApiClient(app.test_client(), secret).get(AGENTS)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "invalid_token"

    admin = sign_in_as(org.admin)
    path = f"/admin/users/{org.agent_b1.id}/tokens"
    page = post_form(admin, path, {"name": "late"}, token_from="/account/tokens")
    assert page.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1


def test_an_expired_token_is_refused(app: Flask, org: Organisation, make_token: Any) -> None:
    secret = make_token(org.manager, expires_at=utcnow() + timedelta(hours=1))
    api = ApiClient(app.test_client(), secret)
    assert api.get(AGENTS).status_code == 200
    with app.app_context():
        db.session.scalar(sa.select(ApiToken)).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    answer = api.get(AGENTS)
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic YWRtaW46c2VjcmV0",
        "Bearer",
        "Bearer ",
        "Bearer qac_a qac_b",
        "Token qac_abc",
        "Bearer qac_" + "x" * 43,  # well-formed, unknown
        "Bearer " + "y" * 300,
    ],
)
def test_no_or_a_bad_token_is_a_401_in_json(
    header: str | None, app: Flask, org: Organisation, make_token: Any
) -> None:
    make_token(org.manager)
    headers = {} if header is None else {"Authorization": header}
    answer = app.test_client().get(AGENTS, headers=headers)
    assert answer.status_code == 401
    assert answer.mimetype == "application/json"
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="QA Coach API"')
    error = answer.json["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] in ("unauthorized", "invalid_token") and error["message"]


def test_the_scheme_is_case_insensitive(app: Flask, org: Organisation, make_token: Any) -> None:
    secret = make_token(org.manager)
    answer = app.test_client().get(AGENTS, headers={"Authorization": f"bearer {secret}"})
    assert answer.status_code == 200


def test_a_signed_in_browser_without_a_token_gets_nothing(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    browser = sign_in_as(org.manager)
    answer = browser.get(AGENTS)
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "unauthorized"


def test_first_use_is_audited_once_and_last_use_is_kept(
    app: Flask, org: Organisation, make_token: Any
) -> None:
    secret = make_token(org.manager)
    api = ApiClient(app.test_client(), secret)
    with app.app_context():
        assert db.session.scalar(sa.select(ApiToken.last_used_at)) is None
    for _ in range(3):
        assert api.get(AGENTS).status_code == 200
    (first,) = _events(app, "api_token.first_used")
    assert first.actor_id == org.manager.id
    with app.app_context():
        assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None


def test_a_role_without_access_gets_a_403_in_json(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    answer = api_as(org.agent_a1).get("/api/v1/scorecards")
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "forbidden"


def test_api_errors_are_json_even_before_routing(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    api = api_as(org.manager)
    missing = api.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong_method = api.client.delete(AGENTS, headers=api.headers)
    assert wrong_method.status_code == 405
    assert wrong_method.json["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]
    unknown_id = api.get("/api/v1/evaluations/99999999999")
    assert unknown_id.status_code == 404 and unknown_id.is_json


def test_api_answers_are_not_cached_and_set_no_cookie(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    answer = api_as(org.manager).get(AGENTS)
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in answer.headers


def test_a_server_error_is_json_too(
    app: Flask, org: Organisation, api_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa_app.api.views.scorecards as scorecard_views

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(scorecard_views, "paginate", broken)
    app.config["RENDER_SERVER_ERRORS"] = True
    answer = api_as(org.manager).get("/api/v1/scorecards")
    assert answer.status_code == 500
    assert answer.json["error"]["code"] == "server_error"
    assert "boom" not in answer.get_data(as_text=True)


def test_operators_manage_tokens_from_the_command_line(
    app: Flask, org: Organisation, runner: Any
) -> None:
    made = runner.invoke(
        args=["api-token", "create", "MANAGER@example.test", "--name", "Phone system",
              "--until", "2999-12-30"]
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert SECRET.fullmatch(secret)
    assert ApiClient(app.test_client(), secret).get(AGENTS).status_code == 200
    (created,) = _events(app, "api_token.created")
    assert created.actor_id is None and created.after["owner_id"] == org.manager.id

    listed = runner.invoke(args=["api-token", "list", "manager@example.test"])
    assert listed.output == f"{secret[:12]}…\tactive\tPhone system\n"
    assert secret not in _everything_stored(app)

    revoked = runner.invoke(args=["api-token", "revoke", "manager@example.test", secret[:12]])
    assert revoked.exit_code == 0, revoked.output
    assert ApiClient(app.test_client(), secret).get(AGENTS).status_code == 401
    unknown = runner.invoke(args=["api-token", "create", "nobody@example.test", "--name", "x"])
    assert unknown.exit_code != 0 and "No user" in unknown.output
