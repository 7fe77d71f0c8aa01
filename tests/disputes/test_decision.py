"""The decision form: no default decision, a rejection never drops changed answers, the
disputed criteria are marked with the agent's reasons, and the live score shows the
re-score."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.evaluations.models import Dispute, DisputeStatus, Evaluation
from qa_app.evaluations.services import raise_dispute
from qa_app.extensions import db
from tests.conftest import Organisation, post_form

SignIn = Callable[[User], FlaskClient]


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def criteria_dispute(app: Flask, org: Organisation, make_evaluation: Any) -> tuple[int, int]:
    """Agent A1 disputes Empathy and Greeting of supervisor A's evaluation, a reason each
    (the manager decides: A scored it). (dispute id, evaluation id)."""
    evaluation = make_evaluation("released")
    with app.app_context():
        stored = db.session.get_one(Evaluation, evaluation.id)
        dispute = raise_dispute(
            stored,
            db.session.get_one(User, org.agent_a1.id),
            {"empathy": "I apologised twice.", "greeting": "I named the brand."},
            "",
            window_days=7,
        )
        db.session.commit()
        return dispute.id, evaluation.id


def _state(app: Flask, dispute_id: int) -> tuple[Any, ...]:
    with app.app_context():
        dispute = db.session.get_one(Dispute, dispute_id)
        return dispute.status, dispute.evaluation.revision, dispute.evaluation.score


def test_no_decision_is_chosen_for_the_decider(
    app: Flask, org: Organisation, criteria_dispute: tuple[int, int], sign_in_as: SignIn
) -> None:
    dispute_id, evaluation_id = criteria_dispute
    manager = sign_in_as(org.manager)
    page = _text(manager.get(f"/disputes/{dispute_id}"))
    radios = re.findall(r'<input[^>]*name="decision"[^>]*>', page)
    assert len(radios) == 2 and not any("checked" in radio for radio in radios)
    before = _state(app, dispute_id)
    with app.app_context():
        lock = db.session.get_one(Evaluation, evaluation_id).lock_version
    refused = post_form(
        manager,
        f"/disputes/{dispute_id}",
        {"note": "Checked.", "lock_version": lock, "answer-greeting": "yes", "answer-empathy": "5"},
    )
    assert refused.status_code == 400
    html = _text(refused)
    assert "Choose a decision: uphold the dispute or reject it." in html
    # The input is kept: the changed empathy answer and the note.
    assert re.search(r'name="answer-empathy" id="answer-empathy-5" value="5"\s+checked', html)
    assert "Checked.</textarea>" in html
    assert _state(app, dispute_id) == before


def test_reject_with_changed_answers_is_refused_and_the_input_kept(
    app: Flask, org: Organisation, criteria_dispute: tuple[int, int], sign_in_as: SignIn
) -> None:
    """It defaulted to Reject and silently dropped the re-scored answers."""
    dispute_id, evaluation_id = criteria_dispute
    manager = sign_in_as(org.manager)
    with app.app_context():
        lock = db.session.get_one(Evaluation, evaluation_id).lock_version
    before = _state(app, dispute_id)
    data = {
        "decision": "reject",
        "note": "The score stands.",
        "lock_version": lock,
        "answer-greeting": "yes",
        "answer-empathy": "5",  # stored: 4
        "comment-empathy": "Apologised twice.",
    }
    refused = post_form(manager, f"/disputes/{dispute_id}", data)
    assert refused.status_code == 400
    html = _text(refused)
    assert "You changed Empathy but chose Reject" in html
    assert "Choose Uphold to re-score with your answers" in html
    assert re.search(r'name="answer-empathy" id="answer-empathy-5" value="5"\s+checked', html)
    assert "Apologised twice.</textarea>" in html
    assert _state(app, dispute_id) == before
    # Uphold with the same answers re-scores; reject with the page's answers is accepted.
    upheld = post_form(manager, f"/disputes/{dispute_id}", {**data, "decision": "uphold"})
    assert upheld.status_code == 302
    status, revision, score = _state(app, dispute_id)
    assert (status, revision, score) == (DisputeStatus.UPHELD, 2, pytest.approx(100.0))


def test_reject_with_the_answers_as_they_were_is_accepted(
    app: Flask, org: Organisation, criteria_dispute: tuple[int, int], sign_in_as: SignIn
) -> None:
    dispute_id, evaluation_id = criteria_dispute
    manager = sign_in_as(org.manager)
    with app.app_context():
        lock = db.session.get_one(Evaluation, evaluation_id).lock_version
    data = {
        "decision": "reject",
        "note": "Stands.",
        "lock_version": lock,
        "answer-greeting": "yes",  # the stored answers, as the page posts them
        "answer-empathy": "4",
        "comment-greeting": "",
    }
    assert post_form(manager, f"/disputes/{dispute_id}", data).status_code == 302
    assert _state(app, dispute_id)[:2] == (DisputeStatus.REJECTED, 1)


def test_the_disputed_criteria_are_marked_with_the_agents_reasons(
    org: Organisation, criteria_dispute: tuple[int, int], sign_in_as: SignIn
) -> None:
    dispute_id, _ = criteria_dispute
    page = _text(sign_in_as(org.manager).get(f"/disputes/{dispute_id}"))
    for key, reason in (("empathy", "I apologised twice."), ("greeting", "I named the brand.")):
        start = page.index(f'<div class="criterion mb-4 criterion-disputed" id="criterion-{key}">')
        block = page[start : page.index("</textarea>", start)]
        assert reason in block, key
    # The live score reads the page's answers from the dispute's own route.
    assert 'data-score-url="/disputes/' in page and 'id="live-score"' in page
    assert "js/evaluation.js" in page


def test_the_live_score_shows_the_re_score(
    org: Organisation, criteria_dispute: tuple[int, int], sign_in_as: SignIn
) -> None:
    dispute_id, _ = criteria_dispute
    manager = sign_in_as(org.manager)
    scored = post_form(
        manager,
        f"/disputes/{dispute_id}/score",
        {"answer-greeting": "yes", "answer-empathy": "5"},
    )
    assert scored.status_code == 200
    assert scored.json["valid"] is True and scored.json["score"] == pytest.approx(100.0)
    # Not for the evaluator, who may not decide it.
    evaluator = sign_in_as(org.supervisor_a)
    assert post_form(evaluator, f"/disputes/{dispute_id}/score", {}).status_code == 403


def test_an_already_decided_dispute_is_not_decided_twice(
    app: Flask, org: Organisation, criteria_dispute: tuple[int, int], sign_in_as: SignIn
) -> None:
    dispute_id, evaluation_id = criteria_dispute
    manager = sign_in_as(org.manager)
    with app.app_context():
        lock = db.session.get_one(Evaluation, evaluation_id).lock_version
    data = {"decision": "reject", "note": "Stands.", "lock_version": lock}
    assert post_form(manager, f"/disputes/{dispute_id}", data).status_code == 302
    again = post_form(manager, f"/disputes/{dispute_id}", data)
    assert again.status_code == 302
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Dispute.id)).where(Dispute.status == DisputeStatus.REJECTED)
        )
    assert count == 1
