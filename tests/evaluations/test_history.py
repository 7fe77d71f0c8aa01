"""An evaluation's history as people read it: "Empathy: 4 → 2" lines instead of raw JSON,
the agent's history without what is not meant for them, and two revisions compared."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.evaluations.models import Dispute, Evaluation
from qa_app.evaluations.services import Edit, uphold_dispute
from qa_app.extensions import db
from tests.conftest import Organisation

SignIn = Callable[[User], FlaskClient]


@pytest.fixture
def rescored(app: Flask, org: Organisation, open_dispute: Any) -> int:
    """Agent A1's disputed evaluation (greeting yes, empathy 4: 83.3), upheld by supervisor A
    with empathy 2 (50.0); plus an internal note recorded on it from an address."""
    with app.app_context():
        dispute = db.session.get(Dispute, open_dispute.id)
        evaluation = dispute.evaluation
        edit = Edit(
            answers={"greeting": True, "empathy": 2},
            comments={"empathy": "Listened again"},
            texts={},
            lock_version=evaluation.lock_version,
        )
        uphold_dispute(dispute, db.session.get(User, org.supervisor_a.id), "Re-scored.", edit)
        db.session.add(
            AuditEvent(
                action="evaluation.note_added",
                entity_type="evaluation",
                entity_id=evaluation.id,
                actor_id=org.supervisor_a.id,
                after={"internal_note": "Agent seemed tired", "score": 50.0},
                ip_address="203.0.113.9",
            )
        )
        db.session.commit()
        return evaluation.id


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return html.unescape(response.get_data(as_text=True))


def _changes(page: str, heading: str = "Changes") -> list[str]:
    """The change lines of the "Changes" list (its heading in the page's language)."""
    part = page[page.index(f">{heading}<") :]
    return [re.sub(r"\s+", " ", line).strip() for line in re.findall(r"<li>(.*?)</li>", part)]


def test_an_agent_reads_their_history_as_changes_without_internal_fields(
    org: Organisation, rescored: int, sign_in_as: SignIn
) -> None:
    page = _page(sign_in_as(org.agent_a1), f"/evaluations/{rescored}/history")
    lines = _changes(page)
    assert "Score: 83.3 → 50.0" in lines
    assert "Empathy: 4 → 2" in lines
    assert "Empathy, comment: – → Listened again" in lines
    assert "Dispute upheld, re-scored" in page
    # Nothing raw, nothing internal, no record ids, no address, no drafting.
    for hidden in (
        "raw_score",
        '"score"',
        "{",
        "Dispute: ",
        "Agent seemed tired",
        "Internal note",
        "203.0.113.9",
        "Evaluation started",
        "Draft saved",
    ):
        assert hidden not in page, hidden


def test_a_supervisor_sees_the_same_history_with_every_field(
    org: Organisation, rescored: int, sign_in_as: SignIn
) -> None:
    page = _page(sign_in_as(org.supervisor_a), f"/evaluations/{rescored}/history")
    lines = _changes(page)
    assert "Score: 83.3 → 50.0" in lines and "Empathy: 4 → 2" in lines
    assert "Internal note: Agent seemed tired" in lines
    assert "Evaluation started" in page
    assert "203.0.113.9" not in page


def test_two_revisions_are_compared_answer_by_answer(
    org: Organisation, rescored: int, sign_in_as: SignIn
) -> None:
    page = _page(sign_in_as(org.agent_a1), f"/evaluations/{rescored}/history?first=1&second=2")
    table = page[page.index('class="table table-sm comparison"') :]
    table = table[: table.index("</table>")]
    rows = [
        [re.sub(r"<[^>]+>|\s+", " ", cell).split("changed")[0].strip() for cell in cells]
        for cells in (
            re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
        )
    ]
    assert rows[0] == ["Criterion", "Revision 1", "Revision 2"]
    assert ["Score", "83.3", "50.0"] in rows
    assert ["Greeting", "Yes", "Yes"] in rows
    assert ["Empathy", "4", "2 Listened again"] in rows


def test_a_german_reader_gets_german_numbers(
    app: Flask, org: Organisation, rescored: int, sign_in_as: SignIn
) -> None:
    app.config["LANGUAGES"] = ["en", "de"]
    with app.app_context():
        db.session.get(User, org.agent_a1.id).locale = "de"
        db.session.commit()
    with app.test_request_context(), force_locale("de"):
        heading = gettext("Changes")
    assert heading != "Changes"  # the page is in German, heading and all
    page = _page(sign_in_as(org.agent_a1), f"/evaluations/{rescored}/history")
    lines = _changes(page, heading)
    assert any(line.endswith("83,3 → 50,0") for line in lines), lines


def test_an_agent_cannot_read_the_history_of_another_agents_evaluation(
    org: Organisation, rescored: int, sign_in_as: SignIn
) -> None:
    assert sign_in_as(org.agent_a2).get(f"/evaluations/{rescored}/history").status_code == 404


def test_an_unknown_revision_number_compares_nothing(
    org: Organisation, rescored: int, sign_in_as: SignIn, app: Flask
) -> None:
    page = _page(sign_in_as(org.supervisor_a), f"/evaluations/{rescored}/history?first=1&second=9")
    assert "Choose two revisions of this evaluation." in page
    with app.app_context():
        assert db.session.get(Evaluation, rescored).revision == 2
