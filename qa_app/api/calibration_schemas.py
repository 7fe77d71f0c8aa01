"""JSON Schemas of the calibration answers (`components.schemas`, merged in `schemas.py`)."""

from __future__ import annotations

from qa_app.api.schemas import (
    COUNT,
    DATE,
    FLAG,
    ID,
    NUMBER,
    TEXT,
    TIME,
    Schema,
    nullable,
    obj,
    page,
    ref,
    values,
)
from qa_app.calibration.agreement import Level
from qa_app.calibration.models import Benchmark, SessionStatus

SHARE: Schema = {"type": ["number", "null"], "minimum": 0, "maximum": 1}


def _per_user(name: str, schema: Schema) -> Schema:
    return {"type": "array", "items": obj({"user_id": ID, name: schema})}


SESSION: dict[str, Schema] = {
    "id": ID,
    "title": TEXT,
    "status": {"type": "string", "enum": values(SessionStatus)},
    "scorecard": obj({"slug": TEXT, "version": ID}),
    "benchmark": {"type": "string", "enum": values(Benchmark)},
    "expert": {"oneOf": [ref("Person"), {"type": "null"}]},
    "organiser": ref("Person"),
    "tolerance_points": NUMBER | {"description": "The band, in points of 0-100, either way."},
    "due_on": nullable(DATE),
    "created_at": TIME,
    "closed_at": nullable(TIME),
    "interactions": COUNT,
    "participants": COUNT,
}

CALIBRATION_SCHEMAS: dict[str, Schema] = {
    "CalibrationSession": obj(SESSION),
    "CalibrationSessionPage": page("CalibrationSession"),
    "CalibrationSessionDetail": obj(
        {
            **SESSION,
            "items": {
                "type": "array",
                "items": obj({"interaction_id": ID, "promoted_evaluation_id": nullable(ID)}),
            },
            "participant_progress": {
                "type": "array",
                "items": obj(
                    {
                        "participant": ref("Person"),
                        "submitted": COUNT,
                        "of": COUNT,
                        "submitted_at": nullable(TIME),
                    }
                ),
            },
            "results": {
                "oneOf": [ref("CalibrationResults"), {"type": "null"}],
                "description": "Null until the token owner may see everyone's answers: the "
                "session is closed, or they submitted every interaction of it.",
            },
        }
    ),
    "CalibrationResults": obj(
        {
            "benchmark": {"type": "string", "enum": values(Benchmark)},
            "tolerance_points": NUMBER,
            "participants": {
                "type": "array",
                "items": obj(
                    {
                        "user_id": ID,
                        "interactions": COUNT,
                        "alignment": SHARE | {"description": "1 - sum w|r - r_bench| / sum w"},
                        "within_tolerance": SHARE,
                        "critical_agreement": SHARE,
                        "score_deviation": nullable(NUMBER)
                        | {"description": "Mean points of the score above the benchmark's."},
                    }
                ),
            },
            "interactions": {
                "type": "array",
                "items": obj(
                    {
                        "interaction_id": ID,
                        "benchmark_score": nullable(NUMBER),
                        "benchmark_auto_failed": nullable(FLAG),
                        "critical_unanimous": nullable(FLAG),
                        "scores": {
                            "type": "array",
                            "items": obj(
                                {"user_id": ID, "score": nullable(NUMBER), "auto_failed": FLAG}
                            ),
                        },
                        "overall_comments": _per_user("comment", TEXT),
                    }
                ),
            },
            "criteria": {
                "type": "array",
                "items": obj(
                    {
                        "interaction_id": ID,
                        "criterion": TEXT,
                        "benchmark": SHARE | {"description": "The benchmark's r (0-1)."},
                        "answers": _per_user("r", SHARE),
                        "deviations": _per_user("points", NUMBER),
                        "comments": _per_user("comment", TEXT),
                        "spread": nullable(NUMBER),
                        "flagged": FLAG,
                    }
                ),
            },
        },
        "calibration.results.session_results; r on 0-1, deviations in points of 0-100.",
    ),
    "CalibrationAgreement": obj(
        {
            "scorecard": TEXT,
            "sessions": COUNT,
            "data": {
                "type": "array",
                "items": obj(
                    {
                        "criterion": TEXT | {"description": "A criterion key, or __overall__."},
                        "overall": FLAG,
                        "level": {"type": "string", "enum": values(Level)},
                        "alpha": nullable(NUMBER),
                        "low": nullable(NUMBER),
                        "high": nullable(NUMBER),
                        "percent_agreement": SHARE,
                        "units": COUNT,
                        "values": COUNT,
                    }
                ),
            },
        },
        "Krippendorff's alpha per criterion, then the overall score (interval level), with "
        "its bootstrap 95% interval and the percent agreement.",
    ),
}
