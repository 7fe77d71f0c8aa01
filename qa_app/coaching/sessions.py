"""Coaching sessions: recorded by the coach, acknowledged by the agent; audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.channels import channel_name
from qa_app.coaching.models import CoachingSession
from qa_app.database import utcnow
from qa_app.errors import RuleError
from qa_app.evaluations.models import VISIBLE_TO_AGENT, Evaluation
from qa_app.extensions import db
from qa_app.i18n import format_number
from qa_app.notifications import events as notify
from qa_app.training.models import TrainingPlan, TrainingPlanItem
from qa_app.training.permissions import can_coach
from qa_app.training.plans import WORKING, centre_today


class SessionRuleError(RuleError, ValueError):
    """A session change the rules do not allow (the message is user-facing)."""


def discussable_evaluations(agent_id: int, limit: int = 50) -> list[Evaluation]:
    """The agent's most recent released evaluations: those a session can refer to."""
    return list(
        db.session.scalars(
            sa.select(Evaluation)
            .where(Evaluation.agent_id == agent_id, Evaluation.status.in_(VISIBLE_TO_AGENT))
            .options(
                sa.orm.joinedload(Evaluation.version), sa.orm.joinedload(Evaluation.interaction)
            )
            .order_by(Evaluation.released_at.desc(), Evaluation.id.desc())
            .limit(limit)
        )
    )


def pending_sessions(agent: User) -> list[CoachingSession]:
    """The agent's sessions they have not acknowledged yet, newest first."""
    return list(
        db.session.scalars(
            sa.select(CoachingSession)
            .where(CoachingSession.agent_id == agent.id, CoachingSession.acknowledged_at.is_(None))
            .options(sa.orm.joinedload(CoachingSession.coach))
            .order_by(CoachingSession.held_on.desc(), CoachingSession.id.desc())
        )
    )


def evaluation_label(evaluation: Evaluation) -> str:
    """How a coach recognises an evaluation: the contact's date and channel, the scorecard
    and the score ("Nov 2, 2026 · Phone · Inbound call · score 83.3")."""
    if evaluation.score is None:
        score = _("no score")
    elif evaluation.auto_failed:
        score = _("score %(score)s, auto-fail", score=format_number(evaluation.score))
    else:
        score = _("score %(score)s", score=format_number(evaluation.score))
    return _(
        "%(date)s · %(channel)s · %(scorecard)s · %(score)s",
        date=format_date(evaluation.interaction.occurred_at, "medium"),
        channel=channel_name(evaluation.interaction.channel),
        scorecard=evaluation.version.name,
        score=score,
    )


def discussable_items(agent_id: int) -> list[TrainingPlanItem]:
    """Items of the agent's issued, not yet closed plans."""
    return list(
        db.session.scalars(
            sa.select(TrainingPlanItem)
            .join(TrainingPlan)
            .where(
                TrainingPlan.agent_id == agent_id,
                TrainingPlan.status.in_(WORKING),
            )
            .options(sa.orm.joinedload(TrainingPlanItem.module))
            .order_by(TrainingPlanItem.position)
        )
    )


def record_session(
    coach: User,
    agent: User,
    held_on: date,
    notes: str,
    agreed_actions: str | None,
    evaluation_ids: Sequence[int] = (),
    item_ids: Sequence[int] = (),
) -> CoachingSession:
    """Record a session; linked evaluations and items must be the agent's own."""
    evaluation_ids = list(dict.fromkeys(evaluation_ids))  # a repeated id is one link
    item_ids = list(dict.fromkeys(item_ids))
    if not can_coach(coach, agent.id):
        raise SessionRuleError(_l("You cannot coach this agent."))
    if held_on > centre_today():
        raise SessionRuleError(_l("A session is recorded after it took place, not before."))
    evaluations = {
        evaluation.id: evaluation
        for evaluation in db.session.scalars(
            sa.select(Evaluation).where(
                Evaluation.id.in_(evaluation_ids),
                Evaluation.agent_id == agent.id,
                Evaluation.status.in_(VISIBLE_TO_AGENT),
            )
        )
    }
    items = {i.id: i for i in discussable_items(agent.id)}
    if not set(evaluation_ids) <= evaluations.keys() or not set(item_ids) <= items.keys():
        raise SessionRuleError(_l("Link only this agent's released evaluations and plan items."))
    session = CoachingSession(
        agent_id=agent.id,
        coach_id=coach.id,
        held_on=held_on,
        notes=notes.strip(),
        agreed_actions=(agreed_actions or "").strip() or None,
        evaluations=[evaluations[i] for i in evaluation_ids],
        items=[items[i] for i in item_ids],
    )
    db.session.add(session)
    db.session.flush()
    record_event(
        "coaching_session.recorded",
        "coaching_session",
        session.id,
        after={
            "agent_id": agent.id,
            "held_on": held_on.isoformat(),
            "evaluation_ids": sorted(evaluation_ids),
            "item_ids": sorted(item_ids),
        },
        actor_id=coach.id,
    )
    notify.coaching_recorded(session)
    return session


def acknowledge_session(session: CoachingSession, agent: User, comment: str | None) -> None:
    """The agent confirms the session's notes and agreed actions."""
    if session.agent_id != agent.id:
        raise SessionRuleError(_l("Only the agent can acknowledge their session."))
    if session.acknowledged_at is not None:
        raise SessionRuleError(_l("This session is already acknowledged."))
    session.acknowledged_at = utcnow()
    session.acknowledgement_comment = (comment or "").strip() or None
    db.session.flush()
    record_event(
        "coaching_session.acknowledged",
        "coaching_session",
        session.id,
        after={"comment": session.acknowledgement_comment},
        actor_id=agent.id,
    )
