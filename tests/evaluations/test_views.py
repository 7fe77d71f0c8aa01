"""Scoring, feedback and disputes through the browser: journeys, conflicts and access."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.evaluations.models import (
    Answer,
    Assignment,
    Dispute,
    DisputeStatus,
    Evaluation,
    EvaluationRevision,
    EvaluationStatus,
)
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.interactions.services import create_interaction
from qa_app.scorecards.models import Scorecard
from tests.conftest import Organisation, post_form

SignIn = Callable[[User], FlaskClient]
WARNING = "Someone else saved this evaluation after you opened it."
MISSING = "Answer this criterion before submitting."


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _lock(page: str) -> str:
    tag = re.search(r'<input[^>]*name="lock_version"[^>]*>', page)
    assert tag, "no lock_version field"
    value = re.search(r'value="(\d*)"', tag.group(0))
    assert value
    return value.group(1)


def _block(page: str, key: str) -> str:
    """The part of the scoring form about one criterion."""
    start = page.index(f'id="criterion-{key}"')
    end = page.find('class="criterion ', start)
    return page[start : end if end != -1 else page.index("</fieldset>", start)]


def _live_score(page: str) -> str:
    start = page.index('id="live-score"')
    return page[start : page.index("</div>", start)]


def _checked(page: str, key: str, value: str) -> bool:
    tag = re.search(rf'<input[^>]*id="answer-{key}-{value}"[^>]*>', page)
    assert tag, f"no option {value} for {key}"
    return "checked" in tag.group(0)


def _answers(app: Flask, evaluation_id: int) -> dict[str, tuple[Any, ...]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Answer).where(Answer.evaluation_id == evaluation_id))
        return {row.criterion_key: (row.value, row.is_na, row.comment) for row in rows}


def _evaluation(app: Flask, evaluation_id: int) -> dict[str, Any]:
    with app.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        if evaluation is None:
            return {}
        return {
            name: getattr(evaluation, name)
            for name in (
                "status",
                "score",
                "lock_version",
                "revision",
                "agent_id",
                "evaluator_id",
                "acknowledgement_comment",
            )
        }


def _id_from(location: str, pattern: str) -> int:
    match = re.search(pattern, location)
    assert match, location
    return int(match.group(1))


@pytest.fixture
def journey_assignment(app: Flask, org: Organisation, make_scorecard: Any) -> dict[str, int]:
    """An interaction of agent A1 in supervisor A's queue, not started yet."""
    slug = make_scorecard()
    with app.app_context():
        scorecard = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == slug))
        interaction = create_interaction(
            db.session.get(User, org.agent_a1.id),
            channel="phone",
            occurred_at=datetime(2026, 11, 4, 14, 30, tzinfo=UTC),
            actor=db.session.get(User, org.supervisor_a.id),
            external_ref="CALL-J",
            duration_seconds=420,
        )
        row = Assignment(
            interaction_id=interaction.id,
            evaluator_id=org.supervisor_a.id,
            scorecard_id=scorecard.id,
        )
        db.session.add(row)
        db.session.commit()
        return {"assignment_id": row.id, "interaction_id": interaction.id}


# --- journeys --------------------------------------------------------------------------------


def test_journey_from_queue_to_acknowledged_feedback(
    app: Flask, org: Organisation, journey_assignment: dict[str, int], sign_in_as: SignIn
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    queue = _text(supervisor.get("/evaluations/queue"))
    start_path = f"/evaluations/start/assignment/{journey_assignment['assignment_id']}"
    assert f'action="{start_path}"' in queue
    assert org.agent_a1.display_name in queue

    started = post_form(supervisor, start_path)
    assert started.status_code == 302
    evaluation_id = _id_from(started.headers["Location"], r"/evaluations/(\d+)/edit$")
    edit_path = f"/evaluations/{evaluation_id}/edit"

    form = _text(supervisor.get(edit_path))
    assert "Greeting" in form and "Names the brand and themselves." in form
    assert "no score yet" in _live_score(form)

    saved = post_form(
        supervisor,
        edit_path,
        {"lock_version": _lock(form), "answer-greeting": "yes", "save": "Save draft"},
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(edit_path)
    form = _text(supervisor.get(edit_path))
    assert "Draft saved." in form
    assert "100.0" in _live_score(form)  # the score of the answers so far
    assert _checked(form, "greeting", "yes")
    assert _evaluation(app, evaluation_id)["status"] == EvaluationStatus.DRAFT

    # Submitting with empathy unanswered: refused beside empathy, the typed input kept.
    refused = post_form(
        supervisor,
        edit_path,
        {
            "lock_version": _lock(form),
            "answer-greeting": "no",
            "comment-greeting": "Forgot the brand name",
            "strengths": "Patient",
            "submit": "Submit",
        },
    )
    assert refused.status_code == 400
    page = _text(refused)
    assert MISSING in _block(page, "empathy")
    assert MISSING not in _block(page, "greeting")
    assert "1 criterion needs an answer or a correction before submitting." in page
    assert _checked(page, "greeting", "no") and not _checked(page, "greeting", "yes")
    assert "Forgot the brand name" in _block(page, "greeting")
    assert "Patient" in page
    assert _answers(app, evaluation_id) == {"greeting": (1.0, False, None)}

    submitted = post_form(
        supervisor,
        edit_path,
        {
            "lock_version": _lock(page),
            "answer-greeting": "yes",
            "answer-empathy": "4",
            "comment-empathy": "Warm tone throughout",
            "strengths": "Patient",
            "opportunities": "Summarise at the end",
            "submit": "Submit",
        },
        follow_redirects=True,
    )
    assert submitted.request.path == "/evaluations/queue"
    queue = _text(submitted)
    assert "Evaluation submitted and released to the agent." in queue
    assert f'action="{start_path}"' not in queue  # done: off the queue
    stored = _evaluation(app, evaluation_id)
    assert stored["status"] == EvaluationStatus.RELEASED
    assert stored["score"] == pytest.approx(100 * 2.5 / 3)

    agent = sign_in_as(org.agent_a1)
    inbox = _text(agent.get("/feedback/"))
    assert f'href="/evaluations/{evaluation_id}"' in inbox
    assert re.search(r'badge text-bg-primary">new<', inbox)
    detail = _text(agent.get(f"/evaluations/{evaluation_id}"))
    for text in (
        "Greeting",
        "Empathy",
        "Names the brand and themselves.",
        "Acknowledges the customer's situation.",
        "Warm tone throughout",
        "Patient",
        "Summarise at the end",
        "83.3",
    ):
        assert text in detail, text
    assert f"/feedback/{evaluation_id}/acknowledge" in detail
    assert f"/feedback/{evaluation_id}/dispute" in detail

    acknowledged = post_form(
        agent,
        f"/feedback/{evaluation_id}/acknowledge",
        {"comment": "Thanks, will summarise."},
        follow_redirects=True,
    )
    assert "the feedback is acknowledged" in _text(acknowledged)
    stored = _evaluation(app, evaluation_id)
    assert stored["status"] == EvaluationStatus.ACKNOWLEDGED
    assert stored["acknowledgement_comment"] == "Thanks, will summarise."
    inbox = _text(agent.get("/feedback/"))
    assert f'href="/evaluations/{evaluation_id}"' in inbox
    assert not re.search(r'badge text-bg-primary">new<', inbox)
    detail = _text(agent.get(f"/evaluations/{evaluation_id}"))
    assert "Thanks, will summarise." in detail
    assert f"/feedback/{evaluation_id}/acknowledge" not in detail
    assert f"/feedback/{evaluation_id}/dispute" not in detail


def test_journey_dispute_upheld_by_a_manager(
    app: Flask, org: Organisation, released_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    evaluation_id = released_evaluation.id  # scored by supervisor A: 83.3
    agent = sign_in_as(org.agent_a1)
    disputed = post_form(
        agent,
        f"/feedback/{evaluation_id}/dispute",
        {"criterion_keys": ["empathy"], "reason-empathy": "I apologised twice."},
        follow_redirects=True,
    )
    assert "Your dispute was sent." in _text(disputed)
    with app.app_context():
        dispute = db.session.scalar(
            sa.select(Dispute).where(Dispute.evaluation_id == evaluation_id)
        )
        dispute_id = dispute.id
        assert (dispute.criterion_keys, dispute.criterion_reasons) == (
            ["empathy"],
            {"empathy": "I apologised twice."},
        )
    assert _evaluation(app, evaluation_id)["status"] == EvaluationStatus.DISPUTED

    manager = sign_in_as(org.manager)
    listing = _text(manager.get("/disputes/"))
    assert f'href="/disputes/{dispute_id}"' in listing
    page = _text(manager.get(f"/disputes/{dispute_id}"))
    assert "I apologised twice." in page
    upheld = post_form(
        manager,
        f"/disputes/{dispute_id}",
        {
            "decision": "uphold",
            "note": "Listened again: empathy was excellent.",
            # Not from the page: it does not carry the field (see the xfail test below).
            "lock_version": _evaluation(app, evaluation_id)["lock_version"],
            "answer-greeting": "yes",
            "answer-empathy": "5",
        },
    )
    assert upheld.status_code == 302 and upheld.headers["Location"].endswith("/disputes/")
    stored = _evaluation(app, evaluation_id)
    assert (stored["status"], stored["revision"]) == (EvaluationStatus.RESOLVED, 2)
    assert stored["score"] == pytest.approx(100.0)

    detail = _text(agent.get(f"/evaluations/{evaluation_id}"))
    assert "Listened again: empathy was excellent." in detail
    assert "upheld" in detail and "100.0" in detail and "revision 2" in detail
    assert "83.3" not in detail

    for client, hidden in ((agent, True), (sign_in_as(org.supervisor_a), False)):
        history = _text(client.get(f"/evaluations/{evaluation_id}/history"))
        rows = re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td><td>([^<]*)</td>", history)
        assert rows == [("1", "submitted"), ("2", "dispute upheld")]
        assert "83.3" in history and "100.0" in history
        for action in (
            "Evaluation submitted",
            "Feedback released to the agent",
            "Dispute raised",
            "Dispute upheld, re-scored",
        ):
            assert f'<div class="fw-semibold">{action}</div>' in history, action
        assert ("Evaluation started" in history) is not hidden


def test_a_rejected_dispute_keeps_the_score_and_shows_the_note(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: SignIn
) -> None:
    supervisor = sign_in_as(org.supervisor_a)  # the records' dispute was scored by the manager
    path = f"/disputes/{records['dispute_id']}"
    assert "I did greet." in _text(supervisor.get(path))
    rejected = post_form(
        supervisor,
        path,
        {
            "decision": "reject",
            "note": "No brand name in the greeting.",
            "lock_version": _evaluation(app, records["disputed_id"])["lock_version"],
        },
    )
    assert rejected.status_code == 302
    stored = _evaluation(app, records["disputed_id"])
    assert (stored["status"], stored["revision"]) == (EvaluationStatus.RESOLVED, 1)
    assert stored["score"] == pytest.approx(100 * 2.5 / 3)
    detail = _text(sign_in_as(org.agent_a1).get(f"/evaluations/{records['disputed_id']}"))
    assert "No brand name in the greeting." in detail and "rejected" in detail


# --- live score ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, {"valid": True, "score": None, "passed": None, "answered": 0, "total": 2}),
        (
            {"answer-greeting": "yes"},
            {"valid": True, "score": 100.0, "passed": True, "answered": 1},
        ),
        (
            {"answer-greeting": "yes", "answer-empathy": "4"},
            {"valid": True, "score": 100 * 2.5 / 3, "passed": True, "answered": 2},
        ),
        (
            {"answer-greeting": "no", "answer-empathy": "1"},
            {"valid": True, "score": 0.0, "passed": False, "auto_failed": False},
        ),
        (
            {"answer-greeting": "yes", "answer-empathy": "9"},
            {"valid": False, "problems": {"empathy": "9 is out of range 1..5"}},
        ),
    ],
)
def test_live_score_returns_json_and_saves_nothing(
    fields: dict[str, str],
    expected: dict[str, Any],
    app: Flask,
    org: Organisation,
    draft_evaluation: Evaluation,
    sign_in_as: SignIn,
) -> None:
    before = _evaluation(app, draft_evaluation.id)
    response = post_form(
        sign_in_as(org.supervisor_a), f"/evaluations/{draft_evaluation.id}/score", fields
    )
    assert response.status_code == 200
    assert response.is_json
    data = response.get_json()
    for key, value in expected.items():
        assert data[key] == (pytest.approx(value) if isinstance(value, float) else value), key
    assert _evaluation(app, draft_evaluation.id) == before
    assert _answers(app, draft_evaluation.id) == {}


@pytest.mark.parametrize(("who", "status"), [("agent_a1", 403), ("supervisor_b", 404)])
def test_live_score_is_for_evaluators_in_scope(
    who: str, status: int, org: Organisation, draft_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    response = post_form(
        sign_in_as(org.member(who)),
        f"/evaluations/{draft_evaluation.id}/score",
        {"answer-greeting": "yes"},
    )
    assert response.status_code == status


# --- optimistic locking ----------------------------------------------------------------------


def test_the_second_save_of_the_same_version_is_refused_and_keeps_its_input(
    app: Flask, org: Organisation, draft_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    path = f"/evaluations/{draft_evaluation.id}/edit"
    first, second = sign_in_as(org.supervisor_a), sign_in_as(org.manager)
    first_page, second_page = _text(first.get(path)), _text(second.get(path))
    loaded = _lock(first_page)
    assert _lock(second_page) == loaded

    saved = post_form(
        first,
        path,
        {"lock_version": loaded, "answer-greeting": "yes", "comment-greeting": "Said the brand"},
    )
    assert saved.status_code == 302

    refused = post_form(
        second,
        path,
        {
            "lock_version": loaded,
            "answer-greeting": "no",
            "answer-empathy": "2",
            "comment-empathy": "Talked over the customer",
            "opportunities": "Let the customer finish",
        },
    )
    assert refused.status_code == 409
    page = _text(refused)
    assert WARNING in page
    assert _checked(page, "greeting", "no") and not _checked(page, "greeting", "yes")
    assert _checked(page, "empathy", "2")
    assert "Talked over the customer" in _block(page, "empathy")
    assert "Let the customer finish" in page
    assert "<code>greeting</code>" in page  # the answers that differ are named
    assert _answers(app, draft_evaluation.id) == {"greeting": (1.0, False, "Said the brand")}

    # The refused page carries the current version: saving again is a deliberate overwrite.
    current = _evaluation(app, draft_evaluation.id)["lock_version"]
    assert _lock(page) == str(current) != loaded
    again = post_form(
        second, path, {"lock_version": _lock(page), "answer-greeting": "no", "answer-empathy": "2"}
    )
    assert again.status_code == 302
    assert _answers(app, draft_evaluation.id) == {
        "greeting": (0.0, False, None),
        "empathy": (2.0, False, None),
    }


def test_a_conflicting_submit_is_refused_too(
    app: Flask, org: Organisation, draft_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    path = f"/evaluations/{draft_evaluation.id}/edit"
    first, second = sign_in_as(org.supervisor_a), sign_in_as(org.manager)
    loaded = _lock(_text(first.get(path)))
    assert (
        post_form(first, path, {"lock_version": loaded, "answer-empathy": "3"}).status_code == 302
    )
    refused = post_form(
        second,
        path,
        {"lock_version": loaded, "answer-greeting": "yes", "answer-empathy": "5", "submit": "1"},
    )
    assert refused.status_code == 409
    assert WARNING in _text(refused)
    assert _evaluation(app, draft_evaluation.id)["status"] == EvaluationStatus.DRAFT


# --- access ----------------------------------------------------------------------------------


AGENT_PATHS = [
    "/evaluations/{id}",
    "/evaluations/{id}/history",
    "/feedback/{id}/acknowledge",
    "/feedback/{id}/dispute",
]


@pytest.mark.parametrize("path", AGENT_PATHS)
@pytest.mark.parametrize(
    ("who", "record"),
    [
        ("agent_a2", "released_id"),  # a team mate's feedback
        ("agent_b1", "released_id"),  # another team's agent's
        ("agent_b1", "disputed_id"),
        ("agent_a1", "draft_id"),  # own, but not released yet
        ("agent_a1", "submitted_id"),
    ],
)
def test_agents_see_only_their_own_released_evaluations(
    path: str,
    who: str,
    record: str,
    org: Organisation,
    records: dict[str, int],
    sign_in_as: SignIn,
) -> None:
    agent = sign_in_as(org.member(who))
    url = path.format(id=records[record])
    assert agent.get(url).status_code == 404
    assert agent.get(f"/evaluations/{max(records.values()) + 1000}").status_code == 404


@pytest.mark.parametrize("path", AGENT_PATHS[:2])
@pytest.mark.parametrize("record", ["released_id", "disputed_id"])
def test_the_agent_opens_their_own_released_evaluations(
    path: str, record: str, org: Organisation, records: dict[str, int], sign_in_as: SignIn
) -> None:
    assert sign_in_as(org.agent_a1).get(path.format(id=records[record])).status_code == 200


def test_agents_do_not_reach_other_agents_feedback_by_posting(
    app: Flask, org: Organisation, released_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    other = sign_in_as(org.agent_a2)
    released = released_evaluation.id
    assert (
        post_form(other, f"/feedback/{released}/acknowledge", {"comment": "x"}).status_code == 404
    )
    assert (
        post_form(other, f"/feedback/{released}/dispute", {"reason": "not mine"}).status_code == 404
    )
    assert _evaluation(app, released)["status"] == EvaluationStatus.RELEASED


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/evaluations/{released_id}"),
        ("get", "/evaluations/{released_id}/history"),
        ("get", "/evaluations/{draft_id}/edit"),
        ("post", "/evaluations/{draft_id}/edit"),
        ("post", "/evaluations/{draft_id}/score"),
        ("post", "/evaluations/{submitted_id}/release"),
        ("post", "/evaluations/{draft_id}/delete"),
        ("get", "/disputes/{dispute_id}"),
        ("post", "/evaluations/start/assignment/{assignment_id}"),
        ("get", "/interactions/{interaction_id}"),
        ("post", "/evaluations/start/interaction/{interaction_id}"),
    ],
)
def test_another_teams_supervisor_gets_404(
    method: str,
    path: str,
    app: Flask,
    org: Organisation,
    records: dict[str, int],
    sign_in_as: SignIn,
) -> None:
    before = {key: _evaluation(app, records[key]) for key in ("draft_id", "submitted_id")}
    client = sign_in_as(org.supervisor_b)
    url = path.format(**records)
    if method == "get":
        response = client.get(url)
    else:
        data = {
            "lock_version": "1",
            "answer-greeting": "no",
            "scorecard_id": records["scorecard_id"],
        }
        response = post_form(client, url, data)
    assert response.status_code == 404
    assert {key: _evaluation(app, records[key]) for key in before} == before


def test_a_supervisor_cannot_start_evaluating_another_teams_agent(
    app: Flask, org: Organisation, scorecard_id: int, sign_in_as: SignIn
) -> None:
    with app.app_context():
        interaction = create_interaction(
            db.session.get(User, org.agent_b1.id),
            channel="phone",
            occurred_at=datetime(2026, 11, 5, 9, tzinfo=UTC),
            actor=db.session.get(User, org.supervisor_b.id),
            external_ref="CALL-B",
        )
        db.session.commit()
        interaction_id = interaction.id
    supervisor_a = sign_in_as(org.supervisor_a)
    assert supervisor_a.get(f"/interactions/{interaction_id}").status_code == 404
    started = post_form(
        supervisor_a,
        f"/evaluations/start/interaction/{interaction_id}",
        {"scorecard_id": scorecard_id},
    )
    assert started.status_code == 404
    # Supervisor B can.
    supervisor_b = sign_in_as(org.supervisor_b)
    assert supervisor_b.get(f"/interactions/{interaction_id}").status_code == 200
    started = post_form(
        supervisor_b,
        f"/evaluations/start/interaction/{interaction_id}",
        {"scorecard_id": scorecard_id},
    )
    assert started.status_code == 302
    with app.app_context():
        evaluators = db.session.scalars(
            sa.select(Evaluation.evaluator_id).where(Evaluation.interaction_id == interaction_id)
        ).all()
    assert evaluators == [org.supervisor_b.id]


def test_the_scoring_form_ignores_fields_it_does_not_have(
    app: Flask, org: Organisation, draft_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    path = f"/evaluations/{draft_evaluation.id}/edit"
    supervisor = sign_in_as(org.supervisor_a)
    before = _evaluation(app, draft_evaluation.id)
    response = post_form(
        supervisor,
        path,
        {
            "lock_version": _lock(_text(supervisor.get(path))),
            "answer-greeting": "yes",
            "answer-empathy": "1",
            "score": "99",
            "raw_score": "99",
            "passed": "y",
            "status": "released",
            "revision": "7",
            "agent_id": str(org.agent_a2.id),
            "evaluator_id": str(org.supervisor_b.id),
            "scorecard_version_id": "999",
        },
    )
    assert response.status_code == 302
    after = _evaluation(app, draft_evaluation.id)
    assert after["status"] == EvaluationStatus.DRAFT
    assert (after["agent_id"], after["evaluator_id"]) == (
        before["agent_id"],
        before["evaluator_id"],
    )
    assert after["revision"] == 0
    assert after["score"] == pytest.approx(100 / 3)


def test_get_requests_change_nothing(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: SignIn
) -> None:
    def state() -> tuple[Any, ...]:
        with app.app_context():
            evaluations = db.session.execute(
                sa.select(Evaluation.id, Evaluation.status, Evaluation.lock_version).order_by(
                    Evaluation.id
                )
            ).all()
            disputes = db.session.execute(sa.select(Dispute.id, Dispute.status)).all()
            events = db.session.scalar(
                sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action.not_like("auth.%"))
            )
            return evaluations, disputes, events

    before = state()
    supervisor, agent = sign_in_as(org.supervisor_a), sign_in_as(org.agent_a1)
    gets = [
        (supervisor, "/evaluations/queue", 200),
        (supervisor, f"/evaluations/{records['draft_id']}/edit", 200),
        (supervisor, f"/evaluations/{records['submitted_id']}", 200),
        (supervisor, f"/disputes/{records['dispute_id']}", 200),
        (supervisor, "/disputes/", 200),
        (supervisor, f"/evaluations/start/assignment/{records['assignment_id']}", 405),
        (supervisor, f"/evaluations/{records['submitted_id']}/release", 405),
        (supervisor, f"/evaluations/{records['draft_id']}/delete", 405),
        (supervisor, f"/evaluations/{records['draft_id']}/score", 405),
        (agent, "/feedback/", 200),
        (agent, f"/feedback/{records['released_id']}/acknowledge", 200),
        (agent, f"/feedback/{records['released_id']}/dispute", 200),
        (agent, f"/evaluations/{records['released_id']}", 200),
    ]
    for client, path, status in gets:
        assert client.get(path).status_code == status, path
    assert state() == before


# --- disputes list ---------------------------------------------------------------------------


def test_open_disputes_are_listed_with_their_age(
    app: Flask, org: Organisation, open_dispute: Dispute, sign_in_as: SignIn
) -> None:
    with app.app_context():
        dispute = db.session.get(Dispute, open_dispute.id)
        dispute.raised_at = datetime.now(UTC) - timedelta(days=3, hours=2)
        db.session.commit()
    decide = f'href="/disputes/{open_dispute.id}"'

    listing = _text(sign_in_as(org.supervisor_a).get("/disputes/"))
    assert "3 days" in listing
    assert org.agent_a1.display_name in listing
    assert decide in listing

    # The manager scored it: the dispute is listed, but not for them to decide.
    manager = sign_in_as(org.manager)
    listing = _text(manager.get("/disputes/"))
    assert "3 days" in listing
    assert decide not in listing
    assert f"for {org.supervisor_a.display_name}" in listing  # who decides it instead
    assert manager.get(f"/disputes/{open_dispute.id}").status_code == 403
    refused = post_form(
        manager,
        f"/disputes/{open_dispute.id}",
        {"decision": "reject", "note": "Mine stands", "lock_version": "1"},
    )
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(Dispute, open_dispute.id).status == DisputeStatus.OPEN

    assert "No open disputes." in _text(sign_in_as(org.supervisor_b).get("/disputes/"))
    assert sign_in_as(org.agent_a1).get("/disputes/").status_code == 403


def test_decided_disputes_leave_the_list(
    app: Flask,
    org: Organisation,
    disputed_evaluation: Evaluation,
    open_dispute: Dispute,
    sign_in_as: SignIn,
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    path = f"/disputes/{open_dispute.id}"
    lock = _evaluation(app, disputed_evaluation.id)["lock_version"]
    decided = post_form(
        supervisor, path, {"decision": "reject", "note": "Stands", "lock_version": lock}
    )
    assert decided.status_code == 302
    assert "No open disputes." in _text(supervisor.get("/disputes/"))


def _hidden_fields(page: str) -> dict[str, str]:
    """What a browser posts back unchanged: the page's hidden inputs."""
    fields = {}
    for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value:
            fields[name.group(1)] = value.group(1)
    return fields


@pytest.mark.parametrize("decision", ["reject", "uphold"])
def test_a_dispute_can_be_decided_with_what_the_resolve_page_posts(
    decision: str, app: Flask, org: Organisation, open_dispute: Dispute, sign_in_as: SignIn
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    path = f"/disputes/{open_dispute.id}"
    page = _text(supervisor.get(path))
    data = _hidden_fields(page) | {"decision": decision, "note": "Checked the recording."}
    if decision == "uphold":  # a rejection keeps the answers the page shows
        data |= {"answer-greeting": "yes", "answer-empathy": "5"}
    response = supervisor.post(path, data=data)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Dispute, open_dispute.id).status != DisputeStatus.OPEN


def test_the_evaluator_is_not_offered_to_decide_on_the_evaluation_page(
    org: Organisation, disputed_evaluation: Evaluation, open_dispute: Dispute, sign_in_as: SignIn
) -> None:
    detail = _text(sign_in_as(org.manager).get(f"/evaluations/{disputed_evaluation.id}"))
    assert "I did greet." in detail
    assert f'href="/disputes/{open_dispute.id}"' not in detail


def test_the_release_step_for_manual_teams(
    app: Flask, org: Organisation, submitted_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    submitted = submitted_evaluation.id
    agent = sign_in_as(org.agent_a1)
    assert agent.get(f"/evaluations/{submitted}").status_code == 404
    supervisor = sign_in_as(org.supervisor_a)
    assert "Release to the agent" in _text(supervisor.get(f"/evaluations/{submitted}"))
    released = post_form(supervisor, f"/evaluations/{submitted}/release")
    assert released.status_code == 302
    assert _evaluation(app, submitted)["status"] == EvaluationStatus.RELEASED
    assert agent.get(f"/evaluations/{submitted}").status_code == 200
    # Released once; a second release is not offered and is refused.
    assert "Release to the agent" not in _text(supervisor.get(f"/evaluations/{submitted}"))
    assert post_form(supervisor, f"/evaluations/{submitted}/release").status_code == 403


def test_deleting_a_draft_through_the_form(
    app: Flask,
    org: Organisation,
    assignment: Assignment,
    draft_evaluation: Evaluation,
    submitted_evaluation: Evaluation,
    sign_in_as: SignIn,
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    response = post_form(supervisor, f"/evaluations/{draft_evaluation.id}/delete")
    assert response.status_code == 302
    assert _evaluation(app, draft_evaluation.id) == {}
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(AuditEvent.actor_id).where(
                    AuditEvent.action == "evaluation.deleted",
                    AuditEvent.entity_id == draft_evaluation.id,
                )
            )
            == org.supervisor_a.id
        )
        # The assignment is back in the queue, to be started afresh.
        assert db.session.get(Interaction, assignment.interaction_id) is not None
    queue = _text(supervisor.get("/evaluations/queue"))
    assert f"/evaluations/start/assignment/{assignment.id}" in queue
    # A submitted evaluation cannot be deleted.
    post_form(supervisor, f"/evaluations/{submitted_evaluation.id}/delete")
    assert _evaluation(app, submitted_evaluation.id)["status"] == EvaluationStatus.SUBMITTED


def test_history_lists_revisions_for_every_submission(
    app: Flask,
    org: Organisation,
    draft_evaluation: Evaluation,
    released_evaluation: Evaluation,
    sign_in_as: SignIn,
) -> None:
    history = _text(sign_in_as(org.supervisor_a).get(f"/evaluations/{draft_evaluation.id}/history"))
    assert "Not submitted yet." in history
    assert '<div class="fw-semibold">Evaluation started</div>' in history
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(EvaluationRevision.id)).where(
                EvaluationRevision.evaluation_id == released_evaluation.id
            )
        )
    assert count == 1


def test_the_queue_shows_monthly_progress_of_the_supervisors_agents(
    org: Organisation, records: dict[str, int], sign_in_as: SignIn
) -> None:
    page = _text(sign_in_as(org.supervisor_a).get("/evaluations/queue"))
    progress = page[page.index("This month's progress") :]
    rows = dict(
        re.findall(r"<td>([^<]+?) <span[^>]*>Team A</span></td>\s*<td[^>]*>([^<]+)</td>", progress)
    )
    # Agent A1: the submitted, the released and the disputed records; the draft does not count.
    assert rows == {org.agent_a1.display_name: "3 / 4", org.agent_a2.display_name: "0 / 4"}
    assert org.agent_b1.display_name not in progress
    # The started draft is in the queue, to be continued.
    assert f"/evaluations/start/assignment/{records['assignment_id']}" in page
    assert "Continue" in page


@pytest.mark.parametrize(
    ("fields", "key", "message"),
    [
        ({"answer-empathy": "abc"}, "empathy", "Enter a number from 1 to 5."),
        ({"answer-empathy": "9"}, "empathy", "Enter a number from 1 to 5."),
        ({"answer-empathy": "0"}, "empathy", "Enter a number from 1 to 5."),
        ({"answer-empathy": "na"}, "empathy", "N/A is not allowed for this criterion."),
        ({"answer-greeting": "maybe"}, "greeting", "This answer is not valid."),
        ({"comment-greeting": "x" * 4001}, "greeting", "The comment is too long."),
    ],
)
@pytest.mark.parametrize("button", ["save", "submit"])
def test_invalid_answers_are_refused_beside_their_criterion(
    button: str,
    fields: dict[str, str],
    key: str,
    message: str,
    app: Flask,
    org: Organisation,
    draft_evaluation: Evaluation,
    sign_in_as: SignIn,
) -> None:
    path = f"/evaluations/{draft_evaluation.id}/edit"
    supervisor = sign_in_as(org.supervisor_a)
    before = _evaluation(app, draft_evaluation.id)
    data = {"lock_version": _lock(_text(supervisor.get(path))), button: "1"}
    data |= {"answer-greeting": "yes", "answer-empathy": "3"} | fields
    response = post_form(supervisor, path, data)
    assert response.status_code == 400
    page = _text(response)
    assert message in _block(page, key)
    other = "greeting" if key == "empathy" else "empathy"
    assert message not in _block(page, other)
    assert _evaluation(app, draft_evaluation.id) == before
    assert _answers(app, draft_evaluation.id) == {}


def test_the_dispute_window_is_enforced_on_the_web(
    app: Flask, org: Organisation, released_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    evaluation_id = released_evaluation.id
    with app.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        evaluation.released_at = datetime.now(UTC) - timedelta(days=7, minutes=1)
        db.session.commit()
    agent = sign_in_as(org.agent_a1)
    detail = _text(agent.get(f"/evaluations/{evaluation_id}"))
    assert f"/feedback/{evaluation_id}/dispute" not in detail
    refused = post_form(
        agent, f"/feedback/{evaluation_id}/dispute", {"reason": "Too late?"}, follow_redirects=True
    )
    assert "The 7 days for disputing this evaluation have passed." in _text(refused)
    assert _evaluation(app, evaluation_id)["status"] == EvaluationStatus.RELEASED
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Dispute.id)).where(Dispute.evaluation_id == evaluation_id)
            )
            == 0
        )


def test_the_dispute_window_follows_the_setting(
    app: Flask, org: Organisation, released_evaluation: Evaluation, sign_in_as: SignIn
) -> None:
    app.config["DISPUTE_WINDOW_DAYS"] = 10
    evaluation_id = released_evaluation.id
    with app.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        evaluation.released_at = datetime.now(UTC) - timedelta(days=8)
        db.session.commit()
    agent = sign_in_as(org.agent_a1)
    assert f"/feedback/{evaluation_id}/dispute" in _text(agent.get(f"/evaluations/{evaluation_id}"))
    response = post_form(agent, f"/feedback/{evaluation_id}/dispute", {"reason": "Still in time"})
    assert response.status_code == 302
    assert _evaluation(app, evaluation_id)["status"] == EvaluationStatus.DISPUTED
