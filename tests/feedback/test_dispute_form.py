"""The agent's dispute form: one reason per disputed criterion, and criterion labels (never
keys) wherever people read a dispute."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.evaluations.models import Dispute, EvaluationStatus
from qa_app.extensions import db
from tests.conftest import Organisation, post_form, scorecard_text

SignIn = Callable[[User], FlaskClient]


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _disputes(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        return [
            (d.criterion_keys, d.criterion_reasons, d.reason)
            for d in db.session.scalars(sa.select(Dispute).order_by(Dispute.id))
        ]


def test_each_disputed_criterion_carries_its_own_reason(
    app: Flask, org: Organisation, released_evaluation: Any, sign_in_as: SignIn
) -> None:
    agent = sign_in_as(org.agent_a1)
    path = f"/feedback/{released_evaluation.id}/dispute"
    page = _text(agent.get(path))
    # A reason box beside each criterion, not one "Why?" for all.
    assert 'name="reason-greeting"' in page and 'name="reason-empathy"' in page
    assert "Why do you dispute Greeting?" in page and "Why do you dispute Empathy?" in page
    sent = post_form(
        agent,
        path,
        {
            "criterion_keys": ["greeting", "empathy"],
            "reason-greeting": "I named the brand.",
            "reason-empathy": "I apologised twice.",
        },
    )
    assert sent.status_code == 302
    assert _disputes(app) == [
        (
            ["empathy", "greeting"],
            {"greeting": "I named the brand.", "empathy": "I apologised twice."},
            "",
        )
    ]
    detail = _text(agent.get(f"/evaluations/{released_evaluation.id}"))
    assert re.search(r"Greeting</span>: <span[^>]*>I named the brand\.", detail)
    assert re.search(r"Empathy</span>: <span[^>]*>I apologised twice\.", detail)


def test_a_ticked_criterion_without_its_reason_is_refused_and_the_input_kept(
    app: Flask, org: Organisation, released_evaluation: Any, sign_in_as: SignIn
) -> None:
    agent = sign_in_as(org.agent_a1)
    path = f"/feedback/{released_evaluation.id}/dispute"
    refused = post_form(
        agent,
        path,
        {
            "criterion_keys": ["greeting", "empathy"],
            "reason-empathy": "I apologised twice.",
            "reason": "Both are wrong.",  # one reason for all is not enough
        },
    )
    assert refused.status_code == 400
    html = _text(refused)
    assert "Say why you dispute this criterion." in html
    assert "I apologised twice.</textarea>" in html and "Both are wrong.</textarea>" in html
    assert re.search(r'value="greeting" id="criterion_keys-greeting"\s+checked', html)
    # A reason beside an unticked criterion is refused too, not dropped.
    refused = post_form(
        agent,
        path,
        {"criterion_keys": ["empathy"], "reason-empathy": "Kind.", "reason-greeting": "x"},
    )
    assert refused.status_code == 400
    assert "without ticking this criterion" in _text(refused)
    assert _disputes(app) == []


def test_the_evaluation_as_a_whole_still_needs_one_reason(
    app: Flask, org: Organisation, released_evaluation: Any, sign_in_as: SignIn
) -> None:
    agent = sign_in_as(org.agent_a1)
    path = f"/feedback/{released_evaluation.id}/dispute"
    refused = post_form(agent, path, {"reason": "  "})
    assert refused.status_code == 400
    assert "explain why you dispute the evaluation as a whole" in _text(refused)
    assert post_form(agent, path, {"reason": "Unfair overall."}).status_code == 302
    assert _disputes(app) == [([], {}, "Unfair overall.")]


def test_people_read_criterion_labels_never_keys(
    app: Flask,
    org: Organisation,
    make_scorecard: Any,
    make_evaluation: Any,
    sign_in_as: SignIn,
) -> None:
    """Key "verification", label "Identity verification": the lists showed the keys."""
    make_scorecard(scorecard_text("verified-call"))
    evaluation = make_evaluation(
        "released", scorecard="verified-call", answers={"verification": False, "resolution": True}
    )
    agent = sign_in_as(org.agent_a1)
    sent = post_form(
        agent,
        f"/feedback/{evaluation.id}/dispute",
        {
            "criterion_keys": ["verification", "resolution"],
            "reason-verification": "The IVR had verified the caller.",
            "reason-resolution": "Solved on the call.",
        },
    )
    assert sent.status_code == 302
    with app.app_context():
        dispute_id = db.session.scalar(sa.select(Dispute.id))
    manager = sign_in_as(org.manager)
    pages = {
        "disputes list": _text(manager.get("/disputes/")),
        "home": _text(manager.get("/")),
        "dispute page": _text(manager.get(f"/disputes/{dispute_id}")),
        "evaluation": _text(agent.get(f"/evaluations/{evaluation.id}")),
        "history": _text(agent.get(f"/evaluations/{evaluation.id}/history")),
    }
    for name, html in pages.items():
        assert "Identity verification" in html, name
        # A key is never shown as text (it still names fields and ids, which nobody reads).
        visible = re.sub(r"<[^>]+>", " ", html)
        assert not re.search(
            r"\bverification\b(?! )", visible.replace("Identity verification", "")
        ), name
        assert "resolution, verification" not in visible, name
    # In the scorecard's order, wherever they are listed.
    assert "Identity verification, Resolution" in pages["disputes list"]
    assert "Identity verification, Resolution" in pages["home"]
    assert "Disputed criteria: Identity verification, Resolution" in pages["history"]
    with app.app_context():
        assert (
            db.session.get_one(Dispute, dispute_id).evaluation.status == EvaluationStatus.DISPUTED
        )
