"""Failed API token attempts are counted per client address: over API_TOKEN_MAX_FAILURES in
the window the address gets 429 with Retry-After, in the API's JSON (issue 22)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from limits.storage import MemoryStorage

from config import ConfigError, ProductionConfig
from qa_app.api import token_limits
from qa_app.api.token_limits import init_token_failure_limit
from tests.conftest import Organisation

BAD = {"Authorization": "Bearer not-a-real-token"}
FROM_A = {"REMOTE_ADDR": "203.0.113.7"}
FROM_B = {"REMOTE_ADDR": "203.0.113.8"}


@pytest.fixture
def limited_app(app: Flask) -> Flask:
    app.config.update(API_TOKEN_MAX_FAILURES=3, API_TOKEN_FAILURE_MINUTES=15)
    init_token_failure_limit(app)
    return app


def test_an_address_over_its_failures_gets_429_with_retry_after(
    limited_app: Flask, org: Organisation, make_token: Callable[..., str]
) -> None:
    client = limited_app.test_client()
    for _ in range(3):
        response = client.get("/api/v1/agents", headers=BAD, environ_base=FROM_A)
        assert response.status_code == 401
    refused = client.get("/api/v1/agents", headers=BAD, environ_base=FROM_A)
    assert refused.status_code == 429
    assert refused.is_json
    assert refused.json["error"]["code"] == "too_many_failures"
    assert "Too many failed token attempts" in refused.json["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    # While over the limit even a valid token is refused unchecked: a guess cannot succeed.
    good = {"Authorization": f"Bearer {make_token(org.manager)}"}
    assert client.get("/api/v1/agents", headers=good, environ_base=FROM_A).status_code == 429
    # Another address is not affected.
    assert client.get("/api/v1/agents", headers=good, environ_base=FROM_B).status_code == 200


def test_successes_and_missing_headers_are_not_counted(
    limited_app: Flask, org: Organisation, make_token: Callable[..., str]
) -> None:
    client = limited_app.test_client()
    good = {"Authorization": f"Bearer {make_token(org.manager)}"}
    for _ in range(5):
        assert client.get("/api/v1/agents", headers=good, environ_base=FROM_A).status_code == 200
        assert client.get("/api/v1/agents", environ_base=FROM_A).status_code == 401
    assert client.get("/api/v1/agents", headers=BAD, environ_base=FROM_A).status_code == 401


def test_the_count_is_shared_through_the_storage(limited_app: Flask, migrated_schema: str) -> None:
    # Two app instances counting into one storage (Redis in production) share one total.
    from qa_app import create_app
    from tests.conftest import make_config

    other = create_app(make_config(migrated_schema, API_TOKEN_MAX_FAILURES=3))
    shared = MemoryStorage()
    for instance in (limited_app, other):
        limit = instance.extensions[token_limits.EXTENSION]
        instance.extensions[token_limits.EXTENSION] = token_limits.TokenFailureLimit(
            shared, type(limit.limiter)(shared), limit.item
        )
    first, second = limited_app.test_client(), other.test_client()
    for client in (first, second, first):
        assert client.get("/api/v1/agents", headers=BAD, environ_base=FROM_A).status_code == 401
    assert second.get("/api/v1/agents", headers=BAD, environ_base=FROM_A).status_code == 429


def test_zero_turns_the_limit_off(app: Flask) -> None:
    app.config.update(API_TOKEN_MAX_FAILURES=0)
    init_token_failure_limit(app)
    client = app.test_client()
    for _ in range(30):
        assert client.get("/api/v1/agents", headers=BAD, environ_base=FROM_A).status_code == 401


@pytest.mark.parametrize(
    "environ",
    [
        {"API_TOKEN_MAX_FAILURES": "-1"},
        {"API_TOKEN_FAILURE_MINUTES": "0"},
        {"API_TOKEN_MAX_FAILURES": "many"},
    ],
)
def test_the_settings_are_checked(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="API_TOKEN"):
        ProductionConfig(environ).validate()
