"""Everything the app holds about one user, as one JSON document (a subject access request).

Every column that points at `user.id` is named in `REFERENCES` with the section of the
document that covers it; tests/test_privacy.py fails when a new one is not, so a new table
about people cannot be left out of the copy by accident.

What is in, and what is deliberately not:
- evaluations of the agent only once released to them (DESIGN.md: agents see only their
  released evaluations; drafts and submitted-but-unreleased ones are the evaluator's work in
  progress and appear once released), with answers, comments, revisions and disputes;
- training plans once issued to them (drafts are the coach's until issued);
- other people appear only by the names the user already sees on their pages (evaluator,
  dispute resolver, coach), never with an e-mail address; records the user made about
  others (evaluations scored, plans issued …) are listed by id only;
- the customers of their interactions are other people: customer references, transcripts
  and recording links are left out;
- secrets never leave: not the password hash, nor the hashes of API tokens and sessions.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from qa_app.api.models import ApiToken
from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User, UserSession
from qa_app.coaching.models import CoachingSession
from qa_app.database import utcnow
from qa_app.evaluations.models import VISIBLE_TO_AGENT, Dispute, Evaluation, EvaluationRevision
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.notifications.messages import USER_PARAMS
from qa_app.notifications.services import notifications_of, takes_email
from qa_app.scorecards.models import ScorecardCriterion
from qa_app.stats.models import TOTAL_COLUMNS, AgentDailyStat
from qa_app.teams.models import Team, team_dispute_reviewer
from qa_app.training import models as training
from qa_app.training.models import TrainingPlan, TrainingPlanItem

FORMAT_VERSION = 1
RECORDS_MADE = "records_made"
# "table.column" of every foreign key to user.id → the section of the document covering it.
REFERENCES: dict[str, str] = {
    "team_supervisor.user_id": "profile",
    "team_dispute_reviewer.user_id": "profile",
    "agent_identity.user_id": "profile",
    "user_session.user_id": "sign_in_sessions",
    "api_token.user_id": "api_tokens",
    "audit_event.actor_id": "audit_events",
    "notification.recipient_id": "notifications",
    "notification_setting.user_id": "profile",
    "evaluation.agent_id": "evaluations",
    "dispute.raised_by_id": "disputes",
    "training_plan.agent_id": "training_plans",
    "coaching_session.agent_id": "coaching_sessions",
    "interaction.agent_id": "interactions",
    "agent_daily_stat.agent_id": "statistics",
    # Records the user made, about others: ids only.
    "api_token.created_by_id": RECORDS_MADE,
    "agent_identity.created_by_id": RECORDS_MADE,
    "evaluation.evaluator_id": RECORDS_MADE,
    "evaluation_revision.created_by_id": RECORDS_MADE,
    "dispute.resolved_by_id": RECORDS_MADE,
    "training_plan.created_by_id": RECORDS_MADE,
    "training_plan.issued_by_id": RECORDS_MADE,
    "training_plan.closed_by_id": RECORDS_MADE,
    "coaching_session.coach_id": RECORDS_MADE,
    "interaction.created_by_id": RECORDS_MADE,
    "sample.created_by_id": RECORDS_MADE,
    "assignment.evaluator_id": RECORDS_MADE,
    "scorecard_version.published_by_id": RECORDS_MADE,
    "import_profile.updated_by_id": RECORDS_MADE,
    # Calibration is the evaluator's practice on others' interactions: ids only.
    "calibration_session.expert_id": RECORDS_MADE,
    "calibration_session.created_by_id": RECORDS_MADE,
    "calibration_session.closed_by_id": RECORDS_MADE,
    "calibration_participant.user_id": RECORDS_MADE,
    "calibration_score.user_id": RECORDS_MADE,
    # Jobs the user started (exports): the kind, filters and progress, no one's data.
    "job.started_by_id": RECORDS_MADE,
    # Exists only inside the transaction that anonymises the user: never anything to show.
    "audit_redaction.user_id": "none",
}


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _profile(user: User) -> dict[str, Any]:
    return {
        **_row(user, "id", "email", "display_name", "role", "external_id", "active", "locale"),
        **_row(user, "created_at", "last_sign_in_at", "must_change_password"),
        "team": user.team.name if user.team else None,
        "supervised_teams": [team.name for team in user.supervised_teams],
        "dispute_reviewer_of_teams": list(
            db.session.scalars(
                sa.select(Team.name)
                .join(team_dispute_reviewer, team_dispute_reviewer.c.team_id == Team.id)
                .where(team_dispute_reviewer.c.user_id == user.id)
                .order_by(Team.name)
            )
        ),
        "identities": [
            {"source": identity.source, "external_id": identity.external_id}
            for identity in user.identities
        ],
        "password": "stored only as a one-way hash, which is not included",
        "notifications_by_email": takes_email(user),
    }


def _criterion_labels(version_ids: set[int]) -> dict[tuple[int, str], str]:
    rows = db.session.execute(
        sa.select(
            ScorecardCriterion.version_id, ScorecardCriterion.key, ScorecardCriterion.label
        ).where(ScorecardCriterion.version_id.in_(version_ids))
    )
    return {(version_id, key): label for version_id, key, label in rows}


def _revisions(evaluation_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    revisions = db.session.scalars(
        sa.select(EvaluationRevision)
        .where(EvaluationRevision.evaluation_id.in_(evaluation_ids))
        .order_by(EvaluationRevision.evaluation_id, EvaluationRevision.number)
    )
    for revision in revisions:
        found.setdefault(revision.evaluation_id, []).append(
            _row(revision, "number", "score", "raw_score", "auto_failed", "passed")
            | _row(revision, "reason", "created_at", "content")
        )
    return found


def _evaluations(user: User) -> list[dict[str, Any]]:
    evaluations = db.session.scalars(
        sa.select(Evaluation)
        .where(Evaluation.agent_id == user.id, Evaluation.status.in_(VISIBLE_TO_AGENT))
        .options(
            joinedload(Evaluation.evaluator),
            joinedload(Evaluation.interaction),
            joinedload(Evaluation.version),
            selectinload(Evaluation.answers),
        )
        .order_by(Evaluation.id)
    ).all()
    labels = _criterion_labels({e.scorecard_version_id for e in evaluations})
    revisions = _revisions([e.id for e in evaluations])
    return [
        {
            **_row(evaluation, "id", "status", "score", "raw_score", "auto_failed", "passed"),
            **_row(evaluation, "overall_comment", "strengths", "opportunities", "revision"),
            **_row(evaluation, "submitted_at", "released_at", "acknowledged_at"),
            "acknowledgement_comment": evaluation.acknowledgement_comment,
            "evaluator": evaluation.evaluator.display_name,
            "scorecard": evaluation.version.name,
            "scorecard_version": evaluation.version.number,
            "interaction_id": evaluation.interaction_id,
            "answers": [
                {
                    "criterion": answer.criterion_key,
                    "label": labels.get((evaluation.scorecard_version_id, answer.criterion_key)),
                    **_row(answer, "value", "is_na", "normalised", "comment"),
                }
                for answer in evaluation.answers
            ],
            "revisions": revisions.get(evaluation.id, []),
        }
        for evaluation in evaluations
    ]


def _disputes(user: User) -> list[dict[str, Any]]:
    disputes = db.session.scalars(
        sa.select(Dispute)
        .where(Dispute.raised_by_id == user.id)
        .options(joinedload(Dispute.resolved_by))
        .order_by(Dispute.id)
    )
    return [
        _row(dispute, "id", "evaluation_id", "criterion_keys", "criterion_reasons", "reason")
        | _row(dispute, "status", "raised_at")
        | _row(dispute, "resolved_at", "resolution_note")
        | {"resolved_by": dispute.resolved_by.display_name if dispute.resolved_by else None}
        for dispute in disputes
    ]


def _training_plans(user: User) -> list[dict[str, Any]]:
    plans = db.session.scalars(
        sa.select(TrainingPlan)
        .where(TrainingPlan.agent_id == user.id, TrainingPlan.status.in_(training.VISIBLE_TO_AGENT))
        .options(
            joinedload(TrainingPlan.issued_by),
            selectinload(TrainingPlan.items).joinedload(TrainingPlanItem.module),
        )
        .order_by(TrainingPlan.id)
    )
    return [
        _row(plan, "id", "status", "period_start", "period_end", "notes", "issued_at")
        | _row(plan, "acknowledged_at", "acknowledgement_comment", "closed_at", "closing_note")
        | {
            "issued_by": plan.issued_by.display_name if plan.issued_by else None,
            "items": [
                _row(item, "id", "position", "focus_kind", "focus_label", "reason", "due_on")
                | _row(item, "status", "coach_notes", "started_at", "completed_at")
                | {"module": item.module.key, "module_title": item.module.title}
                for item in plan.items
            ],
        }
        for plan in plans
    ]


def _coaching_sessions(user: User) -> list[dict[str, Any]]:
    sessions = db.session.scalars(
        sa.select(CoachingSession)
        .where(CoachingSession.agent_id == user.id)
        .options(
            joinedload(CoachingSession.coach),
            selectinload(CoachingSession.evaluations),
            selectinload(CoachingSession.items),
        )
        .order_by(CoachingSession.id)
    )
    visible = set(VISIBLE_TO_AGENT)
    return [
        _row(session, "id", "held_on", "notes", "agreed_actions", "created_at")
        | _row(session, "acknowledged_at", "acknowledgement_comment")
        | {
            "coach": session.coach.display_name,
            "evaluation_ids": [e.id for e in session.evaluations if e.status in visible],
            "item_ids": [item.id for item in session.items],
        }
        for session in sessions
    ]


def _interactions(user: User) -> list[dict[str, Any]]:
    columns = (
        Interaction.id,
        Interaction.channel,
        Interaction.occurred_at,
        Interaction.duration_seconds,
        Interaction.source,
        Interaction.external_ref,
        Interaction.queue,
    )
    rows = db.session.execute(
        sa.select(*columns).where(Interaction.agent_id == user.id).order_by(Interaction.id)
    )
    return [row._asdict() for row in rows]


def _statistics(user: User) -> list[dict[str, Any]]:
    columns = [AgentDailyStat.id, AgentDailyStat.day, AgentDailyStat.channel]
    columns += [getattr(AgentDailyStat, name) for name in TOTAL_COLUMNS]
    columns += [AgentDailyStat.source, AgentDailyStat.imported_at]
    rows = db.session.execute(
        sa.select(*columns)
        .where(AgentDailyStat.agent_id == user.id)
        .order_by(AgentDailyStat.day, AgentDailyStat.channel, AgentDailyStat.source)
    )
    return [row._asdict() for row in rows]


def _api_tokens(user: User) -> list[dict[str, Any]]:
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    )
    return [
        _row(token, "id", "name", "prefix", "created_at", "last_used_at", "expires_at")
        | {"revoked_at": token.revoked_at, "created_by_you": token.created_by_id == user.id}
        for token in tokens
    ]


def _sign_in_sessions(user: User) -> list[dict[str, Any]]:
    sessions = db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
    )
    return [
        _row(session, "id", "created_at", "expires_at", "revoked_at", "ip_address", "user_agent")
        for session in sessions
    ]


def _audit_events(user: User) -> list[dict[str, Any]]:
    """Events the user did, and events about their account. The values before and after are
    included for events about their account; for their actions on other records only what
    and when (those values are about other people). Someone else's address is never shown."""
    about_user = sa.and_(AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id)
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(sa.or_(AuditEvent.actor_id == user.id, about_user))
        .order_by(AuditEvent.id)
    )
    found = []
    for event in events:
        own_account = event.entity_type == "user" and event.entity_id == user.id
        by_user = event.actor_id == user.id
        found.append(
            _row(event, "id", "occurred_at", "action", "entity_type", "entity_id")
            | {
                "by_you": by_user,
                "ip_address": event.ip_address if by_user else None,
                "before": event.before if own_account else None,
                "after": event.after if own_account else None,
            }
        )
    return found


def _records_made(user: User) -> list[dict[str, Any]]:
    """Ids of the records the user made or decided about others, one list per column."""
    tables = db.metadata.tables
    found = []
    for reference, section in REFERENCES.items():
        if section != RECORDS_MADE:
            continue
        table_name, column = reference.split(".")
        table = tables[table_name]
        ids = db.session.scalars(
            sa.select(table.c.id).where(table.c[column] == user.id).order_by(table.c.id)
        ).all()
        if ids:
            found.append({"table": table_name, "as": column, "ids": ids})
    return found


def _notifications(user: User) -> list[dict[str, Any]]:
    """The user's notifications: kind, when, read, and what they name other than people
    (who did what is in the records it is about; a coach's copy never names the agent)."""
    people = set(USER_PARAMS)
    return [
        _row(n, "id", "kind", "created_at", "read_at")
        | {"details": {key: value for key, value in n.params.items() if key not in people}}
        for n in db.session.scalars(notifications_of(user))
    ]


def personal_data(user: User) -> dict[str, Any]:
    """The whole document for `user` (see the module's docstring for what is in it)."""
    return {
        "format": {"name": "qa-coach-personal-data", "version": FORMAT_VERSION},
        "generated_at": utcnow(),
        "profile": _profile(user),
        "evaluations": _evaluations(user),
        "disputes": _disputes(user),
        "training_plans": _training_plans(user),
        "coaching_sessions": _coaching_sessions(user),
        "interactions": _interactions(user),
        "statistics": _statistics(user),
        "api_tokens": _api_tokens(user),
        "sign_in_sessions": _sign_in_sessions(user),
        "audit_events": _audit_events(user),
        "notifications": _notifications(user),
        RECORDS_MADE: _records_made(user),
    }


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def to_json(document: dict[str, Any]) -> bytes:
    """The document as indented UTF-8 JSON."""
    return json.dumps(document, default=_encode, ensure_ascii=False, indent=2).encode()


def references_to_user(metadata: sa.MetaData) -> set[str]:
    """Every "table.column" of `metadata` with a foreign key to user.id."""
    return {
        f"{table.name}.{key.parent.name}"
        for table in metadata.tables.values()
        for key in table.foreign_keys
        if key.target_fullname == "user.id"
    }
