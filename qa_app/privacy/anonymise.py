"""Anonymising a departed agent: their identity and the free text about them go, numbers stay.

Design: the user row is kept with its id, so every evaluation, statistics row, plan and audit
event still points at it and every aggregate (scores, KPIs, dashboards) stays exactly the
same. The row gets a pseudonym instead of the identity: the name "Anonymised agent 7f3a9c01",
the non-deliverable address `anon-7f3a9c01e2b4@anonymised.invalid`, no external id, and a
password that matches nothing. The pseudonym is an HMAC of the user id under SECRET_KEY, so
whoever holds the key can recompute it from an id (to answer a later question about "user
17") but nobody can get the person back from it.

The audit trail keeps referring to the same user id, so its rows need no change to point at
the pseudonym. Their payloads, though, may quote the person (an e-mail in `user.created`, a
comment in `evaluation.saved`): those values are replaced, in the one way the audit triggers
allow (see qa_app.audit.models): inside this transaction an `AuditRedaction` row exists, and
only `before`/`after` of audit rows change.

All of it happens in the caller's transaction: nothing is kept unless everything worked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from qa_app.api.models import ApiToken
from qa_app.audit.models import REDACTION_OPTION, AuditEvent, AuditRedaction
from qa_app.audit.services import record_event
from qa_app.auth.models import AgentIdentity, Role, SignInThrottle, User, UserSession
from qa_app.auth.passwords import hash_password
from qa_app.coaching.models import CoachingSession
from qa_app.database import utcnow
from qa_app.errors import RuleError
from qa_app.evaluations.models import Answer, Dispute, Evaluation, EvaluationRevision
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.training.models import TrainingPlan, TrainingPlanItem

ANONYMISED_DOMAIN = "anonymised.invalid"  # RFC 2606: .invalid never delivers mail
REMOVED = "[removed]"
# Payload keys whose values quote a person or what was written about them.
PERSONAL_KEYS = frozenset(
    {
        "email",
        "display_name",
        "external_id",
        "comment",
        "note",
        "notes",
        "overall_comment",
        "strengths",
        "opportunities",
        "acknowledgement_comment",
        "reason",
        "coach_notes",
        "closing_note",
        "agreed_actions",
        "resolution_note",
        "name",
        "customer_ref",
        "transcript",
        "recording_url",
    }
)


class AnonymiseError(RuleError, ValueError):
    """The user cannot be anonymised (the message says why)."""


def pseudonym(user_id: int, secret_key: str) -> str:
    """`anon-` and the first 12 hex digits of HMAC-SHA256(SECRET_KEY, user id)."""
    digest = hmac.new(secret_key.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()
    return f"anon-{digest[:12]}"


def check_anonymisable(user: User) -> None:
    """Only a deactivated agent who is not anonymised yet (AnonymiseError otherwise).

    Agents only: a supervisor's or manager's name stands on the evaluations they scored and
    the disputes they decided, records about other people that must keep saying who decided.
    """
    if user.anonymised_at is not None:
        raise AnonymiseError(_l("This user has already been anonymised."))
    if user.role != Role.AGENT:
        raise AnonymiseError(_l("Only agents can be anonymised."))
    if user.active:
        raise AnonymiseError(_l("Deactivate the user first: only departed agents are anonymised."))


def _redact(value: Any) -> Any:
    """`value` with the text under every personal key replaced, at any depth (numbers,
    flags and nested records stay, so a criterion keyed "name" keeps its answer)."""
    if isinstance(value, dict):
        return {
            key: REMOVED if key in PERSONAL_KEYS and isinstance(item, str) else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


def _records_of(user: User) -> dict[str, sa.Select[Any]]:
    """The ids of the agent's records, by the entity type the audit trail names them with."""
    return {
        "evaluation": sa.select(Evaluation.id).where(Evaluation.agent_id == user.id),
        "training_plan": sa.select(TrainingPlan.id).where(TrainingPlan.agent_id == user.id),
        "coaching_session": sa.select(CoachingSession.id).where(
            CoachingSession.agent_id == user.id
        ),
        "interaction": sa.select(Interaction.id).where(Interaction.agent_id == user.id),
        "api_token": sa.select(ApiToken.id).where(ApiToken.user_id == user.id),
        "agent_identity": sa.select(AgentIdentity.id).where(AgentIdentity.user_id == user.id),
    }


def _redact_audit(user: User, records: dict[str, sa.Select[Any]]) -> int:
    """Replace the personal values in the payloads of the audit events about the user and
    their records; returns how many events changed."""
    about = [sa.and_(AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id)]
    about += [
        sa.and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids))
        for kind, ids in records.items()
    ]
    events = db.session.execute(
        sa.select(AuditEvent.id, AuditEvent.before, AuditEvent.after).where(sa.or_(*about))
    ).all()
    changes = []
    for event_id, before, after in events:
        new_before, new_after = _redact(before), _redact(after)
        if (new_before, new_after) != (before, after):
            changes.append({"event_id": event_id, "before": new_before, "after": new_after})
    if not changes:
        return 0
    db.session.add(permit := AuditRedaction(user_id=user.id))
    db.session.flush()
    table = cast(sa.Table, AuditEvent.__table__)
    db.session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("event_id"))
        .values(before=sa.bindparam("before"), after=sa.bindparam("after"))
        .execution_options(**{REDACTION_OPTION: True}),
        changes,
    )
    db.session.delete(permit)
    db.session.flush()
    return len(changes)


def _clear_texts(user: User, records: dict[str, sa.Select[Any]]) -> None:
    """Remove the free text written about the agent; the records and their numbers stay."""
    evaluations, plans = records["evaluation"], records["training_plan"]
    statements = [
        sa.update(Evaluation)
        .where(Evaluation.agent_id == user.id)
        .values(
            overall_comment=None,
            strengths=None,
            opportunities=None,
            acknowledgement_comment=None,
            lock_version=Evaluation.lock_version + 1,
        ),
        sa.update(Answer).where(Answer.evaluation_id.in_(evaluations)).values(comment=None),
        sa.update(Dispute)
        .where(Dispute.evaluation_id.in_(evaluations))
        .values(reason=REMOVED, criterion_reasons={}, resolution_note=None),
        sa.update(TrainingPlan)
        .where(TrainingPlan.agent_id == user.id)
        .values(
            notes=None,
            acknowledgement_comment=None,
            closing_note=None,
            lock_version=TrainingPlan.lock_version + 1,
        ),
        sa.update(TrainingPlanItem)
        .where(TrainingPlanItem.plan_id.in_(plans))
        .values(reason=REMOVED, coach_notes=None),
        sa.update(CoachingSession)
        .where(CoachingSession.agent_id == user.id)
        .values(notes=REMOVED, agreed_actions=None, acknowledgement_comment=None),
        sa.update(Interaction)
        .where(Interaction.agent_id == user.id)
        .values(customer_ref=None, transcript=None, recording_url=None),
        sa.delete(UserSession).where(UserSession.user_id == user.id),
        sa.delete(ApiToken).where(ApiToken.user_id == user.id),
        # Their ids in the phone and ticket systems name them as surely as an e-mail.
        sa.delete(AgentIdentity).where(AgentIdentity.user_id == user.id),
        sa.delete(SignInThrottle).where(SignInThrottle.email == user.email),
    ]
    for statement in statements:
        db.session.execute(statement.execution_options(synchronize_session=False))
    _clear_revision_texts(evaluations)


def _clear_revision_texts(evaluation_ids: sa.Select[Any]) -> None:
    """Revisions keep each submitted state whole, comments included: remove the comments,
    keep the values."""
    revisions = db.session.execute(
        sa.select(EvaluationRevision.id, EvaluationRevision.content).where(
            EvaluationRevision.evaluation_id.in_(evaluation_ids)
        )
    ).all()
    changes = [
        {"revision_id": revision_id, "content": _redact(content)}
        for revision_id, content in revisions
        if _redact(content) != content
    ]
    if changes:
        table = cast(sa.Table, EvaluationRevision.__table__)
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("revision_id"))
            .values(content=sa.bindparam("content")),
            changes,
        )


def anonymise_agent(user: User, actor: User | None) -> str:
    """Anonymise a deactivated agent (see the module's docstring); returns the pseudonym.

    Adds and flushes only: the caller commits, or rolls back on an error.
    """
    check_anonymisable(user)
    # Claim the user first: a second administrator doing the same at the same moment waits
    # for this row's lock and then finds it taken (no double anonymisation, no lost update).
    claimed = cast(
        sa.CursorResult[Any],
        db.session.execute(
            sa.update(User)
            .where(User.id == user.id, User.anonymised_at.is_(None), User.active.is_(False))
            .values(anonymised_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        raise AnonymiseError(_l("This user has already been anonymised."))
    key = pseudonym(user.id, current_app.config["SECRET_KEY"])
    records = _records_of(user)
    redacted = _redact_audit(user, records)  # before the tokens it names are deleted
    _clear_texts(user, records)
    user.display_name = f"Anonymised agent {key.removeprefix('anon-')[:8]}"
    user.email = f"{key}@{ANONYMISED_DOMAIN}"
    user.external_id = None
    user.locale = None
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    db.session.flush()
    db.session.expire_all()
    record_event(
        "user.anonymised",
        "user",
        user.id,
        actor_id=actor.id if actor else None,
        after={"pseudonym": key, "audit_events_redacted": redacted},
    )
    return key
