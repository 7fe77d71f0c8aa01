"""The OpenAPI 3.1 document of the API (`GET /api/v1/openapi.json`).

Paths, parameters and responses are written here; bodies come from `schemas.py`. Each
operation names the roles that may call it in `x-roles` (a test compares them with the
views' `allowed_roles`) and says what part of the centre each role sees.
"""

from __future__ import annotations

from typing import Any

from qa_app.api.calibration_schemas import CALIBRATION_SCHEMAS
from qa_app.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from qa_app.api.schemas import ID, SCHEMAS, Schema, ref, values
from qa_app.auth.models import Role
from qa_app.calibration.models import SessionStatus
from qa_app.channels import CHANNELS
from qa_app.evaluations.models import EvaluationStatus
from qa_app.scorecards.models import SCORECARD_STATUSES
from qa_app.training.models import PlanStatus
from qa_app.uploads.dates import DATE_ORDERS

VERSION = "1.0.0"
PATH_ID: Schema = ID | {"maximum": 2_147_483_647}
ERRORS = {
    400: ("BadRequest", "A query parameter or the JSON body is malformed."),
    401: ("Unauthorized", "No token, a malformed header, or a token that is not valid."),
    403: ("Forbidden", "The token owner's role may not use this endpoint."),
    404: ("NotFound", "No such record, or not within the token owner's scope."),
    409: ("Conflict", "A concurrent request stored the same records first; send again."),
    413: ("PayloadTooLarge", "The body is too large, or holds too many items."),
    415: ("UnsupportedMediaType", "The body is not sent as application/json."),
    422: ("ValidationFailed", "Nothing was stored: the details list each item's problems."),
    429: (
        "TooManyFailures",
        "Too many failed token attempts from this address: wait Retry-After seconds.",
    ),
}
SCOPE = (
    "Agents see only themselves and their own records; supervisors the agents of the teams "
    "they supervise; managers and administrators the whole centre."
)


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _path(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}  # fmt: skip


def _param(name: str) -> Schema:
    return {"$ref": f"#/components/parameters/{name}"}


PARAMETERS: dict[str, Schema] = {
    "From": _query("from", {"type": "string", "format": "date"},
                   "First day of the period (YYYY-MM-DD, the centre's time zone)."),
    "To": _query("to", {"type": "string", "format": "date"}, "Last day of the period."),
    "Team": _query("team", PATH_ID, "A team id within the token owner's scope."),
    "Agent": _query("agent", PATH_ID, "An agent id within the token owner's scope."),
    "Limit": _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                              "default": DEFAULT_LIMIT}, "Records per page."),
    "Cursor": _query("cursor", {"type": "string"},
                     "Where the page starts: copy it from the previous page's `next` link."),
    "AgentId": _path("agent_id", PATH_ID, "The agent's id."),
    "EvaluationId": _path("evaluation_id", PATH_ID, "The evaluation's id."),
    "Slug": _path("slug", {"type": "string"}, "The scorecard's slug."),
    "VersionNumber": _path("number", PATH_ID, "The version number (1 is the first)."),
    "SessionId": _path("session_id", PATH_ID, "The calibration session's id."),
}  # fmt: skip


def _json(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def _responses() -> dict[str, Schema]:
    responses = {
        name: {"description": description, "content": _json(ref("Error"))}
        for name, description in ERRORS.values()
    }
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer challenge."}
    }
    responses["Error"] = {"description": "Any other error, e.g. 405 or 500.",
                          "content": _json(ref("Error"))}  # fmt: skip
    return responses


def _operation(
    operation_id: str,
    summary: str,
    description: str,
    roles: tuple[Role, ...],
    ok: tuple[str, Schema],
    *,
    parameters: tuple[str, ...] = (),
    errors: tuple[int, ...] = (400, 401, 403),
    body: Schema | None = None,
    also_ok: tuple[str, ...] = (),
) -> Schema:
    """One operation: bearer-token protected, JSON in and out, every error in one shape."""
    status, schema = ok
    responses: dict[str, Schema] = {status: {"description": "OK", "content": _json(schema)}}
    for other in also_ok:
        responses[other] = {"description": "OK", "content": _json(schema)}
    for code in (*errors, 429):
        responses[str(code)] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
    responses["default"] = {"$ref": "#/components/responses/Error"}
    operation: Schema = {
        "operationId": operation_id,
        "summary": summary,
        "description": description + "\n\nRoles: " + ", ".join(roles) + ".",
        "x-roles": [role.value for role in roles],
        "parameters": [_param(name) for name in parameters],
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(body)}
    return operation


ALL = tuple(Role)
EVALUATORS = (Role.MANAGER, Role.SUPERVISOR)
READERS = (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)
COACHED = (Role.MANAGER, Role.SUPERVISOR, Role.AGENT)
PAGE = ("Limit", "Cursor")
WRITE_PARAMS = (
    "Values are read by the file import's parsers (dates, times with or without a zone, "
    "durations and percentages as text). Any other query parameter is refused (400)."
)
BATCH_ERRORS = (400, 401, 403, 409, 413, 415, 422)


def _status(name: str, choices: Any) -> Schema:
    return _query(name, {"type": "string", "enum": values(choices)}, f"Only this {name}.")


PATHS: dict[str, Schema] = {
    "/agents": {"get": _operation(
        "listAgents", "Agents", "Agents within the token owner's scope, by id. " + SCOPE,
        ALL, ("200", ref("AgentPage")), parameters=("Team", *PAGE))},
    "/agents/{agent_id}/performance": {
        "parameters": [_param("AgentId")],
        "get": _operation(
            "agentPerformance", "An agent's performance",
            "The figures of the agent page for a period (default: its last 90 days): the QA "
            "score with n and 95% interval, each KPI as a ratio of totals, the KPI index, "
            "the composite (null where there is no data) and its flags. The composite is "
            "(W_qa × QA + W_kpi × K) ÷ (W_qa + W_kpi), where K is the KPI index with each "
            "attainment capped at 1.0 instead of 1.25. " + SCOPE,
            ALL, ("200", ref("Performance")), parameters=("From", "To"),
            errors=(400, 401, 403, 404)),
    },
    "/interactions": {
        "get": _operation(
            "listInteractions", "Interactions",
            "Interactions of the agents in scope, by id; the period is when they occurred. "
            "Transcripts are not listed.",
            EVALUATORS, ("200", ref("InteractionPage")),
            parameters=("From", "To", "Team", "Agent",
                        *("channel", "source", "external_ref"), *PAGE)),
        "post": _operation(
            "createInteractions", "Record interactions",
            "One interaction or a list, checked like the file import and stored all or "
            "nothing. Idempotent on source + external_ref + agent: an item already stored is "
            "not added again, and its id comes back with created = false (200 when nothing "
            "was created, 201 otherwise). Only agents within the token owner's teams; any "
            "other agent is an unknown agent. dry_run=true only checks (200, storing "
            "nothing). " + WRITE_PARAMS,
            EVALUATORS, ("201", ref("InteractionsStored")), also_ok=("200",),
            parameters=("dry_run", "date_order"), errors=BATCH_ERRORS,
            body=ref("InteractionBatch")),
    },
    "/evaluations": {"get": _operation(
        "listEvaluations", "Evaluations",
        "Evaluations the token owner may open, by id; the period is when they were "
        "submitted. Agents see only their own, once released. " + SCOPE,
        ALL, ("200", ref("EvaluationPage")),
        parameters=("From", "To", "Team", "Agent", "evaluation_status", *PAGE))},
    "/evaluations/{evaluation_id}": {
        "parameters": [_param("EvaluationId")],
        "get": _operation(
            "getEvaluation", "One evaluation",
            "An evaluation with its comments, its interaction and every answer in the "
            "scorecard's order. " + SCOPE,
            ALL, ("200", ref("EvaluationDetail")), errors=(401, 403, 404)),
    },
    "/stats": {"post": _operation(
        "postStats", "Store daily statistics",
        "Per-agent daily totals, checked exactly like the statistics file import and stored "
        "all or nothing; an agent-day sent again replaces the stored one. Per-day averages "
        "(aht_seconds, csat_pct, fcr_pct) become totals with the day's counts. "
        "dry_run=true only checks. " + WRITE_PARAMS,
        (Role.ADMIN, Role.MANAGER), ("200", ref("StatsReport")),
        parameters=("dry_run", "date_order"), errors=BATCH_ERRORS, body=ref("StatRowBatch"))},
    "/scorecards": {"get": _operation(
        "listScorecards", "Scorecards", "Scorecards with their published versions, by id.",
        READERS, ("200", ref("ScorecardPage")), parameters=("scorecard_status", *PAGE))},
    "/scorecards/{slug}/versions/{number}": {
        "parameters": [_param("Slug"), _param("VersionNumber")],
        "get": _operation(
            "getScorecardVersion", "One scorecard version",
            "A published, immutable version with its whole definition.",
            READERS, ("200", ref("ScorecardVersion")), errors=(401, 403, 404)),
    },
    "/training-plans": {"get": _operation(
        "listTrainingPlans", "Training plans",
        "Training plans the token owner may see, with their items, by id. Agents see only "
        "their own, once issued; supervisors their teams' (drafts included); managers all.",
        COACHED, ("200", ref("TrainingPlanPage")),
        parameters=("Team", "Agent", "plan_status", *PAGE))},
    "/calibration/sessions": {"get": _operation(
        "listCalibrationSessions", "Calibration sessions",
        "Calibration sessions the token owner may open, by id: managers all; supervisors "
        "those they run or take part in; agents and administrators none (an empty list). "
        "The period is when a session closed.",
        ALL, ("200", ref("CalibrationSessionPage")),
        parameters=("calibration_status", "calibration_scorecard", "From", "To", *PAGE))},
    "/calibration/sessions/{session_id}": {
        "parameters": [_param("SessionId")],
        "get": _operation(
            "getCalibrationSession", "One calibration session",
            "A session, its interactions and each participant's progress; with its results "
            "(each participant's answers beside the benchmark, deviations in points, "
            "alignment = 1 - sum w|r - r_bench| / sum w over criteria answered by both, the "
            "share within the tolerance band, critical-fail agreement, score deviation) only "
            "once the token owner may see everyone's answers: the session is closed, or they "
            "submitted every interaction of it. Blind scoring: null before. 404 for sessions "
            "outside the token owner's, and for every session to agents.",
            ALL, ("200", ref("CalibrationSessionDetail")), errors=(401, 403, 404)),
    },
    "/calibration/agreement": {"get": _operation(
        "calibrationAgreement", "Calibration agreement",
        "Krippendorff's alpha per criterion (nominal for yes/no, ordinal for scales and "
        "points) and for the overall score (interval), with its bootstrap 95% interval and "
        "percent agreement, over the scorecard's closed sessions in the period that the token "
        "owner may see in full. No such session (and always for agents): an empty list.",
        ALL, ("200", ref("CalibrationAgreement")),
        parameters=("required_scorecard", "From", "To"))},
    "/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This document",
        "description": "Public: it describes the API and holds no data.",
        "security": [], "x-roles": None,
        "responses": {"200": {"description": "OK", "content": _json({"type": "object"})}},
    }},
}  # fmt: skip
PARAMETERS.update(
    channel=_status("channel", CHANNELS),
    source=_query("source", {"type": "string"}, "Only interactions from this source."),
    external_ref=_query("external_ref", {"type": "string"}, "Only this call or ticket id."),
    evaluation_status=_status("status", EvaluationStatus),
    plan_status=_status("status", PlanStatus),
    calibration_status=_status("status", SessionStatus),
    calibration_scorecard=_query("scorecard", {"type": "string"},
                                 "Only sessions on this scorecard (its slug)."),
    required_scorecard=_query("scorecard", {"type": "string"}, "The scorecard (its slug).")
    | {"required": True},
    scorecard_status=_status("status", SCORECARD_STATUSES),
    dry_run=_query("dry_run", {"type": "boolean", "default": False},
                   "Check only: report what would be stored, store nothing."),
    date_order=_query("date_order", {"type": "string", "enum": sorted(DATE_ORDERS)},
                      "How slash dates such as 12/11/2026 are read (default: decided by the "
                      "batch's own dates; a batch they leave ambiguous is refused)."),
)  # fmt: skip


def openapi_document() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "QA Coach API",
            "version": VERSION,
            "description": "Scores, statistics and training plans of a contact centre for "
            "phone systems, BI tools and scripts. Every request sends a personal API token "
            "('Authorization: Bearer qac_…', created under My account → API tokens); it acts "
            "with its owner's role and team scope. Lists are ordered by id and paged with the "
            '`next` link. Errors: {"error": {"code", "message", "details"}}. `code` values and '
            "field names are English and stable; `message` and each detail's `reason` are in "
            "the token owner's language (My account), else the request's Accept-Language, "
            "else the centre's default language.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerToken": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (qac_…).",
                }
            },
            "parameters": PARAMETERS,
            "responses": _responses(),
            "schemas": SCHEMAS | CALIBRATION_SCHEMAS,
        },
    }
