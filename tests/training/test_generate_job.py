"""Draft plans for many agents as a job from the training list: the proposal functions of
`flask training generate`, drafts only, all or none, audited with the job's id; the outcome
says how many drafts were made and why agents were skipped; a coach proposes for their own
teams only, checked again when the job runs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from qa_app.audit.changes import Vocabulary, event_changes
from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.jobs.models import Job
from qa_app.training import proposals
from qa_app.training.generate_job import DRAFT_PLANS, start_draft_plans_job
from qa_app.training.models import PlanStatus, TrainingPlan
from qa_app.training.plans import create_plan
from tests.conftest import Organisation, csrf_token
from tests.jobs.test_export_jobs import job_id_of, the_job
from tests.support.job_runs import (
    change_user,
    record_progress,
    run_recorded,
    take_teams_from,
)
from tests.training.test_proposals import catalogue, evidence, score  # noqa: F401 - fixtures

PATH = "/training/draft-plans"
GERMAN = Vocabulary("de")


def propose_drafts(client: FlaskClient, team_id: int | str) -> Any:
    """Post the training list's "Propose draft plans" form."""
    token = csrf_token(client, "/training/")
    return client.post(PATH, data={"team_id": str(team_id), "csrf_token": token})


def plans(app: Flask) -> list[tuple[int, str, int | None]]:
    """(agent, status, created by) of every plan, by agent."""
    with app.app_context():
        return [
            (plan.agent_id, plan.status, plan.created_by_id)
            for plan in db.session.scalars(sa.select(TrainingPlan).order_by(TrainingPlan.agent_id))
        ]


def jobs(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Job.id))) or 0


def created_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "training_plan.created")
            .order_by(AuditEvent.id)
        ).all()
        for event in events:
            db.session.expunge(event)
        return list(events)


@pytest.mark.usefixtures("evidence")
def test_a_supervisor_proposes_drafts_for_their_team_as_a_job(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    client = sign_in_as(org.supervisor_a)
    assert 'action="/training/draft-plans"' in client.get("/training/").get_data(as_text=True)
    job_id = job_id_of(propose_drafts(client, org.team_a.id))
    job = the_job(app, job_id)
    assert (job.kind, job.status) == (DRAFT_PLANS, "done"), job.error_message
    assert job.result_message == (
        "Proposed 1 draft plan: review it and issue it from its page. Skipped 1 agent. "
        "1 agent showed no gap in the period."
    )
    assert job.rows_done == job.rows_total == 2  # agents A1 and A2
    # A draft, never issued, proposed by the supervisor.
    assert plans(app) == [(org.agent_a1.id, PlanStatus.DRAFT, org.supervisor_a.id)]
    [event] = created_events(app)
    assert event.actor_id == org.supervisor_a.id
    assert event.after["job"] == job_id
    assert [item["module"] for item in event.after["items"]] == [
        "empathy-statements",
        "call-control",
        "greeting-opening",
    ]  # what `flask training generate` proposes for A1 (tests/training/test_proposals.py)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Proposed 1 draft plan" in page and "Draft training plans" in page
    with app.test_request_context(), force_locale("de"):
        # The event's job reads as the trail's other fields do, in the reader's language.
        lines = [line.text for line in event_changes(None, event.after, GERMAN)]
    assert f"Auftrag: {job_id}" in lines


@pytest.mark.usefixtures("evidence")
def test_a_manager_proposes_for_every_team_and_hears_why_agents_were_skipped(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    with app.app_context():
        agent = db.session.get_one(User, org.agent_a1.id)
        create_plan(agent, date(2026, 8, 1), date(2026, 10, 31), None)
        db.session.commit()
    job = the_job(app, job_id_of(propose_drafts(sign_in_as(org.manager), 0)))
    assert job.status == "done", job.error_message
    assert job.result_message == (
        "No draft plan was proposed. Skipped 4 agents. "
        "1 agent already has an open plan. "
        "2 agents had too few evaluations in the period to tell. "
        "1 agent showed no gap in the period."
    )  # A1 has a plan, B1 and B2 no evaluations, A2 full marks
    assert job.rows_done == job.rows_total == 4
    assert plans(app) == [(org.agent_a1.id, PlanStatus.DRAFT, None)]  # the earlier one only


@pytest.mark.usefixtures("evidence")
def test_progress_only_grows_and_reaches_100_percent(
    app: Flask,
    org: Organisation,
    sign_in_as: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = record_progress(monkeypatch)
    client = sign_in_as(org.manager)
    job_id = job_id_of(propose_drafts(client, 0))
    assert seen == [1, 2, 3, 4]  # one an agent, never down
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert (status["rows_done"], status["rows_total"], status["percent"]) == (4, 4, 100.0)


@pytest.mark.usefixtures("evidence")
def test_a_job_failing_at_its_second_draft_leaves_no_draft_at_all(
    app: Flask,
    org: Organisation,
    score: Any,  # noqa: F811 - the fixture imported above
    sign_in_as: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for empathy in (1, 2, 2):  # agent B1 needs a plan too
        score("test-call", "agent_b1", {"greeting": True, "empathy": empathy})
    calls: list[int] = []

    def second_fails(agent: User, *args: Any, **kwargs: Any) -> Any:
        calls.append(agent.id)
        if len(calls) == 2:
            raise RuntimeError("the disk is gone")
        return create_plan(agent, *args, **kwargs)

    monkeypatch.setattr(proposals, "create_plan", second_fails)
    job = the_job(app, job_id_of(propose_drafts(sign_in_as(org.manager), 0)))
    assert len(calls) == 2
    assert job.status == "failed"
    assert job.error_message is not None and "Nothing was saved" in job.error_message
    assert plans(app) == []  # the first draft went with the second
    assert created_events(app) == []


@pytest.mark.usefixtures("evidence")
def test_a_supervisor_cannot_propose_for_another_team(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    response = propose_drafts(sign_in_as(org.supervisor_a), org.team_b.id)
    assert response.status_code == 404
    assert jobs(app) == 0 and plans(app) == []


@pytest.mark.usefixtures("evidence")
def test_an_agent_may_not_propose_plans(app: Flask, org: Organisation, sign_in_as: Any) -> None:
    client = sign_in_as(org.agent_a1)
    assert PATH not in client.get("/training/").get_data(as_text=True)
    token = csrf_token(client, "/account")
    response = client.post(PATH, data={"team_id": str(org.team_a.id), "csrf_token": token})
    assert response.status_code == 403
    assert jobs(app) == 0 and plans(app) == []


def test_a_team_without_active_agents_starts_no_job(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    with app.app_context():
        for agent in (org.agent_b1, org.agent_b2):
            db.session.get_one(User, agent.id).active = False
        db.session.commit()
    response = propose_drafts(sign_in_as(org.supervisor_b), org.team_b.id)
    assert response.status_code == 302
    assert jobs(app) == 0


def _queued(app: Flask, starter: User, team_id: int | None) -> int:
    """A "propose draft plans" job recorded, not yet run; its id."""
    with app.test_request_context():
        user = db.session.get_one(User, starter.id)
        job = start_draft_plans_job(user, team_id, agents=2, language="en")
        db.session.commit()
        return job.id


@pytest.mark.usefixtures("evidence")
def test_a_supervisor_who_lost_the_team_meanwhile_proposes_nothing(
    app: Flask, org: Organisation
) -> None:
    job_id = _queued(app, org.supervisor_a, org.team_a.id)
    take_teams_from(app, org.supervisor_a.id)
    job = run_recorded(app, job_id)
    assert (job.status, job.error_message) == (
        "failed",
        "You no longer coach this team, so no plans were proposed for it.",
    )
    assert plans(app) == []


@pytest.mark.usefixtures("evidence")
def test_all_my_teams_follows_the_teams_the_supervisor_has_when_it_runs(
    app: Flask, org: Organisation
) -> None:
    job_id = _queued(app, org.supervisor_a, None)
    take_teams_from(app, org.supervisor_a.id)
    job = run_recorded(app, job_id)
    assert job.status == "done"
    assert job.result_message is not None
    assert job.result_message.startswith("No draft plan was proposed.")
    assert plans(app) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"role": Role.AGENT},
            "The account that started this job no longer coaches agents. No plans were proposed.",
        ),
        (
            {"active": False},
            "The account that started this job is no longer active. No plans were proposed.",
        ),
    ],
)
@pytest.mark.usefixtures("evidence")
def test_a_starter_who_no_longer_coaches_proposes_nothing(
    app: Flask, org: Organisation, change: dict[str, Any], message: str
) -> None:
    job_id = _queued(app, org.manager, None)
    change_user(app, org.manager.id, change)
    job = run_recorded(app, job_id)
    assert (job.status, job.error_message) == ("failed", message)
    assert plans(app) == []


def test_the_summary_says_only_what_happened(app_context: None) -> None:
    from qa_app.training.generate_job import draft_plans_summary

    made = proposals.Outcome(User(display_name="A"), "created")
    assert draft_plans_summary([made, made]) == (
        "Proposed 2 draft plans: review each and issue it from its page."
    )
    assert draft_plans_summary([]) == "No draft plan was proposed."
