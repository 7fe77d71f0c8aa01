"""Notifications in the app: who is told of what, the list, the unread count, marking read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.notifications.models import Notification, NotificationKind
from tests.conftest import Organisation, csrf_token


def _kinds(app: Flask, user: User) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                sa.select(Notification.kind).where(Notification.recipient_id == user.id)
            )
        )


def test_each_event_tells_the_people_it_concerns(
    app: Flask, org: Organisation, records: dict[str, int]
) -> None:
    """The records are made through the services: two evaluations released to agent A1 (one
    then disputed), a plan issued to them and a coaching session recorded with them."""
    assert _kinds(app, org.agent_a1) == sorted(
        ["feedback_released", "feedback_released", "plan_issued", "coaching_recorded"]
    )
    # The manager scored the disputed evaluation: supervisor A decides it, and is told.
    assert _kinds(app, org.supervisor_a) == ["dispute_raised"]
    assert _kinds(app, org.manager) == []
    assert _kinds(app, org.agent_a2) == [] and _kinds(app, org.supervisor_b) == []

    from qa_app.evaluations import services
    from qa_app.evaluations.models import Dispute
    from qa_app.training import plans
    from qa_app.training.models import TrainingPlan

    with app.app_context():
        agent = db.session.get(User, org.agent_a1.id)
        plans.acknowledge_plan(db.session.get(TrainingPlan, records["plan_id"]), agent, None)
        dispute = db.session.get(Dispute, records["dispute_id"])
        services.reject_dispute(dispute, db.session.get(User, org.supervisor_a.id), "It stands.")
        db.session.commit()
    assert "dispute_decided" in _kinds(app, org.agent_a1)
    assert _kinds(app, org.supervisor_a) == ["dispute_raised", "plan_acknowledged"]


def test_the_deciders_of_a_dispute_are_those_the_dispute_page_lets_in(
    app: Flask, org: Organisation, open_dispute: Any, released_evaluation: Any
) -> None:
    from qa_app.evaluations import services
    from qa_app.evaluations.deciders import deciders_of
    from qa_app.evaluations.models import Dispute, Evaluation

    with app.app_context():
        # Scored by the manager: supervisor A decides.
        assert [u.id for u in deciders_of(db.session.get(Dispute, open_dispute.id))] == [
            org.supervisor_a.id
        ]
        # Scored by supervisor A: only the manager may decide.
        evaluation = db.session.get(Evaluation, released_evaluation.id)
        agent = db.session.get(User, org.agent_a1.id)
        dispute = services.raise_dispute(evaluation, agent, [], "No.", window_days=10_000)
        assert [u.id for u in deciders_of(dispute)] == [org.manager.id]
        db.session.commit()
    assert _kinds(app, org.manager) == ["dispute_raised"]


def test_the_text_is_written_when_read_not_stored(
    app: Flask, org: Organisation, released_evaluation: Any, sign_in_as: Any
) -> None:
    """Names and days are parameters: a renamed evaluator shows by their new name."""
    with app.app_context():
        stored = db.session.scalars(
            sa.select(Notification).where(Notification.recipient_id == org.agent_a1.id)
        ).one()
        assert stored.kind == NotificationKind.FEEDBACK_RELEASED
        assert stored.params["evaluator_id"] == org.supervisor_a.id
        assert org.supervisor_a.display_name not in str(stored.params)
        assert (stored.link_endpoint, stored.link_args) == (
            "evaluations.detail",
            {"evaluation_id": released_evaluation.id},
        )
        db.session.get(User, org.supervisor_a.id).display_name = "Renamed Supervisor"
        db.session.commit()
    page = sign_in_as(org.agent_a1).get("/notifications/").get_data(as_text=True)
    assert "Renamed Supervisor released feedback for you: Test call, interaction of" in page
    assert "Nov 2, 2026" in page


def _unread_badge(page: str) -> str | None:
    start = page.find('id="nav-notifications"')
    assert start != -1, "no notifications link in the navigation bar"
    link = page[start : page.find("</a>", start)]
    marker = 'class="badge text-bg-warning"'
    if marker not in link:
        return None
    return link.split(marker)[1].split(">", 1)[1].split("<", 1)[0]


def test_the_unread_count_is_one_cheap_query_per_page(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: Any
) -> None:
    client = sign_in_as(org.agent_a1)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "notification" in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/training/").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert _unread_badge(page) == "4"
    assert len(statements) == 1, statements
    assert "count" in statements[0].lower() and "LIMIT" in statements[0].upper()
    # Someone without notifications sees no badge.
    assert _unread_badge(sign_in_as(org.agent_a2).get("/").get_data(as_text=True)) is None


def test_marking_one_and_all_read(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: Any
) -> None:
    client = sign_in_as(org.agent_a1)
    token = csrf_token(client, "/notifications/")
    with app.app_context():
        first = db.session.scalar(
            sa.select(Notification)
            .where(Notification.recipient_id == org.agent_a1.id)
            .order_by(Notification.id)
        )
    opened = client.post(f"/notifications/{first.id}/open", data={"csrf_token": token})
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/evaluations/{first.link_args['evaluation_id']}"
    assert _unread_badge(client.get("/").get_data(as_text=True)) == "3"
    assert client.post("/notifications/read-all", data={"csrf_token": token}).status_code == 302
    page = client.get("/notifications/").get_data(as_text=True)
    assert "3 notifications marked read." in page
    assert _unread_badge(page) is None
    with app.app_context():
        unread = sa.select(sa.func.count()).where(Notification.read_at.is_(None))
        # Supervisor A's notification is untouched by agent A1's "mark all read".
        assert db.session.scalar(unread) == 1


def test_the_list_is_paged_and_newest_first(app: Flask, org: Organisation, sign_in_as: Any) -> None:
    from qa_app.notifications import events

    with app.app_context():
        supervisor = db.session.get(User, org.supervisor_a.id)
        for number in range(1, 24):
            events.assignments_due(supervisor, number, date(2026, 1, number))
        db.session.commit()
    client = sign_in_as(org.supervisor_a)
    first = client.get("/notifications/").get_data(as_text=True)
    assert first.index(">23 assigned interactions") < first.index(">22 assigned interactions")
    assert ">3 assigned interactions" not in first and 'href="/notifications/?page=2"' in first
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert ">1 assigned interaction is waiting for you to score it." in second
    assert ">3 assigned interactions are waiting for you to score them." in second


@pytest.mark.parametrize("viewer", ["agent_a2", "supervisor_a", "manager", "admin"])
def test_nobody_sees_or_marks_anothers_notification(
    viewer: str, app: Flask, org: Organisation, released_evaluation: Any, sign_in_as: Any
) -> None:
    with app.app_context():
        theirs = db.session.scalar(
            sa.select(Notification.id).where(Notification.recipient_id == org.agent_a1.id)
        )
    client = sign_in_as(org.member(viewer))
    page = client.get("/notifications/").get_data(as_text=True)
    assert "released feedback for you" not in page
    token = csrf_token(client, "/notifications/")
    for action in ("open", "read"):
        response = client.post(f"/notifications/{theirs}/{action}", data={"csrf_token": token})
        assert response.status_code == 404
    client.post("/notifications/read-all", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Notification, theirs).read_at is None
