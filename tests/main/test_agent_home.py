"""The agent's home lists what waits for them (issue 19, item 5): coaching sessions not yet
acknowledged, and training plan items due within TRAINING_DUE_SOON_DAYS (default 14) or
overdue."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask

from config import Config
from qa_app.auth.models import User
from qa_app.coaching.sessions import acknowledge_session, pending_sessions, record_session
from qa_app.extensions import db
from qa_app.training import plans
from qa_app.training.models import ItemStatus, TrainingModule
from qa_app.training.plans import centre_today
from qa_app.training.summaries import items_due_soon
from tests.conftest import Organisation

# Module title → days from today it is due; "Done early" is done already.
DUE = {"Overdue": -2, "In three days": 3, "In two weeks": 14, "Later": 15, "Done early": 1}


def _today(app: Flask) -> date:
    with app.test_request_context():
        return centre_today()


@pytest.fixture
def waiting(app: Flask, org: Organisation) -> dict[str, Any]:
    """Agent A1's issued plan with the items of DUE; two sessions, one acknowledged."""
    today = _today(app)
    with app.app_context():
        coach = db.session.get_one(User, org.supervisor_a.id)
        agent = db.session.get_one(User, org.agent_a1.id)
        plan = plans.create_plan(agent, today - timedelta(days=90), today, coach)
        items = {}
        for number, (title, days) in enumerate(DUE.items()):
            module = TrainingModule(
                key=f"module-{number}",
                title=title,
                skill="Skill",
                description="",
                expected_minutes=30,
            )
            db.session.add(module)
            db.session.flush()
            items[title] = plans.add_item(plan, module, today + timedelta(days=days), coach)
        plans.issue_plan(plan, coach)
        plans.set_item_status(items["Done early"], ItemStatus.DONE, agent)
        pending = record_session(coach, agent, today - timedelta(days=1), "Pending talk.", None)
        done = record_session(coach, agent, today - timedelta(days=9), "Older talk.", None)
        acknowledge_session(done, agent, None)
        db.session.commit()
        return {"plan": plan.id, "pending": pending.id, "done": done.id}


def test_services_list_what_waits(app: Flask, org: Organisation, waiting: dict[str, Any]) -> None:
    today = _today(app)
    with app.app_context():
        agent = db.session.get_one(User, org.agent_a1.id)
        assert [s.id for s in pending_sessions(agent)] == [waiting["pending"]]
        soon = [item.module.title for item in items_due_soon(agent, today, 14)]
        assert soon == ["Overdue", "In three days", "In two weeks"]
        assert [i.module.title for i in items_due_soon(agent, today, 2)] == ["Overdue"]
        other = db.session.get_one(User, org.agent_a2.id)
        assert pending_sessions(other) == [] and items_due_soon(other, today, 14) == []


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<div class="col-md-6" id="{section_id}">(.*?)\n  </div>', page, re.S)
    assert match, section_id
    return match.group(1)


def test_home_shows_pending_sessions_and_items_due_soon(
    app: Flask, org: Organisation, waiting: dict[str, Any], sign_in_as: Any
) -> None:
    page = sign_in_as(org.agent_a1).get("/").get_data(as_text=True)
    sessions = _section(page, "pending-sessions")
    assert f'href="/coaching/{waiting["pending"]}"' in sessions
    assert f'href="/coaching/{waiting["done"]}"' not in sessions
    due = _section(page, "due-soon")
    assert "Training due within 14 days" in due
    assert [t for t in DUE if t in due] == ["Overdue", "In three days", "In two weeks"]
    assert due.index("Overdue") < due.index("In three days") < due.index("In two weeks")
    assert "overdue" in due and f'href="/training/plans/{waiting["plan"]}"' in due


def test_due_soon_days_come_from_the_config(
    app: Flask, org: Organisation, waiting: dict[str, Any], sign_in_as: Any
) -> None:
    assert Config({}).TRAINING_DUE_SOON_DAYS == 14
    assert Config({"TRAINING_DUE_SOON_DAYS": "3"}).TRAINING_DUE_SOON_DAYS == 3
    app.config["TRAINING_DUE_SOON_DAYS"] = 3
    due = _section(sign_in_as(org.agent_a1).get("/").get_data(as_text=True), "due-soon")
    assert "Training due within 3 days" in due
    assert [t for t in DUE if t in due] == ["Overdue", "In three days"]


def test_home_says_when_nothing_waits(app: Flask, org: Organisation, sign_in_as: Any) -> None:
    page = sign_in_as(org.agent_a1).get("/").get_data(as_text=True)
    assert "No coaching session waits for your acknowledgement." in page
    assert "Nothing in your training plan is due within 14 days." in page
