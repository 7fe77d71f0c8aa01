"""What the daily reminders count, and sending them once per recipient and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.calibration.models import CalibrationParticipant, CalibrationSession, SessionStatus
from qa_app.database import serialise
from qa_app.evaluations.models import Assignment
from qa_app.evaluations.queue import submitted_by_assignee
from qa_app.extensions import db
from qa_app.notifications import events
from qa_app.notifications.models import DAILY_KINDS, Notification, NotificationKind
from qa_app.teams.models import team_supervisor
from qa_app.training.models import ItemStatus, TrainingPlan, TrainingPlanItem
from qa_app.training.plans import WORKING


def overdue_items_by_coach(today: date) -> dict[int, int]:
    """Per coach, the overdue items (not done, past due, in an issued plan) of the agents of
    the teams they supervise and of the plans they issued, each item counted once."""
    overdue = (
        sa.select(
            TrainingPlanItem.id.label("item_id"), TrainingPlan.agent_id, TrainingPlan.issued_by_id
        )
        .join(TrainingPlan, TrainingPlan.id == TrainingPlanItem.plan_id)
        .where(
            TrainingPlan.status.in_(WORKING),
            TrainingPlanItem.status != ItemStatus.DONE,
            TrainingPlanItem.due_on < today,
        )
        .subquery()
    )
    by_team = (
        sa.select(team_supervisor.c.user_id.label("coach_id"), overdue.c.item_id)
        .select_from(overdue)
        .join(User, User.id == overdue.c.agent_id)
        .join(team_supervisor, team_supervisor.c.team_id == User.team_id)
    )
    by_issuer = sa.select(overdue.c.issued_by_id.label("coach_id"), overdue.c.item_id).where(
        overdue.c.issued_by_id.is_not(None)
    )
    pairs = sa.union(by_team, by_issuer).subquery()
    rows = db.session.execute(
        sa.select(pairs.c.coach_id, sa.func.count()).group_by(pairs.c.coach_id)
    )
    return {coach_id: count for coach_id, count in rows}


def assignments_due_by_evaluator(today: date) -> dict[int, int]:
    """Per evaluator, the assignments due by `today` that they have not scored yet; one
    without a due date (drawn before assignments had one) is always due."""
    rows = db.session.execute(
        sa.select(Assignment.evaluator_id, sa.func.count())
        .where(~submitted_by_assignee())
        .where(sa.or_(Assignment.due_on.is_(None), Assignment.due_on <= today))
        .group_by(Assignment.evaluator_id)
    )
    return {evaluator_id: count for evaluator_id, count in rows}


def calibration_due_by_participant(today: date) -> dict[int, int]:
    """Per participant, the open calibration sessions due by tomorrow (or overdue) in which
    they have not submitted every interaction yet."""
    rows = db.session.execute(
        sa.select(CalibrationParticipant.user_id, sa.func.count())
        .join(CalibrationSession, CalibrationSession.id == CalibrationParticipant.session_id)
        .where(
            CalibrationSession.status == SessionStatus.OPEN,
            CalibrationSession.due_on <= today + timedelta(days=1),
            CalibrationParticipant.submitted_at.is_(None),
        )
        .group_by(CalibrationParticipant.user_id)
    )
    return {user_id: count for user_id, count in rows}


@dataclass(frozen=True)
class Reminded:
    """How many reminders `remind` added, and how many it found already sent today."""

    overdue_items: int
    assignments_due: int
    already_sent: int
    calibration_due: int = 0


def remind(today: date) -> Reminded:
    """Add today's reminders (in the session, uncommitted); a second run on the same day adds
    none. Concurrent runs queue behind each other (and the table's unique key)."""
    serialise(db.session, "notifications.remind")
    sent = {
        (user_id, kind)
        for user_id, kind in db.session.execute(
            sa.select(Notification.recipient_id, Notification.kind).where(
                Notification.reminder_on == today, Notification.kind.in_(DAILY_KINDS)
            )
        )
    }
    wanted = [
        (NotificationKind.ITEMS_OVERDUE, overdue_items_by_coach(today), events.items_overdue),
        (
            NotificationKind.ASSIGNMENTS_DUE,
            assignments_due_by_evaluator(today),
            events.assignments_due,
        ),
        (
            NotificationKind.CALIBRATION_DUE,
            calibration_due_by_participant(today),
            events.calibration_due,
        ),
    ]
    ids = {user_id for _, counts, _ in wanted for user_id in counts}
    users = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    added = {kind: 0 for kind in DAILY_KINDS}
    skipped = 0
    for kind, counts, send in wanted:
        for user_id, count in sorted(counts.items()):
            user = users.get(user_id)
            if user is None or not user.active:
                continue
            if (user_id, kind.value) in sent:
                skipped += 1
                continue
            send(user, count, today)
            added[kind] += 1
    return Reminded(
        added[NotificationKind.ITEMS_OVERDUE],
        added[NotificationKind.ASSIGNMENTS_DUE],
        skipped,
        added[NotificationKind.CALIBRATION_DUE],
    )
