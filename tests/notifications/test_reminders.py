"""`flask notifications remind`: overdue plan items and assignments due, once a day."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from qa_app.extensions import db
from qa_app.notifications.models import Notification
from tests.conftest import Organisation


def _reminders(app: Flask) -> list[tuple[int, str, dict[str, Any], str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                Notification.recipient_id,
                Notification.kind,
                Notification.params,
                Notification.reminder_on,
            )
            .where(Notification.reminder_on.is_not(None))
            .order_by(Notification.id)
        )
        return [(r, k, p, day.isoformat()) for r, k, p, day in rows]


def test_remind_tells_coaches_and_evaluators_once_a_day(
    app: Flask, org: Organisation, runner: Any, plan_item: Any, assignment: Any
) -> None:
    """The plan item is due on 15 December 2026; the assignment is not scored yet."""
    before_due = runner.invoke(args=["notifications", "remind", "--date", "2026-12-15"])
    assert before_due.exit_code == 0, before_due.output
    assert _reminders(app) == [(org.supervisor_a.id, "assignments_due", {"count": 1}, "2026-12-15")]
    result = runner.invoke(args=["notifications", "remind", "--date", "2026-12-16"])
    assert result.exit_code == 0, result.output
    assert "1 about overdue plan items, 1 about assignments due; 0 already sent" in result.output
    assert _reminders(app)[1:] == [
        (org.supervisor_a.id, "items_overdue", {"count": 1}, "2026-12-16"),
        (org.supervisor_a.id, "assignments_due", {"count": 1}, "2026-12-16"),
    ]
    again = runner.invoke(args=["notifications", "remind", "--date", "2026-12-16"])
    assert again.exit_code == 0, again.output
    assert "0 about overdue plan items, 0 about assignments due; 2 already sent" in again.output
    assert len(_reminders(app)) == 3


def test_a_done_item_and_a_scored_assignment_are_not_reminded(
    app: Flask, org: Organisation, runner: Any, plan_item: Any, draft_evaluation: Any
) -> None:
    from qa_app.auth.models import User
    from qa_app.evaluations import services
    from qa_app.evaluations.models import Evaluation
    from qa_app.training import plans
    from qa_app.training.models import ItemStatus, TrainingPlanItem
    from tests.conftest import RECORD_ANSWERS

    with app.app_context():
        supervisor = db.session.get(User, org.supervisor_a.id)
        plans.set_item_status(
            db.session.get(TrainingPlanItem, plan_item.id), ItemStatus.DONE, supervisor
        )
        evaluation = db.session.get(Evaluation, draft_evaluation.id)
        edit = services.Edit(RECORD_ANSWERS, {}, {}, evaluation.lock_version)
        services.submit(evaluation, edit, supervisor)
        db.session.commit()
    result = runner.invoke(args=["notifications", "remind", "--date", "2026-12-16"])
    assert result.exit_code == 0, result.output
    assert [kind for _, kind, _, _ in _reminders(app)] == []


def test_an_assignment_is_reminded_from_its_due_date_on(
    app: Flask, org: Organisation, runner: Any, assignment: Any
) -> None:
    from datetime import date

    from qa_app.evaluations.models import Assignment

    with app.app_context():
        db.session.get_one(Assignment, assignment.id).due_on = date(2026, 12, 20)
        db.session.commit()
    early = runner.invoke(args=["notifications", "remind", "--date", "2026-12-19"])
    assert early.exit_code == 0, early.output
    assert _reminders(app) == []
    due = runner.invoke(args=["notifications", "remind", "--date", "2026-12-20"])
    assert due.exit_code == 0, due.output
    assert _reminders(app) == [(org.supervisor_a.id, "assignments_due", {"count": 1}, "2026-12-20")]
