"""With REDIS_URL two app instances share the centre dashboard's figures and the count of
failed API token attempts (issue 22: several app servers behind one address)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from qa_app import create_app
from qa_app.extensions import db
from tests.conftest import Organisation, make_config
from tests.dashboards.test_figures_cache import assert_figures_shared
from tests.support.redis_server import redis_url  # noqa: F401 - the fixture

BAD = {"Authorization": "Bearer not-a-real-token"}
FROM_A = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture
def two_instances(
    app: Flask,
    redis_url: str,  # noqa: F811 - the fixture imported above
) -> Iterator[tuple[Flask, Flask]]:
    """Two applications on one database and one Redis, as two servers."""
    shared = {
        "REDIS_URL": redis_url,
        "QA_CACHE": "redis",
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": redis_url,
        "API_TOKEN_MAX_FAILURES": 3,
    }
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    first = create_app(make_config(database, **shared))
    second = create_app(make_config(database, **shared))
    yield first, second
    for instance in (first, second):
        with instance.app_context():
            db.engine.dispose()


def test_failed_tokens_count_across_instances(two_instances: tuple[Flask, Flask]) -> None:
    first, second = (instance.test_client() for instance in two_instances)
    for client in (first, second, first):
        assert client.get("/api/v1/agents", headers=BAD, environ_base=FROM_A).status_code == 401
    refused = second.get("/api/v1/agents", headers=BAD, environ_base=FROM_A)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_the_centre_figures_are_shared(
    two_instances: tuple[Flask, Flask],
    org: Organisation,
    make_evaluation: Callable[..., Any],
) -> None:
    assert_figures_shared(*two_instances, make_evaluation)


def test_health_reports_the_redis_cache(two_instances: tuple[Flask, Flask]) -> None:
    response = two_instances[0].test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["cache"] == "ok"
