"""A coach recognises each evaluation in the session form's picker and on the session page by
the contact's date and channel, the scorecard and the formatted score (issue 19, item 5) —
not by "#676 · Chat and email · 0"."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask

from qa_app.auth.models import User
from qa_app.coaching.sessions import record_session
from qa_app.extensions import db
from qa_app.training.plans import centre_today
from tests.conftest import Organisation

FAILING = {"greeting": False, "empathy": 5}  # greeting is not critical on "Test call"


def _labels(page: str) -> list[str]:
    return [
        html.unescape(label).strip()
        for label in re.findall(r'<label class="form-check-label"[^>]*>(.*?)</label>', page, re.S)
    ]


def test_picker_names_date_channel_scorecard_and_score(
    app: Flask, org: Organisation, make_evaluation: Any, sign_in_as: Any
) -> None:
    good = make_evaluation()  # phone call of 2 November 2026: greeting yes, empathy 4
    chat = make_evaluation(channel="chat", answers=FAILING, ref="CHAT-9")
    page = sign_in_as(org.supervisor_a).get(f"/coaching/agents/{org.agent_a1.id}/new")
    labels = _labels(page.get_data(as_text=True))
    assert "Nov 2, 2026 · Phone · Test call · score 83.3" in labels, labels
    assert "Nov 2, 2026 · Chat · Test call · score 66.7" in labels, labels
    assert not any(f"#{good.id}" in label or f"#{chat.id}" in label for label in labels)


def test_session_page_names_the_evaluations_discussed(
    app: Flask, org: Organisation, make_evaluation: Any, sign_in_as: Any
) -> None:
    evaluation = make_evaluation()
    with app.test_request_context():
        session = record_session(
            db.session.get_one(User, org.supervisor_a.id),
            db.session.get_one(User, org.agent_a1.id),
            centre_today(),
            "Notes.",
            None,
            [evaluation.id],
        )
        db.session.commit()
        session_id = session.id
    for reader in (org.supervisor_a, org.agent_a1):
        page = html.unescape(
            sign_in_as(reader).get(f"/coaching/{session_id}").get_data(as_text=True)
        )
        assert "Nov 2, 2026 · Phone · Test call · score 83.3" in page
        assert f"Evaluation #{evaluation.id}" not in page
