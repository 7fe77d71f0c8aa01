"""The session pages over HTTP: who opens what, the blind rule on the pages, a new session
with bad input, scoring (drafts, submit, final), closing and promoting, and the
notifications they send."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.calibration.models import (
    CalibrationItem,
    CalibrationScore,
    CalibrationSession,
)
from qa_app.evaluations.models import Evaluation
from qa_app.extensions import db
from qa_app.notifications.models import Notification
from tests.calibration.test_sessions import CLOSE, EXPERT, FAR
from tests.conftest import Organisation, post_form

SECRET = "B-only-remark-about-the-greeting"


def _items(app: Flask, session_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(CalibrationItem.id)
                .where(CalibrationItem.session_id == session_id)
                .order_by(CalibrationItem.id)
            )
        )


def _score(
    client: FlaskClient,
    session_id: int,
    item_id: int,
    answers: dict[str, str],
    *,
    submit: bool = False,
    final: bool = True,
    comments: dict[str, str] | None = None,
) -> Any:
    path = f"/calibration/{session_id}/items/{item_id}"
    data: dict[str, Any] = {f"answer-{key}": value for key, value in answers.items()}
    data.update({f"comment-{key}": text for key, text in (comments or {}).items()})
    if submit:
        data["submit"] = "Submit"
        if final:
            data["final"] = "y"
    else:
        data["save"] = "Save draft"
    return post_form(client, path, data)


def _notifications(app: Flask, kind: str) -> list[tuple[int, dict[str, Any]]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Notification.recipient_id, Notification.params)
            .where(Notification.kind == kind)
            .order_by(Notification.recipient_id)
        )
        return [(recipient, params) for recipient, params in rows]


# --- who opens what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "index", "page"),
    [
        ("manager", 200, 200),
        ("supervisor_a", 200, 200),  # taking part
        ("supervisor_b", 200, 200),  # taking part
        ("supervisor_none", 200, 404),  # neither taking part nor organising
        ("agent_a1", 403, 404),  # the agent whose calls are calibrated
        ("admin", 403, 404),
    ],
)
def test_pages_for_each_role(
    who: str,
    index: int,
    page: int,
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
    app: Flask,
) -> None:
    session_id = make_calibration()
    item_id = _items(app, session_id)[0]
    client = sign_in_as(org.member(who))
    assert client.get("/calibration/").status_code == index
    assert client.get(f"/calibration/{session_id}").status_code == page
    scoring = client.get(f"/calibration/{session_id}/items/{item_id}").status_code
    assert scoring == (200 if who in ("supervisor_a", "supervisor_b") else 404)


def test_the_list_shows_my_progress_and_the_organisers_view(
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    make_calibration(
        title="Blind December",
        scores={org.supervisor_b.id: FAR},
    )
    mine = sign_in_as(org.supervisor_a).get("/calibration/").get_data(as_text=True)
    assert "Blind December" in mine
    assert "0 of 2 interactions submitted" in mine
    organiser = sign_in_as(org.manager).get("/calibration/").get_data(as_text=True)
    # Everyone's progress, as counts only.
    assert "2 of 2 interactions submitted" in organiser
    assert "0 of 2 interactions submitted" in organiser


# --- the blind rule on the pages -----------------------------------------------------------


def test_a_participant_never_sees_anothers_answers_before_submitting_everything(
    app: Flask,
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    session_id = make_calibration()
    first, second = _items(app, session_id)
    b = sign_in_as(org.supervisor_b)
    for item_id in (first, second):
        answered = _score(
            b,
            session_id,
            item_id,
            {"greeting": "no", "empathy": "5"},
            submit=True,
            comments={"greeting": SECRET},
        )
        assert answered.status_code == 302
    a = sign_in_as(org.supervisor_a)
    _score(a, session_id, first, {"greeting": "yes", "empathy": "3"}, submit=True)
    # A submitted one of two: still blind, on the session page and on the scoring page.
    assert SECRET not in a.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert SECRET not in a.get(f"/calibration/{session_id}/items/{second}").get_data(as_text=True)
    # The organiser follows progress but never reads answers while the session is open.
    manager = sign_in_as(org.manager)
    organiser_page = manager.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert "2 of 2 interactions submitted" in organiser_page
    assert SECRET not in organiser_page
    assert SECRET not in manager.get("/calibration/").get_data(as_text=True)
    # Once A has submitted everything, A reads B's answers side by side.
    _score(a, session_id, second, {"greeting": "yes", "empathy": "4"}, submit=True)
    assert SECRET in a.get(f"/calibration/{session_id}").get_data(as_text=True)
    # Closed: everyone who may open the session reads them.
    closed = post_form(manager, f"/calibration/{session_id}/close", {"confirm": "y"})
    assert closed.status_code == 302
    assert SECRET in manager.get(f"/calibration/{session_id}").get_data(as_text=True)


# --- a new session -------------------------------------------------------------------------


@pytest.fixture
def calls(app: Flask, org: Organisation, scorecard_id: int) -> dict[str, int]:
    """Two calls of agent A1 (team A) and one of agent B1 (team B)."""
    from qa_app.interactions.services import create_interaction
    from tests.conftest import RECORD_CALL_AT

    with app.app_context():
        manager = db.session.get_one(User, org.manager.id)
        made = {}
        for name, agent in (("a1", org.agent_a1), ("a1b", org.agent_a1), ("b1", org.agent_b1)):
            call = create_interaction(
                db.session.get_one(User, agent.id),
                channel="phone",
                occurred_at=RECORD_CALL_AT,
                actor=manager,
                external_ref=f"CAL-{name}",
            )
            made[name] = call.id
        db.session.commit()
        return made


def _new_session(org: Organisation, scorecard_id: int, calls: dict[str, int]) -> dict[str, Any]:
    return {
        "title": "December calibration",
        "scorecard_id": str(scorecard_id),
        "interaction_ids": [str(calls["a1"]), str(calls["a1b"])],
        "participant_ids": [str(org.supervisor_a.id), str(org.supervisor_b.id)],
        "expert_id": str(org.manager.id),
        "due_on": (datetime.now().date() + timedelta(days=3)).isoformat(),
        "tolerance_points": "5",
        "submit": "Create session",
    }


def _sessions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(CalibrationSession))


def test_a_manager_opens_a_session_and_the_participants_are_invited(
    app: Flask,
    org: Organisation,
    scorecard_id: int,
    calls: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    manager = sign_in_as(org.manager)
    form = manager.get("/calibration/new").get_data(as_text=True)
    assert 'name="tolerance_points" type="text" value="5"' in form or 'value="5"' in form
    assert "CAL-b1" in form  # a manager may pick any team's calls
    response = post_form(manager, "/calibration/new", _new_session(org, scorecard_id, calls))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        session = db.session.scalars(sa.select(CalibrationSession)).one()
        assert session.title == "December calibration"
        assert session.expert_id == org.manager.id
        assert sorted(item.interaction_id for item in session.items) == sorted(
            [calls["a1"], calls["a1b"]]
        )
        people = {p.user_id for p in session.participants}
        assert people == {org.manager.id, org.supervisor_a.id, org.supervisor_b.id}
        session_id = session.id
    assert response.headers["Location"].endswith(f"/calibration/{session_id}")
    invited = _notifications(app, "calibration_invited")
    # Everyone taking part but the organiser, who knows.
    assert [recipient for recipient, _ in invited] == sorted(
        [org.supervisor_a.id, org.supervisor_b.id]
    )
    assert invited[0][1]["title"] == "December calibration"
    assert invited[0][1]["count"] == 2
    page = sign_in_as(org.supervisor_a).get("/notifications/").get_data(as_text=True)
    assert "December calibration" in page


BAD_INPUT = [
    ("title", "", "This field is required."),
    ("title", "x" * 121, "Field cannot be longer than 120 characters."),
    ("interaction_ids", [], "Tick at least one interaction"),
    ("participant_ids", [], "Invite at least two evaluators"),
    ("due_on", "2020-01-01", "The due date has passed"),
    ("due_on", "someday", "Enter a date like"),
    ("tolerance_points", "101", "Give the tolerance in points, from 0 to 100."),
    ("tolerance_points", "", "Give the tolerance in points, from 0 to 100."),
    ("scorecard_id", "999999", "Not a valid choice"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_INPUT)
def test_a_new_session_with_bad_input_is_refused_field_by_field(
    name: str,
    value: Any,
    message: str,
    app: Flask,
    org: Organisation,
    scorecard_id: int,
    calls: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    data = _new_session(org, scorecard_id, calls)
    data[name] = value
    if name == "participant_ids":
        data["expert_id"] = "0"  # no expert: nobody takes part at all
    response = post_form(sign_in_as(org.manager), "/calibration/new", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _sessions(app) == 0
    assert _notifications(app, "calibration_invited") == []


def test_more_than_twenty_interactions_are_refused(
    app: Flask,
    org: Organisation,
    scorecard_id: int,
    calls: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    from qa_app.interactions.services import create_interaction
    from tests.conftest import RECORD_CALL_AT

    with app.app_context():
        agent = db.session.get_one(User, org.agent_a1.id)
        ids = [
            create_interaction(
                agent,
                channel="phone",
                occurred_at=RECORD_CALL_AT,
                actor=agent,
                external_ref=f"MANY-{n}",
            ).id
            for n in range(21)
        ]
        db.session.commit()
    data = _new_session(org, scorecard_id, calls)
    data["interaction_ids"] = [str(i) for i in ids]
    response = post_form(sign_in_as(org.manager), "/calibration/new", data)
    assert response.status_code == 400
    assert "A session holds at most 20 interactions; you ticked 21." in response.get_data(
        as_text=True
    )
    assert _sessions(app) == 0


def test_a_qa_lead_picks_only_interactions_they_may_see(
    app: Flask,
    org: Organisation,
    scorecard_id: int,
    calls: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    with app.app_context():
        db.session.get_one(User, org.supervisor_a.id).qa_lead = True
        db.session.commit()
    lead = sign_in_as(org.supervisor_a)
    form = lead.get("/calibration/new").get_data(as_text=True)
    assert "CAL-a1" in form
    assert "CAL-b1" not in form  # team B's call: not theirs to see
    data = _new_session(org, scorecard_id, calls)
    data["interaction_ids"] = [str(calls["a1"]), str(calls["b1"])]
    response = post_form(lead, "/calibration/new", data)
    assert response.status_code == 400
    assert "is not a valid choice" in response.get_data(as_text=True)
    assert _sessions(app) == 0
    data["interaction_ids"] = [str(calls["a1"])]
    assert post_form(lead, "/calibration/new", data).status_code == 302
    assert _sessions(app) == 1


def test_a_supervisor_who_is_no_qa_lead_cannot_open_a_session(
    org: Organisation,
    scorecard_id: int,
    calls: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
    app: Flask,
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    assert supervisor.get("/calibration/new").status_code == 403
    data = _new_session(org, scorecard_id, calls)
    assert post_form(supervisor, "/calibration/new", data).status_code == 403
    assert "/calibration/new" not in supervisor.get("/calibration/").get_data(as_text=True)
    assert _sessions(app) == 0


def test_the_filter_narrows_the_interactions_listed(
    org: Organisation,
    scorecard_id: int,
    calls: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    data = {"team_id": str(org.team_b.id), "show": "Show interactions", "title": ""}
    response = post_form(sign_in_as(org.manager), "/calibration/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "CAL-b1" in page
    assert "CAL-a1" not in page


# --- scoring ------------------------------------------------------------------------------


def _stored(app: Flask, session_id: int, user: User) -> list[tuple[int, bool, float | None]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                CalibrationScore.item_id,
                CalibrationScore.submitted_at.is_not(None),
                CalibrationScore.score,
            )
            .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
            .where(CalibrationItem.session_id == session_id, CalibrationScore.user_id == user.id)
            .order_by(CalibrationScore.item_id)
        )
        return [tuple(row) for row in rows]


def test_drafts_submit_and_a_submitted_scoring_is_final(
    app: Flask,
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    session_id = make_calibration()
    first, _second = _items(app, session_id)
    a = sign_in_as(org.supervisor_a)
    path = f"/calibration/{session_id}/items/{first}"
    # A draft may be partial (its score is that of the answers so far).
    assert _score(a, session_id, first, {"greeting": "yes"}).status_code == 302
    draft = [(first, False, pytest.approx(100.0))]
    assert _stored(app, session_id, org.supervisor_a) == draft
    assert re.search(
        r'id="answer-greeting-yes" value="yes"\s+checked', a.get(path).get_data(as_text=True)
    )
    # Submitting needs every answer …
    missing = _score(a, session_id, first, {"greeting": "yes"}, submit=True)
    assert missing.status_code == 400
    assert "Answer this criterion before submitting." in missing.get_data(as_text=True)
    # … and the box that says it is final.
    unconfirmed = _score(
        a, session_id, first, {"greeting": "yes", "empathy": "4"}, submit=True, final=False
    )
    assert unconfirmed.status_code == 400
    assert "a submitted scoring cannot be changed" in unconfirmed.get_data(as_text=True)
    # An answer out of range is refused with the range.
    wrong = _score(a, session_id, first, {"greeting": "yes", "empathy": "9"}, submit=True)
    assert wrong.status_code == 400
    assert "Enter a number from 1 to 5." in wrong.get_data(as_text=True)
    assert _stored(app, session_id, org.supervisor_a) == draft
    done = _score(a, session_id, first, {"greeting": "yes", "empathy": "4"}, submit=True)
    assert done.status_code == 302
    # 1·1 + 2·0.75 of 3 → 83.3
    assert _stored(app, session_id, org.supervisor_a) == [
        (first, True, pytest.approx(100 * 2.5 / 3))
    ]
    # Final: the form is gone, and a post changes nothing.
    assert a.get(path).status_code == 302
    again = _score(a, session_id, first, {"greeting": "no", "empathy": "1"}, submit=True)
    assert again.status_code == 302
    assert _stored(app, session_id, org.supervisor_a) == [
        (first, True, pytest.approx(100 * 2.5 / 3))
    ]


def test_the_live_score_answers_for_a_participant_only(
    app: Flask,
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    session_id = make_calibration()
    first = _items(app, session_id)[0]
    path = f"/calibration/{session_id}/items/{first}/score"
    data = {"answer-greeting": "yes", "answer-empathy": "5"}
    live = post_form(sign_in_as(org.supervisor_a), path, data)
    assert live.status_code == 200
    assert live.json["score"] == pytest.approx(100.0)
    assert post_form(sign_in_as(org.manager), path, data).status_code == 404


# --- closing and promoting -----------------------------------------------------------------


def test_closing_needs_the_organiser_or_a_manager_the_box_and_csrf(
    app: Flask,
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    session_id = make_calibration()
    path = f"/calibration/{session_id}/close"
    participant = sign_in_as(org.supervisor_a)
    assert post_form(participant, path, {"confirm": "y"}).status_code == 403
    manager = sign_in_as(org.manager)
    assert manager.post(path, data={"confirm": "y"}).status_code == 400  # no CSRF token
    unconfirmed = post_form(manager, path, {}, follow_redirects=True)
    assert "Tick the box to confirm closing the session." in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get_one(CalibrationSession, session_id).is_open
    assert _notifications(app, "calibration_closed") == []
    assert post_form(manager, path, {"confirm": "y"}).status_code == 302
    with app.app_context():
        assert not db.session.get_one(CalibrationSession, session_id).is_open
    told = [recipient for recipient, _ in _notifications(app, "calibration_closed")]
    assert told == sorted([org.supervisor_a.id, org.supervisor_b.id])
    # Closed: no more scoring.
    first = _items(app, session_id)[0]
    late = _score(participant, session_id, first, {"greeting": "yes", "empathy": "4"})
    assert late.status_code == 302
    assert _stored(app, session_id, org.supervisor_a) == []


def test_a_manager_promotes_the_experts_scoring_to_an_evaluation(
    app: Flask,
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    scores = {org.manager.id: EXPERT, org.supervisor_a.id: CLOSE, org.supervisor_b.id: FAR}
    open_id = make_calibration(expert=org.manager, scores=scores, title="Still open")
    open_item = _items(app, open_id)[0]
    manager = sign_in_as(org.manager)
    refused = post_form(
        manager, f"/calibration/{open_id}/items/{open_item}/promote", follow_redirects=True
    )
    assert "Close the session before promoting its benchmark." in refused.get_data(as_text=True)
    session_id = make_calibration(expert=org.manager, scores=scores, close=True)
    first = _items(app, session_id)[0]
    path = f"/calibration/{session_id}/items/{first}/promote"
    page = manager.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert "Make the benchmark an evaluation of" in page
    assert post_form(sign_in_as(org.supervisor_a), path).status_code == 403
    assert post_form(sign_in_as(org.agent_a1), path).status_code == 404
    assert manager.post(path).status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == 0
    assert post_form(manager, path).status_code == 302
    with app.app_context():
        evaluation = db.session.scalars(sa.select(Evaluation)).one()
        assert evaluation.agent_id == org.agent_a1.id
        assert evaluation.evaluator_id == org.manager.id
        evaluation_id = evaluation.id
    page = manager.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert f"/evaluations/{evaluation_id}" in page
    twice = post_form(manager, path, follow_redirects=True)
    assert "This benchmark is already an evaluation." in twice.get_data(as_text=True)


def test_a_consensus_session_offers_no_promotion(
    app: Flask,
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    session_id = make_calibration(
        scores={org.supervisor_a.id: CLOSE, org.supervisor_b.id: FAR}, close=True
    )
    page = sign_in_as(org.manager).get(f"/calibration/{session_id}").get_data(as_text=True)
    assert "Make the benchmark an evaluation of" not in page


# --- reminders ---------------------------------------------------------------------------


def test_participants_are_reminded_of_sessions_due_by_tomorrow(
    app: Flask,
    org: Organisation,
    make_calibration: Callable[..., int],
    runner: Any,
) -> None:
    session_id = make_calibration(scores={org.supervisor_b.id: FAR})
    with app.app_context():
        session = db.session.get_one(CalibrationSession, session_id)
        session.due_on = datetime(2026, 12, 20).date()
        db.session.commit()
    early = runner.invoke(args=["notifications", "remind", "--date", "2026-12-18"])
    assert early.exit_code == 0, early.output
    assert _notifications(app, "calibration_due") == []
    day_before = runner.invoke(args=["notifications", "remind", "--date", "2026-12-19"])
    assert "Calibration: 1 about sessions due by tomorrow." in day_before.output
    # B submitted everything: only A is reminded.
    assert _notifications(app, "calibration_due") == [(org.supervisor_a.id, {"count": 1})]
    again = runner.invoke(args=["notifications", "remind", "--date", "2026-12-19"])
    assert "Calibration: 0 about sessions due by tomorrow." in again.output
    overdue = runner.invoke(args=["notifications", "remind", "--date", "2026-12-23"])
    assert "Calibration: 1 about sessions due by tomorrow." in overdue.output
    with app.app_context():
        db.session.get_one(CalibrationSession, session_id).status = "closed"
        db.session.commit()
    closed = runner.invoke(args=["notifications", "remind", "--date", "2026-12-24"])
    assert "Calibration: 0 about sessions due by tomorrow." in closed.output


def test_the_overdue_flag_on_my_list(
    app: Flask,
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    session_id = make_calibration(scores={org.supervisor_b.id: FAR})
    with app.app_context():
        db.session.get_one(CalibrationSession, session_id).due_on = datetime(2020, 1, 1).date()
        db.session.commit()
    assert "overdue" in sign_in_as(org.supervisor_a).get("/calibration/").get_data(as_text=True)
    assert "overdue" not in sign_in_as(org.supervisor_b).get("/calibration/").get_data(as_text=True)


# --- queries ------------------------------------------------------------------------------


def test_the_pages_queries_do_not_grow_with_sessions_or_interactions(
    app: Flask,
    org: Organisation,
    make_calibration: Callable[..., int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    from tests.support.queries import page_queries

    manager = sign_in_as(org.manager)
    small = make_calibration(
        interactions=1, title="Small", scores={org.supervisor_a.id: [CLOSE[0]]}
    )
    one_session = page_queries(app, manager, "/calibration/")
    small_page = page_queries(app, manager, f"/calibration/{small}")
    large = make_calibration(interactions=4, title="Large", scores={org.supervisor_a.id: CLOSE * 2})
    make_calibration(interactions=2, title="Closed", close=True)
    assert page_queries(app, manager, "/calibration/") == one_session
    assert page_queries(app, manager, f"/calibration/{large}") == small_page
    participant = sign_in_as(org.supervisor_a)  # reads everyone's answers: submitted all
    assert page_queries(app, participant, f"/calibration/{large}") == page_queries(
        app, participant, f"/calibration/{small}"
    )


def test_a_filter_or_tick_no_database_could_hold_is_ignored(
    org: Organisation,
    scorecard_id: int,
    calls: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    """A tampered number (beyond PostgreSQL's integer) names nothing: never a 500."""
    huge = str(2**63)
    manager = sign_in_as(org.manager)
    data = {"team_id": huge, "agent_id": huge, "interaction_ids": [huge], "show": "y"}
    shown = post_form(manager, "/calibration/new", data)
    assert shown.status_code == 200
    assert "CAL-a1" in shown.get_data(as_text=True)  # no filter applied
    created = post_form(
        manager, "/calibration/new", {**_new_session(org, scorecard_id, calls), **data}
    )
    assert created.status_code == 400
