"""The OpenAPI document: valid OpenAPI 3.1, exactly the app's /api/v1 routes with the views'
roles, and real answers of every endpoint — successes and errors — valid against the schemas
the document gives for their status (JSON Schema Draft 2020-12)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from qa_app.api.openapi import openapi_document
from qa_app.auth.models import User
from qa_app.extensions import db
from tests.calibration.conftest import build_session
from tests.conftest import ApiClient, Organisation

DOCUMENT = openapi_document()
URI = "urn:qa-coach:openapi"
REGISTRY = Registry().with_resource(URI, Resource(DOCUMENT, DRAFT202012))  # type: ignore[arg-type]
OPERATIONS = {
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method != "parameters"
}
FLASK_VARIABLE = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def schema_for(method: str, template: str, status: int) -> dict[str, Any]:
    """A schema pointing at the document's response schema for this status (or `default`)."""
    responses = DOCUMENT["paths"][template][method.lower()]["responses"]
    key = str(status) if str(status) in responses else "default"
    response = responses[key]
    if "$ref" in response:
        base = response["$ref"].removeprefix("#")
    else:
        base = f"/paths/{_escape(template)}/{method.lower()}/responses/{key}"
    return {"$ref": f"{URI}#{base}/content/{_escape('application/json')}/schema"}


def assert_conforms(method: str, template: str, response: Any) -> None:
    """The answer is JSON and valid against its documented schema."""
    assert response.mimetype == "application/json", (method, template, response.status_code)
    validator = Draft202012Validator(
        schema_for(method, template, response.status_code),
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(response.json), key=lambda e: list(e.path))
    assert not errors, (method, template, response.status_code, [e.message for e in errors])


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(openapi_document()).validate()
    for schema in DOCUMENT["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_the_document_has_exactly_the_apps_api_routes(app: Flask) -> None:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            template = FLASK_VARIABLE.sub(r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(method, template) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == OPERATIONS


def test_the_documented_roles_are_the_views_roles(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    for method, template in OPERATIONS:
        path = "/api/v1" + re.sub(r"\{[a-z_]+\}", "1", template)
        endpoint, _args = adapter.match(path, method=method)
        view = app.view_functions[endpoint]
        operation = DOCUMENT["paths"][template][method.lower()]
        roles = view.allowed_roles
        declared = None if roles is None else sorted(str(role) for role in roles)
        documented = operation["x-roles"]
        assert (None if documented is None else sorted(documented)) == declared, template
        if view.allowed_roles is None:
            assert operation["security"] == []


@pytest.fixture
def calls(app: Flask, org: Organisation, records: dict[str, int], api_as: Any) -> Any:
    """call(who, method, template, path=…, body=…) → the response, validated and recorded."""
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "A-1"
        db.session.commit()
    clients: dict[str, ApiClient] = {}
    answered: set[tuple[str, str, int]] = set()

    def call(
        who: str | None, method: str, template: str, path: str | None = None, **kwargs: Any
    ) -> Any:
        url = "/api/v1" + (path or template)
        if who is None:
            response = app.test_client().open(url, method=method, **kwargs)
        else:
            client = clients.setdefault(who, api_as(org.member(who)))
            response = client.client.open(url, method=method, headers=client.headers, **kwargs)
        assert_conforms(method, template, response)
        answered.add((method, template, response.status_code))
        return response

    call.answered = answered  # type: ignore[attr-defined]
    return call


def test_real_answers_match_the_document(
    app: Flask, org: Organisation, records: dict[str, int], calls: Callable[..., Any]
) -> None:
    a1, released = org.agent_a1.id, records["released_id"]
    performance = "/agents/{agent_id}/performance"
    one_evaluation = "/evaluations/{evaluation_id}"
    version = "/scorecards/{slug}/versions/{number}"
    call = calls

    assert call("manager", "GET", "/openapi.json").status_code == 200
    assert call(None, "GET", "/agents").status_code == 401
    assert call("manager", "GET", "/agents").status_code == 200
    assert call("agent_a1", "GET", "/agents").status_code == 200
    assert call("manager", "GET", "/agents", "/agents?team=999").status_code == 400
    assert call("manager", "GET", "/agents", "/agents?limit=2").json["next"]

    assert call("supervisor_a", "GET", performance, f"/agents/{a1}/performance").status_code == 200
    assert call("agent_a2", "GET", performance, f"/agents/{a1}/performance").status_code == 404
    bad_period = f"/agents/{a1}/performance?from=2026-13-01"
    assert call("manager", "GET", performance, bad_period).status_code == 400

    assert call("manager", "GET", "/interactions").status_code == 200
    assert call("agent_a1", "GET", "/interactions").status_code == 403
    item = {"agent": "A-1", "channel": "chat", "occurred_at": "2026-11-02T09:00:00Z",
            "external_ref": "T-1"}  # fmt: skip
    assert call("manager", "POST", "/interactions", json=item).status_code == 201
    assert call("manager", "POST", "/interactions", json=[item]).status_code == 200
    bad = dict(item, agent="nobody")
    assert call("manager", "POST", "/interactions", json=bad).status_code == 422
    assert call("manager", "POST", "/interactions", json=[{"x": 1}]).status_code == 422
    assert call("manager", "POST", "/interactions", data="{", content_type="application/json")
    assert call("manager", "POST", "/interactions", data="a=b").status_code == 415
    app.config["MAX_CONTENT_LENGTH"] = 10
    assert call("manager", "POST", "/interactions", json=[item] * 3).status_code == 413
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    assert call("admin", "POST", "/interactions", json=item).status_code == 403

    assert call("manager", "GET", "/evaluations").status_code == 200
    assert call("agent_a1", "GET", "/evaluations").status_code == 200
    assert call("manager", "GET", "/evaluations", "/evaluations?status=x").status_code == 400
    for who, evaluation_id in (("agent_a1", released), ("manager", records["draft_id"])):
        path = f"/evaluations/{evaluation_id}"
        assert call(who, "GET", one_evaluation, path).status_code == 200
    assert call("supervisor_b", "GET", one_evaluation, f"/evaluations/{released}").status_code == (
        404
    )

    row = {"agent": "A-1", "day": "2026-11-02", "contacts_handled": 10, "aht_seconds": 250.5}
    assert call("manager", "POST", "/stats", "/stats?dry_run=1", json=[row]).status_code == 200
    assert call("admin", "POST", "/stats", json=row).status_code == 200
    assert call("admin", "POST", "/stats", json=dict(row, agent="x")).status_code == 422
    assert call("supervisor_a", "POST", "/stats", json=row).status_code == 403

    assert call("supervisor_a", "GET", "/scorecards").status_code == 200
    assert call("agent_a1", "GET", "/scorecards").status_code == 403
    assert call("admin", "GET", version, "/scorecards/test-call/versions/1").status_code == 200
    assert call("admin", "GET", version, "/scorecards/test-call/versions/9").status_code == 404

    assert call("agent_a1", "GET", "/training-plans").status_code == 200
    assert call("manager", "GET", "/training-plans").status_code == 200
    assert call("admin", "GET", "/training-plans").status_code == 403

    with app.app_context():
        scores = {org.supervisor_a.id: [{"greeting": True, "empathy": 4}],
                  org.supervisor_b.id: [{"greeting": False, "empathy": 2}]}  # fmt: skip
        session_id = build_session(org, interactions=1, scores=scores, close=True).id
        db.session.commit()
    one_session = "/calibration/sessions/{session_id}"
    assert call("supervisor_a", "GET", "/calibration/sessions").status_code == 200
    assert call("agent_a1", "GET", "/calibration/sessions").status_code == 200
    path = f"/calibration/sessions/{session_id}"
    assert call("supervisor_a", "GET", one_session, path).json["results"] is not None
    assert call("agent_a1", "GET", one_session, path).status_code == 404
    agreement = "/calibration/agreement"
    assert call("manager", "GET", agreement, agreement + "?scorecard=test-call").status_code == 200
    assert call("manager", "GET", agreement).status_code == 400

    # Every documented operation answered successfully at least once.
    succeeded = {(method, template) for method, template, status in calls.answered if status < 300}
    assert succeeded == OPERATIONS
    # And every error status the document lists was met and matched it.
    statuses = {status for _method, _template, status in calls.answered}
    assert {400, 401, 403, 404, 413, 415, 422} <= statuses


def test_a_method_the_api_lacks_answers_in_the_error_shape(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    response = api_as(org.manager).client.delete("/api/v1/agents")
    assert response.status_code == 405
    assert_conforms("GET", "/agents", response)  # the `default` answer: the Error schema
