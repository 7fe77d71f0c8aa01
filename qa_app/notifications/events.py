"""One function per event a user is told of; each service calls its one in one line.

The records come from the features that call these (typed here only for the checker: this
package sits below them and reads their attributes); reads never flush the caller's
session (qa_app.notifications.services).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.notifications.models import NotificationKind
from qa_app.notifications.services import notify

if TYPE_CHECKING:
    from qa_app.calibration.models import CalibrationSession
    from qa_app.coaching.models import CoachingSession
    from qa_app.evaluations.models import Dispute, Evaluation
    from qa_app.training.models import TrainingPlan


def _evaluation_params(evaluation: Evaluation) -> dict[str, object]:
    return {
        # The name with its translations: the notification reads in its reader's language.
        "scorecard": evaluation.version.definition.get("name") or evaluation.version.name,
        "occurred_at": evaluation.interaction.occurred_at.isoformat(),
    }


def feedback_released(evaluation: Evaluation) -> None:
    """Agent: an evaluation of theirs was released to them."""
    with db.session.no_autoflush:
        notify(
            [evaluation.agent],
            NotificationKind.FEEDBACK_RELEASED,
            {"evaluator_id": evaluation.evaluator_id, **_evaluation_params(evaluation)},
            ("evaluations.detail", {"evaluation_id": evaluation.id}),
        )


def dispute_raised(dispute: Dispute, deciders: Iterable[User]) -> None:
    """Those who may decide it: an agent disputes an evaluation."""
    with db.session.no_autoflush:
        notify(
            deciders,
            NotificationKind.DISPUTE_RAISED,
            {"agent_id": dispute.raised_by_id, **_evaluation_params(dispute.evaluation)},
            ("disputes.resolve", {"dispute_id": dispute.id}),
        )


def dispute_decided(dispute: Dispute) -> None:
    """Agent: their dispute was upheld (re-scored) or rejected."""
    with db.session.no_autoflush:
        evaluation = dispute.evaluation
        notify(
            [dispute.raised_by],
            NotificationKind.DISPUTE_DECIDED,
            {
                "resolver_id": dispute.resolved_by_id,
                "outcome": str(dispute.status),
                **_evaluation_params(evaluation),
            },
            ("evaluations.detail", {"evaluation_id": evaluation.id}),
        )


def plan_issued(plan: TrainingPlan) -> None:
    """Agent: a training plan was issued to them."""
    with db.session.no_autoflush:
        notify(
            [plan.agent],
            NotificationKind.PLAN_ISSUED,
            {"coach_id": plan.issued_by_id, "count": len(plan.items)},
            ("training.detail", {"plan_id": plan.id}),
        )


def plan_acknowledged(plan: TrainingPlan) -> None:
    """The coach who issued the plan (else the agent's supervisors): the agent has read it."""
    with db.session.no_autoflush:
        issuer = plan.issued_by
        if issuer is not None and issuer.active:
            coaches: list[User] = [issuer]
        else:
            team = plan.agent.team
            coaches = list(team.supervisors) if team is not None else []
        notify(
            coaches,
            NotificationKind.PLAN_ACKNOWLEDGED,
            {"agent_id": plan.agent_id},
            ("training.detail", {"plan_id": plan.id}),
        )


def coaching_recorded(session: CoachingSession) -> None:
    """Agent: a coaching session with them was recorded."""
    with db.session.no_autoflush:
        notify(
            [session.agent],
            NotificationKind.COACHING_RECORDED,
            {"coach_id": session.coach_id, "held_on": session.held_on.isoformat()},
            ("coaching.detail", {"session_id": session.id}),
        )


def items_overdue(coach: User, count: int, today: date) -> None:
    """Coach (daily): plan items of their agents are past their due date."""
    notify(
        [coach],
        NotificationKind.ITEMS_OVERDUE,
        {"count": count},
        ("training.index", {}),
        reminder_on=today,
    )


def assignments_due(evaluator: User, count: int, today: date) -> None:
    """Evaluator (daily): assigned interactions are waiting for them to score."""
    notify(
        [evaluator],
        NotificationKind.ASSIGNMENTS_DUE,
        {"count": count},
        ("evaluations.queue", {}),
        reminder_on=today,
    )


def _calibration_people(session: CalibrationSession) -> list[User]:
    return [p.user for p in session.participants]


def calibration_invited(session: CalibrationSession) -> None:
    """Participants (the organiser aside): they are invited to score a calibration session."""
    with db.session.no_autoflush:
        notify(
            [user for user in _calibration_people(session) if user.id != session.created_by_id],
            NotificationKind.CALIBRATION_INVITED,
            {
                "organiser_id": session.created_by_id,
                "title": session.title,
                "due_on": session.due_on.isoformat() if session.due_on else None,
                "count": len(session.items),
            },
            ("calibration.session", {"session_id": session.id}),
        )


def calibration_closed(session: CalibrationSession) -> None:
    """Participants: the session is closed, everyone's answers and the results are ready."""
    with db.session.no_autoflush:
        notify(
            _calibration_people(session),
            NotificationKind.CALIBRATION_CLOSED,
            {"title": session.title},
            ("calibration.session", {"session_id": session.id}),
        )


def calibration_due(evaluator: User, count: int, today: date) -> None:
    """Participant (daily): sessions due by tomorrow, or overdue, wait for their scoring."""
    notify(
        [evaluator],
        NotificationKind.CALIBRATION_DUE,
        {"count": count},
        ("calibration.index", {}),
        reminder_on=today,
    )
