"""Open assignments: the overseer's list with due dates, and reassigning one to someone who
may score the agent (managers, or the supervisor who drew the sample; audited)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.evaluations import services
from qa_app.evaluations.assignments import ReassignmentError, reassign
from qa_app.evaluations.models import Assignment
from qa_app.evaluations.sampling import draw_sample
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard
from qa_app.teams.models import Team, team_supervisor
from tests.conftest import Organisation, post_form


@pytest.fixture
def drawn(
    app: Flask,
    org: Organisation,
    make_scorecard: Callable[..., str],
    make_user: Callable[..., User],
) -> dict[str, Any]:
    """Team A gets a second supervisor (A2); supervisor A draws a sample of agent A1's one
    call, due in a week, which goes to supervisor A (the least loaded, lowest id)."""
    make_scorecard()
    second = make_user(Role.SUPERVISOR, email="sup.a2@example.test", display_name="Second A")
    with app.app_context():
        db.session.execute(
            sa.insert(team_supervisor).values(team_id=org.team_a.id, user_id=second.id)
        )
        call = Interaction(
            agent_id=org.agent_a1.id,
            channel="phone",
            occurred_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
        )
        db.session.add(call)
        db.session.flush()
        draw_sample(
            db.session.get_one(Team, org.team_a.id),
            date(2026, 3, 1),
            date(2026, 3, 31),
            1,
            1,
            db.session.get_one(User, org.supervisor_a.id),
            due_on=date.today() + timedelta(days=7),
        )
        db.session.commit()
        assignment = db.session.scalars(sa.select(Assignment)).one()
        return {"id": assignment.id, "evaluator": assignment.evaluator_id, "second": second}


def _evaluator(app: Flask, assignment_id: int) -> int:
    with app.app_context():
        return db.session.get_one(Assignment, assignment_id).evaluator_id


def _reassign(client: FlaskClient, assignment_id: int, to: int) -> Any:
    return post_form(
        client,
        f"/evaluations/assignments/{assignment_id}/reassign",
        {"evaluator_id": to},
    )


@pytest.mark.parametrize("who", ["manager", "supervisor_a"])
def test_a_manager_or_the_assigning_supervisor_reassigns_and_it_is_audited(
    who: str, app: Flask, org: Organisation, drawn: dict[str, Any], sign_in_as: Any
) -> None:
    assert drawn["evaluator"] == org.supervisor_a.id
    client = sign_in_as(org.member(who))
    page = client.get("/evaluations/assignments").get_data(as_text=True)
    assert f"/evaluations/assignments/{drawn['id']}/reassign" in page
    assert "Second A" in page
    response = _reassign(client, drawn["id"], drawn["second"].id)
    assert response.status_code == 302
    assert _evaluator(app, drawn["id"]) == drawn["second"].id
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "assignment.reassigned")
        )
        assert event is not None
        assert (event.entity_type, event.entity_id) == ("assignment", drawn["id"])
        assert event.before == {"evaluator_id": org.supervisor_a.id}
        assert event.after == {"evaluator_id": drawn["second"].id}
        assert event.actor_id == org.member(who).id
    # The new evaluator finds it in their queue, with its due date.
    queue = sign_in_as(drawn["second"]).get("/evaluations/queue").get_data(as_text=True)
    assert f"/evaluations/start/assignment/{drawn['id']}" in queue


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("second", 403),  # a supervisor of the team, but not the one who drew the sample
        ("supervisor_b", 404),  # another team's: the assignment is out of sight
        ("supervisor_none", 404),
        ("agent_a1", 403),
        ("admin", 403),
    ],
)
def test_nobody_else_may_reassign(
    who: str,
    status: int,
    app: Flask,
    org: Organisation,
    drawn: dict[str, Any],
    sign_in_as: Any,
) -> None:
    user = drawn["second"] if who == "second" else org.member(who)
    client = sign_in_as(user)
    to = org.manager.id
    response = post_form(
        client,
        f"/evaluations/assignments/{drawn['id']}/reassign",
        {"evaluator_id": to},
    )
    assert response.status_code == status
    assert _evaluator(app, drawn["id"]) == org.supervisor_a.id
    if user.role in (Role.SUPERVISOR, Role.MANAGER):
        page = client.get("/evaluations/assignments").get_data(as_text=True)
        assert f"/assignments/{drawn['id']}/reassign" not in page


def test_only_someone_who_may_score_the_agent_can_take_it(
    app: Flask, org: Organisation, drawn: dict[str, Any], sign_in_as: Any
) -> None:
    client = sign_in_as(org.manager)
    page = client.get("/evaluations/assignments").get_data(as_text=True)
    # Team A's other supervisor and the manager; not team B's supervisor, not the assignee.
    options = page.split(f'id="evaluator-{drawn["id"]}"')[1].split("</select>")[0]
    assert "Second A" in options and org.manager.display_name in options
    assert org.supervisor_b.display_name not in options
    assert org.supervisor_a.display_name not in options
    response = _reassign(client, drawn["id"], org.supervisor_b.id)
    assert response.status_code == 302
    assert "Choose someone who may score" in client.get("/evaluations/assignments").get_data(
        as_text=True
    )
    assert _evaluator(app, drawn["id"]) == org.supervisor_a.id


def test_a_started_assignment_cannot_be_reassigned(
    app: Flask, org: Organisation, drawn: dict[str, Any], sign_in_as: Any
) -> None:
    with app.app_context():
        assignment = db.session.get_one(Assignment, drawn["id"])
        services.start_evaluation(
            db.session.get_one(User, org.supervisor_a.id),
            assignment.interaction,
            db.session.get_one(Scorecard, assignment.scorecard_id),
        )
        db.session.commit()
    client = sign_in_as(org.manager)
    response = _reassign(client, drawn["id"], drawn["second"].id)
    assert response.status_code == 302
    text = client.get("/evaluations/assignments").get_data(as_text=True)
    assert "has already started evaluating this interaction" in text
    assert _evaluator(app, drawn["id"]) == org.supervisor_a.id
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(AuditEvent).where(AuditEvent.action == "assignment.reassigned")
            )
            is None
        )


def test_the_list_flags_overdue_assignments(
    app: Flask, org: Organisation, drawn: dict[str, Any], sign_in_as: Any
) -> None:
    client = sign_in_as(org.supervisor_a)
    assert "overdue" not in client.get("/evaluations/assignments").get_data(as_text=True)
    with app.app_context():
        db.session.execute(sa.update(Assignment).values(due_on=date.today() - timedelta(days=1)))
        db.session.commit()
    assert "overdue" in client.get("/evaluations/assignments").get_data(as_text=True)
    assert "overdue" in client.get("/evaluations/queue").get_data(as_text=True)


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("supervisor_b", "may not score"),  # another team's supervisor
        ("supervisor_a", "already assigned to"),
        ("agent_a2", "may not score"),
    ],
)
def test_the_service_refuses_whoever_may_not_take_it(
    to: str, message: str, app: Flask, org: Organisation, drawn: dict[str, Any]
) -> None:
    with app.app_context():
        assignment = db.session.get_one(Assignment, drawn["id"])
        with pytest.raises(ReassignmentError, match=message):
            reassign(
                assignment,
                db.session.get_one(User, org.member(to).id),
                db.session.get_one(User, org.manager.id),
            )
        db.session.rollback()
    assert _evaluator(app, drawn["id"]) == org.supervisor_a.id
