"""Records as the API shows them: plain JSON objects, times in RFC 3339 UTC.

Each function's output is described by the schema of the same name in `schemas.py`; the
conformance test validates real responses against those schemas.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from qa_app.auth.models import User
from qa_app.evaluations.models import Answer, Evaluation
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard, ScorecardCriterion, ScorecardVersion
from qa_app.stats.daily_rows import StatsReport
from qa_app.teams.identities import NameMatch
from qa_app.training.models import TrainingPlan, TrainingPlanItem


def timestamp(moment: datetime | None) -> str | None:
    """An aware datetime as RFC 3339 in UTC ("2026-11-02T10:00:00Z")."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    """A date as YYYY-MM-DD."""
    return None if value is None else value.isoformat()


def person(user: User) -> dict[str, Any]:
    """Who: id and name (evaluators, coaches, agents inside other records)."""
    return {"id": user.id, "display_name": user.display_name}


def agent(user: User) -> dict[str, Any]:
    """An agent in `GET /agents`."""
    return {
        "id": user.id,
        "display_name": user.display_name,
        "email": user.email,
        "external_id": user.external_id,
        "identities": [
            {"source": identity.source, "external_id": identity.external_id}
            for identity in user.identities
        ],
        "active": user.active,
        "team": None if user.team is None else {"id": user.team.id, "name": user.team.name},
    }


def interaction(record: Interaction, repeat_contact: bool | None = None) -> dict[str, Any]:
    """An interaction in `GET /interactions` (transcripts are left out of lists), with its
    customer outcomes; `repeat_contact` is derived (qa_app.interactions.outcomes)."""
    return {
        "id": record.id,
        "agent_id": record.agent_id,
        "channel": record.channel,
        "occurred_at": timestamp(record.occurred_at),
        "duration_seconds": record.duration_seconds,
        "source": record.source,
        "external_ref": record.external_ref,
        "queue": record.queue,
        "customer_ref": record.customer_ref,
        "recording_url": record.recording_url,
        "csat_score": record.csat_score,
        "csat_positive": record.csat_positive,
        "nps_score": record.nps_score,
        "resolved_first_contact": record.resolved_first_contact,
        "repeat_contact": repeat_contact,
        "created_at": timestamp(record.created_at),
    }


def evaluation(record: Evaluation) -> dict[str, Any]:
    """An evaluation in `GET /evaluations`: status, score and dates, without the answers."""
    return {
        "id": record.id,
        "interaction_id": record.interaction_id,
        "agent": person(record.agent),
        "evaluator": person(record.evaluator),
        "scorecard": {"slug": record.version.scorecard.slug, "version": record.version.number},
        "status": record.status,
        "score": record.score,
        "raw_score": record.raw_score,
        "auto_failed": record.auto_failed,
        "passed": record.passed,
        "revision": record.revision,
        "created_at": timestamp(record.created_at),
        "submitted_at": timestamp(record.submitted_at),
        "released_at": timestamp(record.released_at),
        "acknowledged_at": timestamp(record.acknowledged_at),
    }


def _answer(answer: Answer, criterion: ScorecardCriterion | None) -> dict[str, Any]:
    return {
        "criterion_key": answer.criterion_key,
        "label": criterion.label if criterion else answer.criterion_key,
        "section": criterion.section_title if criterion else None,
        "kind": criterion.kind if criterion else None,
        "value": answer.value,
        "na": answer.is_na,
        "r": answer.normalised,
        "comment": answer.comment,
    }


def evaluation_detail(record: Evaluation) -> dict[str, Any]:
    """`GET /evaluations/{id}`: the summary plus texts, the interaction and every answer in
    the scorecard's order."""
    criteria = {criterion.key: criterion for criterion in record.version.criteria}
    order = {key: (c.section_position, c.position) for key, c in criteria.items()}
    answers = sorted(record.answers, key=lambda a: order.get(a.criterion_key, (1_000_000, 0)))
    contact = record.interaction
    return {
        **evaluation(record),
        "overall_comment": record.overall_comment,
        "strengths": record.strengths,
        "opportunities": record.opportunities,
        "interaction": {
            "id": contact.id,
            "channel": contact.channel,
            "occurred_at": timestamp(contact.occurred_at),
            "duration_seconds": contact.duration_seconds,
        },
        "answers": [_answer(answer, criteria.get(answer.criterion_key)) for answer in answers],
    }


def _version_summary(version: ScorecardVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "name": version.name,
        "pass_mark": version.pass_mark,
        "source": version.source,
        "published_at": timestamp(version.published_at),
    }


def scorecard(record: Scorecard) -> dict[str, Any]:
    """A scorecard in `GET /scorecards`, with its published versions (oldest first)."""
    return {
        "id": record.id,
        "slug": record.slug,
        "name": record.name,
        "status": record.status,
        "versions": [_version_summary(version) for version in record.versions],
    }


def scorecard_version(version: ScorecardVersion) -> dict[str, Any]:
    """`GET /scorecards/{slug}/versions/{n}`: one immutable version and its definition."""
    return {
        "slug": version.scorecard.slug,
        **_version_summary(version),
        "definition": version.definition,
    }


def _plan_item(item: TrainingPlanItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "module": {"key": item.module.key, "title": item.module.title, "skill": item.module.skill},
        "reason": item.reason,
        "focus_kind": item.focus_kind,
        "focus_key": item.focus_key,
        "due_on": day(item.due_on),
        "status": item.status,
        "coach_notes": item.coach_notes,
        "started_at": timestamp(item.started_at),
        "completed_at": timestamp(item.completed_at),
    }


def training_plan(plan: TrainingPlan) -> dict[str, Any]:
    """A training plan in `GET /training-plans`, with its items in order."""
    return {
        "id": plan.id,
        "agent": person(plan.agent),
        "status": plan.status,
        "period_start": day(plan.period_start),
        "period_end": day(plan.period_end),
        "notes": plan.notes,
        "created_at": timestamp(plan.created_at),
        "issued_at": timestamp(plan.issued_at),
        "acknowledged_at": timestamp(plan.acknowledged_at),
        "closed_at": timestamp(plan.closed_at),
        "items": [_plan_item(item) for item in plan.items],
    }


def stats_report(report: StatsReport) -> dict[str, Any]:
    """`POST /stats`: what was (or, in a dry run, would be) stored."""
    return {
        "dry_run": report.dry_run,
        "rows": report.rows,
        "agent_days": report.agent_days,
        "new": report.new,
        "replaced": report.replaced,
        "agents": report.agents,
        "first_day": day(report.first_day),
        "last_day": day(report.last_day),
        "warnings": [name_match(match) for match in report.name_matches],
    }


def name_match(match: NameMatch) -> dict[str, Any]:
    """An agent an import matched by display name only: a warning in its result."""
    return {
        "value": match.value,
        "agent_id": match.agent_id,
        "source": match.source,
        "message": str(match),
    }
