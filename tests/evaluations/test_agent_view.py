"""What an agent sees of an evaluation of theirs (issue 19, item 4): the contact they were
scored on (reference, channel, time, queue, duration, transcript, recording) and the guidance
of the scorecard version they were scored on; nobody else's contact, and nothing before
release."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.services import create_interaction
from qa_app.scorecards.definition import parse_toml
from qa_app.scorecards.models import Scorecard
from qa_app.scorecards.services import publish_version
from qa_app.teams.models import Team
from tests.conftest import SCORECARD_TOML, Organisation

CALL = {
    "external_ref": "CALL-4711",
    "queue": "Billing disputes",
    "duration_seconds": 283,
    "transcript": "Customer: I was charged twice.\nAgent: Let me look at that for you.",
    "recording_url": "https://recordings.example.test/4711",
}


def _call_of(app: Flask, org: Organisation, agent_key: str, **details: Any) -> int:
    """A chat of the agent on 2 November 2026, 14:05 UTC, with `details`."""
    with app.app_context():
        interaction = create_interaction(
            db.session.get_one(User, org.member(agent_key).id),
            channel="chat",
            occurred_at=datetime(2026, 11, 2, 14, 5, tzinfo=UTC),
            actor=db.session.get_one(User, org.supervisor_a.id),
            **{**CALL, **details},
        )
        db.session.commit()
        return interaction.id


def _page(sign_in_as: Any, user: User, evaluation_id: int) -> tuple[int, str]:
    response = sign_in_as(user).get(f"/evaluations/{evaluation_id}")
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_agent_sees_the_contact_they_were_scored_on(
    app: Flask, org: Organisation, make_evaluation: Any, sign_in_as: Any
) -> None:
    interaction_id = _call_of(app, org, "agent_a1")
    evaluation = make_evaluation(interaction=interaction_id)
    status, page = _page(sign_in_as, org.agent_a1, evaluation.id)
    assert status == 200
    assert "The contact you were scored on" in page
    for shown in (
        "CALL-4711",
        "Chat",
        "Billing disputes",
        "4:43",  # the duration
        "11/2/2026, 2:05\u202fPM",  # the time, in the reader's format (UTC)
        "Customer: I was charged twice.",
        'href="https://recordings.example.test/4711"',
    ):
        assert shown in page, shown


def test_agent_reads_the_guidance_of_the_version_they_were_scored_on(
    app: Flask, org: Organisation, make_evaluation: Any, sign_in_as: Any
) -> None:
    evaluation = make_evaluation()
    with app.app_context():  # the scorecard changes after the evaluation
        scorecard = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == "test-call"))
        newer = SCORECARD_TOML.replace(
            "Acknowledges the customer's situation.", "Names the feeling before the fix."
        )
        assert publish_version(scorecard, parse_toml(newer), source="file") is not None
        db.session.commit()
    status, page = _page(sign_in_as, org.agent_a1, evaluation.id)
    assert status == 200
    assert "Acknowledges the customer&#39;s situation." in page or (
        "Acknowledges the customer's situation." in page
    )
    assert "Names the brand and themselves." in page
    assert "Names the feeling before the fix." not in page
    # …while the scorecard pages stay closed to agents.
    assert sign_in_as(org.agent_a1).get("/scorecards/").status_code == 403


@pytest.mark.parametrize("agent_key", ["agent_a2", "agent_b1"])
def test_agent_cannot_see_another_agents_contact(
    app: Flask, org: Organisation, make_evaluation: Any, sign_in_as: Any, agent_key: str
) -> None:
    secret = f"Transcript of {agent_key} only"
    interaction_id = _call_of(
        app, org, agent_key, external_ref=f"REF-{agent_key}", transcript=secret
    )
    evaluator = org.supervisor_a if agent_key == "agent_a2" else org.supervisor_b
    other = make_evaluation(
        agent=org.member(agent_key), evaluator=evaluator, interaction=interaction_id
    )
    own = make_evaluation()
    reader = sign_in_as(org.agent_a1)
    for path in (f"/evaluations/{other.id}", f"/evaluations/{other.id}/history"):
        response = reader.get(path)
        assert response.status_code == 404
        body = response.get_data(as_text=True)
        assert secret not in body and f"REF-{agent_key}" not in body
    mine = reader.get(f"/evaluations/{own.id}").get_data(as_text=True)
    assert secret not in mine and f"REF-{agent_key}" not in mine


def test_agent_sees_no_contact_before_release(
    app: Flask, org: Organisation, make_evaluation: Any, sign_in_as: Any
) -> None:
    with app.app_context():
        db.session.get_one(Team, org.team_a.id).release_mode = "manual"
        db.session.commit()
    interaction_id = _call_of(app, org, "agent_a1", transcript="Held back until release.")
    held = make_evaluation("submitted", interaction=interaction_id)
    status, page = _page(sign_in_as, org.agent_a1, held.id)
    assert status == 404
    assert "Held back until release." not in page
