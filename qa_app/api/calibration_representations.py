"""Calibration sessions as the API shows them (schemas in `calibration_schemas.py`).

A session's results (everyone's answers and figures) appear only for a reader who may see
them (calibration.services.sees_others): after the session closed, or once they submitted
every interaction of an open one. Everyone else gets `results: null`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qa_app.api.representations import day, person, timestamp
from qa_app.calibration.models import CalibrationSession
from qa_app.calibration.results import OVERALL, Agreement, SessionResults


def session(record: CalibrationSession) -> dict[str, Any]:
    """A session in `GET /calibration/sessions`."""
    return {
        "id": record.id,
        "title": record.title,
        "status": record.status,
        "scorecard": {"slug": record.version.scorecard.slug, "version": record.version.number},
        "benchmark": record.benchmark,
        "expert": None if record.expert is None else person(record.expert),
        "organiser": person(record.created_by),
        "tolerance_points": record.tolerance_points,
        "due_on": day(record.due_on),
        "created_at": timestamp(record.created_at),
        "closed_at": timestamp(record.closed_at),
        "interactions": len(record.items),
        "participants": len(record.participants),
    }


def session_detail(
    record: CalibrationSession,
    submitted: Mapping[int, int],
    results: SessionResults | None,
) -> dict[str, Any]:
    """`GET /calibration/sessions/{id}`: the session, its interactions, each participant's
    progress (`submitted` interactions by user id), and the results when the reader may see
    them."""
    items = {item.id: item.interaction_id for item in record.items}
    return {
        **session(record),
        "items": [
            {
                "interaction_id": item.interaction_id,
                "promoted_evaluation_id": item.promoted_evaluation_id,
            }
            for item in record.items
        ],  # fmt: skip
        "participant_progress": [
            {
                "participant": person(p.user),
                "submitted": submitted.get(p.user_id, 0),
                "of": len(record.items),
                "submitted_at": timestamp(p.submitted_at),
            }
            for p in record.participants
        ],
        "results": None if results is None else session_results(results, items),
    }


def _by_user(values: Mapping[int, Any], name: str) -> list[dict[str, Any]]:
    return [{"user_id": user_id, name: value} for user_id, value in sorted(values.items())]


def session_results(results: SessionResults, items: Mapping[int, int]) -> dict[str, Any]:
    """A session's figures (calibration.results.session_results); items by interaction id."""
    return {
        "benchmark": results.benchmark.value,
        "tolerance_points": results.tolerance_points,
        "participants": [
            {
                "user_id": p.user_id,
                "interactions": p.interactions,
                "alignment": p.alignment,
                "within_tolerance": p.within_tolerance,
                "critical_agreement": p.critical_agreement,
                "score_deviation": p.score_deviation,
            }
            for p in results.participants
        ],
        "interactions": [
            {
                "interaction_id": items[item.item_id],
                "benchmark_score": None if item.benchmark is None else item.benchmark.score,
                "benchmark_auto_failed": (
                    None if item.benchmark is None else item.benchmark.auto_failed
                ),
                "critical_unanimous": item.critical_unanimous,
                "scores": [
                    {
                        "user_id": user_id,
                        "score": score,
                        "auto_failed": item.auto_failed.get(user_id, False),
                    }
                    for user_id, score in sorted(item.scores.items())
                ],  # fmt: skip
                "overall_comments": _by_user(item.overall_comments, "comment"),
            }
            for item in results.items
        ],
        "criteria": [
            {
                "interaction_id": items[row.item_id],
                "criterion": row.key,
                "benchmark": row.benchmark,
                "answers": _by_user(row.answers, "r"),
                "deviations": _by_user(row.deviations, "points"),
                "comments": _by_user(row.comments, "comment"),
                "spread": row.spread,
                "flagged": row.flagged,
            }
            for row in results.criteria
        ],
    }


def agreement(slug: str, sessions: int, table: Sequence[Agreement]) -> dict[str, Any]:
    """`GET /calibration/agreement`: α per criterion, then the overall score."""
    return {
        "scorecard": slug,
        "sessions": sessions,
        "data": [
            {
                "criterion": line.key,
                "overall": line.key == OVERALL,
                "level": line.level.value,
                "alpha": line.alpha,
                "low": line.low,
                "high": line.high,
                "percent_agreement": line.percent_agreement,
                "units": line.units,
                "values": line.values,
            }
            for line in table
        ],
    }
