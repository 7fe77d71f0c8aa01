"""Schemathesis against the OpenAPI document: for every operation, its examples, boundary
values (the coverage phase) and fuzzed requests, valid and invalid, sent with a manager's
token (a manager may call every operation). No answer may be a server error, and every
answer must match the document: status code, content type, headers and body schema.

Bounded and repeatable: a fixed seed, deterministic generation, MAX_EXAMPLES fuzzed cases
per operation. The document is loaded once from `openapi_document()` (schemathesis's lazy
`from_fixture` loader does not run under pytest 9.2), and each case is sent to the test's
own app through WSGI, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from qa_app.api.openapi import openapi_document
from qa_app.auth.models import User
from qa_app.extensions import db
from tests.conftest import Organisation

MAX_EXAMPLES = 25
SEED = 20261110
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
# Whether a request is refused is the API's business, not the document's: a batch can match
# the schema and still name an unknown agent (422), and unknown query parameters are ignored
# rather than refused. Server errors and answers that break the document still fail.
EXCLUDED = [positive_data_acceptance, negative_data_rejection]

schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


@pytest.fixture
def manager_token(app: Flask, org: Organisation, records: dict[str, int], make_token: Any) -> str:
    """A manager's token, on a centre with evaluations, a plan and an agent with an external
    id (A-1), so that generated requests meet real records."""
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "A-1"
        db.session.commit()
    return make_token(org.manager)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_document(
    case: schemathesis.Case, app: Flask, manager_token: str
) -> None:
    case.operation.schema.app = app  # this test's app (and database)
    case.call_and_validate(
        app=app, headers={"Authorization": f"Bearer {manager_token}"}, excluded_checks=EXCLUDED
    )
