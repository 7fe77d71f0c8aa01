"""JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12) of the API's bodies: `components.schemas`.

Response objects list every property as required and allow no others, so the conformance
test notices any drift between `representations.py` and this document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qa_app.api.batches import INTERACTION_FIELDS, MAX_INTERACTIONS, MAX_STAT_ROWS, STAT_FIELDS
from qa_app.api.payloads import json_schema
from qa_app.channels import CHANNELS
from qa_app.evaluations.models import EvaluationStatus
from qa_app.scorecards.models import SCORECARD_STATUSES, VERSION_SOURCES
from qa_app.stats.kpis import KPIS
from qa_app.stats.performance import COMPOSITE_FLAGS
from qa_app.training.models import FocusKind, ItemStatus, PlanStatus

Schema = dict[str, Any]

ID: Schema = {"type": "integer", "minimum": 1}
COUNT: Schema = {"type": "integer", "minimum": 0}
TEXT: Schema = {"type": "string"}
FLAG: Schema = {"type": "boolean"}
NUMBER: Schema = {"type": "number"}
DATE: Schema = {"type": "string", "format": "date"}
TIME: Schema = {"type": "string", "format": "date-time"}

# Agents an import matched by their display name only (never silently).
WARNINGS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"value": TEXT, "agent_id": ID, "source": TEXT, "message": TEXT},
        "required": ["value", "agent_id", "source", "message"],
        "additionalProperties": False,
    },
    "description": "Agents matched only by their display name: link their id in this "
    "source (admin: the user's identities) to be sure.",
}


def values(choices: Iterable[str]) -> list[str]:
    """An enum's allowed values as plain strings."""
    return [str(choice) for choice in choices]


def ref(name: str) -> Schema:
    """A reference to a schema of this document."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """The same schema, or null (for "no data", "not yet", "not given")."""
    result = dict(schema)
    result["type"] = [schema["type"], "null"]
    return result


def obj(properties: dict[str, Schema], description: str = "") -> Schema:
    """An object with exactly these properties, every one of them present."""
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def page(item: str) -> Schema:
    """A page of a list: the records, and the next page's URL (null on the last page)."""
    return obj(
        {
            "data": {"type": "array", "items": ref(item)},
            "next": {
                "type": ["string", "null"],
                "description": "The URL of the next page (same filters), null on the last.",
            },
        }
    )


def one_or_many(item: str, max_items: int) -> Schema:
    """A body that is one item or a non-empty list of them."""
    return {
        "oneOf": [
            ref(item),
            {"type": "array", "items": ref(item), "minItems": 1, "maxItems": max_items},
        ]
    }


EVALUATION = {
    "id": ID,
    "interaction_id": ID,
    "agent": ref("Person"),
    "evaluator": ref("Person"),
    "scorecard": obj({"slug": TEXT, "version": ID}),
    "status": {"type": "string", "enum": values(EvaluationStatus)},
    "score": nullable(NUMBER) | {"description": "0-100; 0 when auto-failed; null if all N/A."},
    "raw_score": nullable(NUMBER) | {"description": "The score before a critical failure."},
    "auto_failed": FLAG,
    "passed": nullable(FLAG),
    "revision": COUNT,
    "created_at": TIME,
    "submitted_at": nullable(TIME),
    "released_at": nullable(TIME),
    "acknowledged_at": nullable(TIME),
}
VERSION = {
    "number": ID,
    "name": TEXT,
    "pass_mark": NUMBER,
    "source": {"type": "string", "enum": values(VERSION_SOURCES)},
    "published_at": TIME,
}
PERFORMANCE = {"agent_id": ID, "from": DATE, "to": DATE, "qa_score": nullable(NUMBER),
               "qa_n": COUNT, "qa_ci_low": nullable(NUMBER), "qa_ci_high": nullable(NUMBER),
               **{kpi.key: nullable(NUMBER) for kpi in KPIS},
               "kpi_index": nullable(NUMBER), "composite": nullable(NUMBER),
               "composite_flags": {
                   "type": "array",
                   "items": {"type": "string", "enum": list(COMPOSITE_FLAGS)},
                   "description": "below_pass_mark: the QA score is below the mean pass mark "
                   "of the scored evaluations' scorecard versions; critical_failure: an "
                   "evaluation of the period auto-failed. Given whether or not the composite "
                   "is shown.",
               }}  # fmt: skip

SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": TEXT | {"description": "Machine-readable, e.g. invalid_token."},
                    "message": TEXT | {"description": "What went wrong, for people."},
                    "details": {"type": "array", "items": ref("ErrorDetail")},
                }
            )
        },
        "Every error answer of the API.",
    ),
    "ErrorDetail": obj(
        {
            "item": nullable(COUNT) | {"description": "Index of the batch item (0-based)."},
            "field": nullable(TEXT) | {"description": "The field or query parameter."},
            "value": nullable(TEXT) | {"description": "The value given, shortened."},
            "reason": TEXT,
        }
    ),
    "Person": obj({"id": ID, "display_name": TEXT}),
    "Agent": obj(
        {
            "id": ID,
            "display_name": TEXT,
            "email": TEXT,
            "external_id": nullable(TEXT)
            | {"description": "The id that matches in any phone or ticket system."},
            "identities": {
                "type": "array",
                "items": obj({"source": TEXT, "external_id": TEXT}),
                "description": "The agent's id in each source system (matched first by "
                "imports of that source); read-only here, set in the admin pages.",
            },
            "active": FLAG,
            "team": {
                "oneOf": [{"type": "null"}, obj({"id": ID, "name": TEXT})],
            },
        }
    ),
    "AgentPage": page("Agent"),
    "Performance": obj(PERFORMANCE, "The agent page's figures; null where there is no data."),
    "Interaction": obj(
        {
            "id": ID,
            "agent_id": ID,
            "channel": {"type": "string", "enum": values(CHANNELS)},
            "occurred_at": TIME,
            "duration_seconds": nullable(COUNT),
            "source": TEXT,
            "external_ref": nullable(TEXT),
            "queue": nullable(TEXT),
            "customer_ref": nullable(TEXT),
            "recording_url": nullable(TEXT),
            "csat_score": nullable(NUMBER),
            "csat_positive": nullable(FLAG),
            "nps_score": nullable(COUNT),
            "resolved_first_contact": nullable(FLAG),
            "repeat_contact": nullable(FLAG)
            | {
                "description": "Read-only: the same customer reference contacted the centre "
                "again within REPEAT_CONTACT_DAYS (default 7) after this interaction; null "
                "without a customer reference."
            },
            "created_at": TIME,
        }
    ),
    "InteractionPage": page("Interaction"),
    "InteractionInput": json_schema(INTERACTION_FIELDS, "InteractionInput"),
    "InteractionBatch": one_or_many("InteractionInput", MAX_INTERACTIONS),
    "InteractionsStored": obj(
        {
            "data": {
                "type": "array",
                "items": obj(
                    {"id": nullable(ID), "source": TEXT, "external_ref": TEXT, "created": FLAG}
                ),  # fmt: skip
                "description": "One entry per item sent, in the same order (in a dry run, "
                "created says what would be, and a new item's id is null).",
            },
            "created": COUNT,
            "existing": COUNT,
            "dry_run": FLAG,
            "warnings": WARNINGS,
        }
    ),
    "Evaluation": obj(EVALUATION),
    "EvaluationPage": page("Evaluation"),
    "EvaluationDetail": obj(
        {
            **EVALUATION,
            "overall_comment": nullable(TEXT),
            "strengths": nullable(TEXT),
            "opportunities": nullable(TEXT),
            "interaction": obj(
                {
                    "id": ID,
                    "channel": {"type": "string", "enum": values(CHANNELS)},
                    "occurred_at": TIME,
                    "duration_seconds": nullable(COUNT),
                }
            ),
            "answers": {"type": "array", "items": ref("Answer")},
        }
    ),
    "Answer": obj(
        {
            "criterion_key": TEXT,
            "label": TEXT,
            "section": nullable(TEXT),
            "kind": nullable(TEXT),
            "value": nullable(NUMBER) | {"description": "yes = 1, no = 0, or the number."},
            "na": FLAG,
            "r": nullable(NUMBER) | {"description": "The answer normalised to 0..1."},
            "comment": nullable(TEXT),
        }
    ),
    "Scorecard": obj(
        {
            "id": ID,
            "slug": TEXT,
            "name": TEXT,
            "status": {"type": "string", "enum": values(SCORECARD_STATUSES)},
            "versions": {"type": "array", "items": obj(VERSION)},
        }
    ),
    "ScorecardPage": page("Scorecard"),
    "ScorecardVersion": obj(
        {
            "slug": TEXT,
            **VERSION,
            "definition": {
                "type": "object",
                "description": "The canonical scorecard file: name, slug, channels, pass_mark, "
                "sections with their criteria (see scorecards/README.md).",
                "required": ["name", "slug", "sections"],
                "properties": {"sections": {"type": "array", "items": {"type": "object"}}},
            },
        }
    ),
    "TrainingPlan": obj(
        {
            "id": ID,
            "agent": ref("Person"),
            "status": {"type": "string", "enum": values(PlanStatus)},
            "period_start": DATE,
            "period_end": DATE,
            "notes": nullable(TEXT),
            "created_at": TIME,
            "issued_at": nullable(TIME),
            "acknowledged_at": nullable(TIME),
            "closed_at": nullable(TIME),
            "items": {"type": "array", "items": ref("TrainingPlanItem")},
        }
    ),
    "TrainingPlanItem": obj(
        {
            "id": ID,
            "module": obj({"key": TEXT, "title": TEXT, "skill": TEXT}),
            "reason": TEXT,
            "focus_kind": {"type": ["string", "null"], "enum": [*values(FocusKind), None]},
            "focus_key": nullable(TEXT),
            "due_on": DATE,
            "status": {"type": "string", "enum": values(ItemStatus)},
            "coach_notes": nullable(TEXT),
            "started_at": nullable(TIME),
            "completed_at": nullable(TIME),
        }
    ),
    "TrainingPlanPage": page("TrainingPlan"),
    "StatRowInput": json_schema(STAT_FIELDS, "StatRowInput"),
    "StatRowBatch": one_or_many("StatRowInput", MAX_STAT_ROWS),
    "StatsReport": obj(
        {
            "dry_run": FLAG,
            "rows": COUNT,
            "agent_days": COUNT,
            "new": COUNT,
            "replaced": COUNT,
            "agents": COUNT,
            "first_day": nullable(DATE),
            "last_day": nullable(DATE),
            "warnings": WARNINGS,
        }
    ),
}
