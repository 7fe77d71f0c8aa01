"""Coaching sessions: recorded by a coach for an agent in scope, read by the agent and the
coaches in scope only, acknowledged once by the agent; every change audited."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.coaching.models import CoachingSession
from qa_app.coaching.sessions import SessionRuleError, acknowledge_session, record_session
from qa_app.extensions import db
from qa_app.training.plans import centre_today
from tests.conftest import Organisation, post_form

if TYPE_CHECKING:
    from qa_app.evaluations.models import Evaluation
    from qa_app.training.models import TrainingPlan, TrainingPlanItem


SignIn = Callable[[User], FlaskClient]
FIXTURE_NOTES = "We listened to call 4."
NOT_LINKABLE = "Link only this agent's released evaluations and plan items."


def _user(org: Organisation, name: str) -> User:
    return db.session.get(User, org.member(name).id)


def _session_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(CoachingSession.id)))


def _events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _today(app: Flask) -> date:
    with app.test_request_context():
        return centre_today()


# --- services -------------------------------------------------------------------------------


def test_fixture_session_is_recorded_and_audited(
    app_context: None,
    org: Organisation,
    disputed_evaluation: Evaluation,
    coaching_session: CoachingSession,
) -> None:
    session = db.session.get(CoachingSession, coaching_session.id)
    assert (session.agent_id, session.coach_id) == (org.agent_a1.id, org.supervisor_a.id)
    assert session.held_on == date(2026, 11, 3)
    assert [evaluation.id for evaluation in session.evaluations] == [disputed_evaluation.id]
    [event] = _events("coaching_session.recorded")
    assert (event.entity_type, event.entity_id, event.actor_id) == (
        "coaching_session",
        session.id,
        org.supervisor_a.id,
    )


def test_supervisor_records_a_session_with_links(
    app_context: None,
    org: Organisation,
    released_evaluation: Evaluation,
    disputed_evaluation: Evaluation,
    plan_item: TrainingPlanItem,
    coaching_session: CoachingSession,  # the session already there
) -> None:
    coach = _user(org, "supervisor_a")
    agent = _user(org, "agent_a1")
    held_on = centre_today() - timedelta(days=2)
    session = record_session(
        coach,
        agent,
        held_on,
        "  Talked through the greeting.  \n",
        "  Listen to two calls a week.  ",
        [released_evaluation.id, disputed_evaluation.id],
        [plan_item.id],
    )
    db.session.commit()
    db.session.expire_all()

    saved = db.session.get(CoachingSession, session.id)
    assert (saved.agent_id, saved.coach_id, saved.held_on) == (agent.id, coach.id, held_on)
    assert saved.notes == "Talked through the greeting."
    assert saved.agreed_actions == "Listen to two calls a week."
    assert [e.id for e in saved.evaluations] == sorted(
        [released_evaluation.id, disputed_evaluation.id]
    )
    assert [item.id for item in saved.items] == [plan_item.id]
    assert saved.acknowledged_at is None and saved.acknowledgement_comment is None
    assert _session_count() == 2

    event = _events("coaching_session.recorded")[-1]
    assert (event.entity_type, event.entity_id, event.actor_id) == (
        "coaching_session",
        session.id,
        coach.id,
    )
    assert event.after == {
        "agent_id": agent.id,
        "held_on": held_on.isoformat(),
        "evaluation_ids": sorted([released_evaluation.id, disputed_evaluation.id]),
        "item_ids": [plan_item.id],
    }


def test_blank_agreed_actions_are_none_and_today_is_allowed(
    app_context: None, org: Organisation, records: dict[str, int]
) -> None:
    session = record_session(
        _user(org, "supervisor_a"), _user(org, "agent_a2"), centre_today(), "Notes.", "   "
    )
    db.session.commit()
    assert session.agreed_actions is None
    assert session.held_on == centre_today()
    assert (session.evaluations, session.items) == ([], [])


def test_manager_may_coach_any_agent(
    app_context: None, org: Organisation, records: dict[str, int]
) -> None:
    session = record_session(
        _user(org, "manager"), _user(org, "agent_b1"), centre_today(), "Team B visit.", None
    )
    db.session.commit()
    assert (session.agent_id, session.coach_id) == (org.agent_b1.id, org.manager.id)


REFUSALS = {
    "agent of another team": ("supervisor_a", "agent_b1", 0, [], [], "cannot coach"),
    "supervisor without a team": ("supervisor_none", "agent_a1", 0, [], [], "cannot coach"),
    "oneself (supervisor)": ("supervisor_a", "supervisor_a", 0, [], [], "cannot coach"),
    "oneself (manager)": ("manager", "manager", 0, [], [], "cannot coach"),
    "an agent as coach": ("agent_a2", "agent_a1", 0, [], [], "cannot coach"),
    "an administrator": ("admin", "agent_a1", 0, [], [], "cannot coach"),
    "a future date": ("supervisor_a", "agent_a1", 1, [], [], "after it took place"),
    "another agent's evaluation": ("supervisor_a", "agent_a2", 0, ["released_id"], [], "Link"),
    "another agent's plan item": ("supervisor_a", "agent_a2", 0, [], ["item_id"], "Link"),
    "a draft evaluation": ("supervisor_a", "agent_a1", 0, ["draft_id"], [], "Link"),
    "a submitted evaluation": ("supervisor_a", "agent_a1", 0, ["submitted_id"], [], "Link"),
    "a missing evaluation": ("supervisor_a", "agent_a1", 0, [None], [], "Link"),
}


@pytest.mark.parametrize(
    ("coach", "agent", "days_ahead", "evaluations", "items", "message"),
    list(REFUSALS.values()),
    ids=list(REFUSALS),
)
def test_session_is_refused(
    app_context: None,
    org: Organisation,
    records: dict[str, int],
    coach: str,
    agent: str,
    days_ahead: int,
    evaluations: list[str | None],
    items: list[str],
    message: str,
) -> None:
    before = len(db.session.scalars(sa.select(AuditEvent.id)).all())
    with pytest.raises(SessionRuleError) as caught:
        record_session(
            _user(org, coach),
            _user(org, agent),
            centre_today() + timedelta(days=days_ahead),
            "Notes.",
            None,
            [records[name] if name else 999_999 for name in evaluations],
            [records[name] for name in items],
        )
    assert message in str(caught.value)
    db.session.rollback()
    assert _session_count() == 1
    assert len(db.session.scalars(sa.select(AuditEvent.id)).all()) == before


def test_unreleased_evaluation_refusal_says_why(
    app_context: None,
    org: Organisation,
    draft_evaluation: Evaluation,
    released_evaluation: Evaluation,
) -> None:
    with pytest.raises(SessionRuleError) as caught:
        record_session(
            _user(org, "supervisor_a"),
            _user(org, "agent_a1"),
            centre_today(),
            "Notes.",
            None,
            [released_evaluation.id, draft_evaluation.id],
        )
    assert str(caught.value) == NOT_LINKABLE


def test_same_evaluation_twice_is_linked_once(
    app_context: None,
    org: Organisation,
    released_evaluation: Evaluation,
    plan_item: TrainingPlanItem,
) -> None:
    """A request may repeat an id (evaluation_ids=5&evaluation_ids=5): one link, not a crash."""
    session = record_session(
        _user(org, "supervisor_a"),
        _user(org, "agent_a1"),
        centre_today(),
        "Notes.",
        None,
        [released_evaluation.id, released_evaluation.id],
        [plan_item.id, plan_item.id],
    )
    db.session.commit()
    db.session.expire_all()
    saved = db.session.get(CoachingSession, session.id)
    assert [e.id for e in saved.evaluations] == [released_evaluation.id]
    assert [item.id for item in saved.items] == [plan_item.id]


def test_agent_acknowledges_once(
    app_context: None, org: Organisation, coaching_session: CoachingSession
) -> None:
    agent = _user(org, "agent_a1")
    session = db.session.get(CoachingSession, coaching_session.id)
    acknowledge_session(session, agent, "  Thanks, useful.  ")
    db.session.commit()
    assert session.acknowledged_at is not None
    assert session.acknowledgement_comment == "Thanks, useful."
    [event] = _events("coaching_session.acknowledged")
    assert (event.entity_type, event.entity_id, event.actor_id, event.after) == (
        "coaching_session",
        session.id,
        agent.id,
        {"comment": "Thanks, useful."},
    )

    first = session.acknowledged_at
    with pytest.raises(SessionRuleError, match="already acknowledged"):
        acknowledge_session(session, agent, "Again.")
    db.session.rollback()
    session = db.session.get(CoachingSession, coaching_session.id)
    assert session.acknowledged_at == first
    assert session.acknowledgement_comment == "Thanks, useful."
    assert len(_events("coaching_session.acknowledged")) == 1


def test_blank_acknowledgement_comment_is_none(
    app_context: None, org: Organisation, coaching_session: CoachingSession
) -> None:
    session = db.session.get(CoachingSession, coaching_session.id)
    acknowledge_session(session, _user(org, "agent_a1"), "   ")
    assert session.acknowledgement_comment is None
    assert session.acknowledged_at is not None


@pytest.mark.parametrize("who", ["supervisor_a", "manager", "agent_a2"])
def test_only_the_agent_acknowledges(
    app_context: None, org: Organisation, coaching_session: CoachingSession, who: str
) -> None:
    session = db.session.get(CoachingSession, coaching_session.id)
    with pytest.raises(SessionRuleError, match="Only the agent can acknowledge"):
        acknowledge_session(session, _user(org, who), "Fine.")
    db.session.rollback()
    session = db.session.get(CoachingSession, coaching_session.id)
    assert session.acknowledged_at is None
    assert _events("coaching_session.acknowledged") == []


# --- views ----------------------------------------------------------------------------------


def _page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _link(session_id: int) -> str:
    return f'href="/coaching/{session_id}"'


def _checkbox_values(page: str, name: str) -> list[int]:
    tags = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
    return [int(re.search(r'value="(\d+)"', tag).group(1)) for tag in tags]  # type: ignore[union-attr]


def _sessions(app: Flask) -> list[tuple[int, int, int, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                CoachingSession.id,
                CoachingSession.agent_id,
                CoachingSession.coach_id,
                CoachingSession.notes,
            ).order_by(CoachingSession.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _acknowledged(app: Flask, session_id: int) -> tuple[Any, str | None]:
    with app.app_context():
        session = db.session.get(CoachingSession, session_id)
        return session.acknowledged_at, session.acknowledgement_comment


@pytest.mark.parametrize(
    ("who", "listed"),
    [
        ("supervisor_a", True),
        ("manager", True),
        ("agent_a1", True),
        ("supervisor_b", False),
        ("supervisor_none", False),
        ("agent_a2", False),
    ],
)
def test_list_shows_sessions_in_scope(
    org: Organisation, coaching_session: CoachingSession, sign_in_as: SignIn, who: str, listed: bool
) -> None:
    response = sign_in_as(org.member(who)).get("/coaching/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (_link(coaching_session.id) in page) is listed
    assert ("No coaching session recorded yet." in page) is not listed


def test_list_offers_only_agents_in_scope(
    org: Organisation, records: dict[str, int], sign_in_as: SignIn
) -> None:
    page = sign_in_as(org.supervisor_b).get("/coaching/").get_data(as_text=True)
    offered = {int(n) for n in re.findall(r'href="/coaching/agents/(\d+)/new"', page)}
    assert offered == {org.agent_b1.id, org.agent_b2.id}
    agent_page = sign_in_as(org.agent_a1).get("/coaching/").get_data(as_text=True)
    assert "/coaching/agents/" not in agent_page
    assert "to acknowledge" in agent_page


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("agent_a1", 200),
        ("supervisor_a", 200),
        ("manager", 200),
        ("agent_a2", 404),
        ("supervisor_b", 404),
        ("supervisor_none", 404),
        ("agent_b1", 404),
        ("admin", 403),
    ],
)
def test_session_page_access(
    org: Organisation, coaching_session: CoachingSession, sign_in_as: SignIn, who: str, status: int
) -> None:
    response = sign_in_as(org.member(who)).get(f"/coaching/{coaching_session.id}")
    assert response.status_code == status
    assert (FIXTURE_NOTES in response.get_data(as_text=True)) is (status == 200)


def test_missing_session_is_404(
    org: Organisation, records: dict[str, int], sign_in_as: SignIn
) -> None:
    assert sign_in_as(org.manager).get("/coaching/999999").status_code == 404


def test_anonymous_is_sent_to_sign_in(
    client: FlaskClient, coaching_session: CoachingSession
) -> None:
    response = client.get(f"/coaching/{coaching_session.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_agent_acknowledges_through_the_page(
    app: Flask, org: Organisation, coaching_session: CoachingSession, sign_in_as: SignIn
) -> None:
    path = f"/coaching/{coaching_session.id}"
    agent = sign_in_as(org.agent_a1)
    before = _page(agent.get(path))
    assert f'action="{path}/acknowledge"' in before
    assert "acknowledged " not in before

    response = post_form(agent, f"{path}/acknowledge", {"comment": "Thanks, that helped."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(path)
    at, comment = _acknowledged(app, coaching_session.id)
    assert at is not None and comment == "Thanks, that helped."

    after = _page(agent.get(path))
    assert "Thank you: the session is acknowledged." in after
    assert 'class="badge text-bg-success">acknowledged ' in after
    assert "Agent's comment: Thanks, that helped." in re.sub(r"<[^>]+>", "", after)
    assert f'action="{path}/acknowledge"' not in after
    coach_view = _page(sign_in_as(org.supervisor_a).get(path))
    assert "Thanks, that helped." in coach_view
    listed = _page(sign_in_as(org.supervisor_a).get("/coaching/"))
    assert "not acknowledged yet" not in listed

    again = post_form(agent, f"{path}/acknowledge", {"comment": "Twice."}, follow_redirects=True)
    assert "This session is already acknowledged." in _page(again)
    assert _acknowledged(app, coaching_session.id) == (at, "Thanks, that helped.")


@pytest.mark.parametrize(("who", "status"), [("agent_a2", 404), ("supervisor_a", 403)])
def test_only_the_agent_can_acknowledge_through_the_page(
    app: Flask,
    org: Organisation,
    coaching_session: CoachingSession,
    sign_in_as: SignIn,
    who: str,
    status: int,
) -> None:
    path = f"/coaching/{coaching_session.id}/acknowledge"
    response = post_form(sign_in_as(org.member(who)), path, {"comment": "Not mine."})
    assert response.status_code == status
    assert _acknowledged(app, coaching_session.id) == (None, None)


def test_form_offers_only_released_evaluations_and_working_items(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: SignIn
) -> None:
    response = sign_in_as(org.supervisor_a).get(f"/coaching/agents/{org.agent_a1.id}/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert sorted(_checkbox_values(page, "evaluation_ids")) == sorted(
        [records["released_id"], records["disputed_id"]]
    )
    assert _checkbox_values(page, "item_ids") == [records["item_id"]]
    assert "Empathy statements" in page
    assert _held_on(page) == format_date(_today(app), "M/d/y", locale="en")  # as US English


def _held_on(page: str) -> str:
    match = re.search(r'<input[^>]*name="held_on"[^>]*value="([^"]+)"', page) or re.search(
        r'<input[^>]*value="([^"]+)"[^>]*name="held_on"', page
    )
    assert match, "no held_on field"
    return match.group(1)


def test_coach_records_a_session_through_the_page(
    app: Flask,
    org: Organisation,
    released_evaluation: Evaluation,
    issued_plan: TrainingPlan,
    plan_item: TrainingPlanItem,
    sign_in_as: SignIn,
    coaching_session: CoachingSession,  # the session already there
) -> None:
    coach = sign_in_as(org.supervisor_a)
    held_on = _today(app) - timedelta(days=1)
    response = post_form(
        coach,
        f"/coaching/agents/{org.agent_a1.id}/new",
        {
            "held_on": held_on.isoformat(),
            "notes": "We went through the greeting.",
            "agreed_actions": "Use the agreed opening.",
            "evaluation_ids": [released_evaluation.id],
            "item_ids": [plan_item.id],
        },
    )
    assert response.status_code == 302
    rows = _sessions(app)
    assert len(rows) == 2
    new_id, agent_id, coach_id, notes = rows[-1]
    assert response.headers["Location"].endswith(f"/coaching/{new_id}")
    assert (agent_id, coach_id, notes) == (
        org.agent_a1.id,
        org.supervisor_a.id,
        "We went through the greeting.",
    )
    with app.app_context():
        saved = db.session.get(CoachingSession, new_id)
        assert saved.held_on == held_on
        assert saved.agreed_actions == "Use the agreed opening."
        assert [e.id for e in saved.evaluations] == [released_evaluation.id]
        assert [item.id for item in saved.items] == [plan_item.id]
        [event] = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "coaching_session.recorded", AuditEvent.entity_id == new_id
            )
        ).all()
        assert event.actor_id == org.supervisor_a.id

    page = _page(coach.get(f"/coaching/{new_id}"))
    assert f"Session recorded: {org.agent_a1.display_name} can read it now." in page
    assert "We went through the greeting." in page and "Use the agreed opening." in page
    assert f'href="/evaluations/{released_evaluation.id}"' in page
    assert f'href="/training/plans/{issued_plan.id}"' in page
    agent_list = sign_in_as(org.agent_a1).get("/coaching/").get_data(as_text=True)
    assert _link(new_id) in agent_list


def test_missing_notes_rerender_and_write_nothing(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: SignIn
) -> None:
    response = post_form(
        sign_in_as(org.supervisor_a),
        f"/coaching/agents/{org.agent_a1.id}/new",
        {"held_on": _today(app).isoformat(), "notes": "   ", "agreed_actions": "Something."},
    )
    assert response.status_code == 200
    page = _page(response)
    assert "This field is required." in page
    assert "Something." in page
    assert len(_sessions(app)) == 1


@pytest.mark.parametrize(
    ("days_ahead", "evaluation", "message"),
    [
        (1, "released_id", "A session is recorded after it took place, not before."),
        (0, "draft_id", "is not a valid choice for this field."),
        (0, "submitted_id", "is not a valid choice for this field."),
    ],
)
def test_refused_session_through_the_page_writes_nothing(
    app: Flask,
    org: Organisation,
    records: dict[str, int],
    sign_in_as: SignIn,
    days_ahead: int,
    evaluation: str,
    message: str,
) -> None:
    response = post_form(
        sign_in_as(org.supervisor_a),
        f"/coaching/agents/{org.agent_a1.id}/new",
        {
            "held_on": (_today(app) + timedelta(days=days_ahead)).isoformat(),
            "notes": "Notes.",
            "evaluation_ids": [records[evaluation]],
        },
    )
    assert response.status_code == 200
    page = _page(response)
    assert message in page
    if days_ahead == 0:
        assert f"'{records[evaluation]}' {message}" in page
    assert len(_sessions(app)) == 1


def test_repeated_evaluation_id_through_the_page_does_not_crash(
    app: Flask, org: Organisation, released_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    """A crafted form (evaluation_ids=3&evaluation_ids=3) passes the choice check."""
    app.config["RENDER_SERVER_ERRORS"] = True
    response = post_form(
        sign_in_as(org.supervisor_a),
        f"/coaching/agents/{org.agent_a1.id}/new",
        {
            "held_on": _today(app).isoformat(),
            "notes": "Notes.",
            "evaluation_ids": [released_evaluation.id, released_evaluation.id],
        },
    )
    assert response.status_code == 302
    new_id = _sessions(app)[-1][0]
    with app.app_context():
        saved = db.session.get(CoachingSession, new_id)
        assert [e.id for e in saved.evaluations] == [released_evaluation.id]


@pytest.mark.parametrize("method", ["get", "post"])
def test_supervisor_of_another_team_cannot_record(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: SignIn, method: str
) -> None:
    client = sign_in_as(org.supervisor_b)
    path = f"/coaching/agents/{org.agent_a1.id}/new"
    if method == "get":
        response = client.get(path)
    else:
        data = {"held_on": _today(app).isoformat(), "notes": "Not my team."}
        response = post_form(client, path, data)
    assert response.status_code == 404
    assert len(_sessions(app)) == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_agent_cannot_record(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: SignIn, method: str
) -> None:
    client = sign_in_as(org.agent_a1)
    path = f"/coaching/agents/{org.agent_a2.id}/new"
    if method == "get":
        response = client.get(path)
    else:
        data = {"held_on": _today(app).isoformat(), "notes": "Peer coaching."}
        response = post_form(client, path, data)
    assert response.status_code == 403
    assert len(_sessions(app)) == 1


@pytest.mark.parametrize("target", ["supervisor_a", "manager"])
def test_only_agents_can_be_coached_through_the_page(
    org: Organisation, records: dict[str, int], sign_in_as: SignIn, target: str
) -> None:
    response = sign_in_as(org.manager).get(f"/coaching/agents/{org.member(target).id}/new")
    assert response.status_code == 404


def test_text_is_escaped(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: SignIn
) -> None:
    script = "<script>alert(1)</script>"
    coach = sign_in_as(org.supervisor_a)
    response = post_form(
        coach,
        f"/coaching/agents/{org.agent_a1.id}/new",
        {
            "held_on": _today(app).isoformat(),
            "notes": f"Notes {script}",
            "agreed_actions": f"Actions {script}",
        },
    )
    assert response.status_code == 302
    new_id = _sessions(app)[-1][0]
    assert _sessions(app)[-1][3] == f"Notes {script}"
    agent = sign_in_as(org.agent_a1)
    post_form(agent, f"/coaching/{new_id}/acknowledge", {"comment": f"Comment {script}"})
    for client in (coach, agent):
        page = client.get(f"/coaching/{new_id}").get_data(as_text=True)
        assert script not in page
        assert "Notes &lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "Actions &lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "Comment &lt;script&gt;alert(1)&lt;/script&gt;" in page
