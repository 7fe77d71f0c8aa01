"""Records for three agents — A1, A2 (same team) and B1 (other team) — for the access tests.

Each agent gets the same set, made through the services: an interaction in their
supervisor's queue, a draft, a submitted (unreleased) and a released evaluation by their
supervisor, a released evaluation scored by the manager that the agent disputes, an issued
training plan with one item, a coaching session and a personal API token. Every free text
carries the agent's marker (`SECRET-agent_a2` …), so a test can tell whether a page leaks
another agent's records. Every viewer of the access tests also gets an API token of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.teams.models import Team
from tests.conftest import Organisation, finished_job

# The agents whose records are "own", "same team" and "other team" from agent A1's side (and
# from supervisor A's: A1 and A2 are both in their team, B1 is not).
RECORD_AGENTS = {"own": "agent_a1", "same": "agent_a2", "other": "agent_b1"}
RELATIONS = tuple(RECORD_AGENTS)
VIEWERS = ("anonymous", "admin", "manager", "supervisor_a", "supervisor_none", "agent_a1")
SUPERVISOR_OF = {"agent_a1": "supervisor_a", "agent_a2": "supervisor_a", "agent_b1": "supervisor_b"}
ANSWERS = {"greeting": True, "empathy": 4}


def marker(agent_key: str) -> str:
    """The text every free-text field about `agent_key` contains."""
    return f"SECRET-{agent_key}"


def build_world(
    app: Flask,
    org: Organisation,
    make_scorecard: Callable[..., str],
    make_evaluation: Callable[..., Any],
) -> dict[str, Any]:
    """Make the records; returns {agent_key: {kind: id}} plus "tokens" (viewer → token id),
    "secrets" (viewer → API token secret) and "scorecard_id"."""
    from qa_app.api.tokens import create_token
    from qa_app.scorecards.models import Scorecard
    from qa_app.training.models import TrainingModule

    slug = make_scorecard()
    world: dict[str, Any] = {"tokens": {}, "secrets": {}}
    with app.app_context():
        scorecard = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == slug))
        world["scorecard_id"] = scorecard.id
        module = TrainingModule(
            key="empathy-statements",
            title="Empathy statements",
            skill="Empathy",
            description="Acknowledging the customer's situation.",
            expected_minutes=45,
        )
        db.session.add(module)
        db.session.flush()
        manager = db.session.get(User, org.manager.id)
        for agent_key in RECORD_AGENTS.values():
            world[agent_key] = _agent_records(
                org, agent_key, scorecard, module, manager, make_evaluation
            )
        for key in (*VIEWERS[1:], *RECORD_AGENTS.values()):
            owner = db.session.get(User, org.member(key).id)
            new = create_token(owner, f"token of {key}", None, owner)
            world["tokens"][key], world["secrets"][key] = new.token.id, new.secret
        db.session.commit()
    return world


def _agent_records(
    org: Organisation,
    agent_key: str,
    scorecard: Any,
    module: Any,
    manager: User,
    make_evaluation: Callable[..., Any],
) -> dict[str, int]:
    from qa_app.auth.models import AgentIdentity
    from qa_app.coaching import sessions
    from qa_app.evaluations.models import Assignment, Dispute
    from qa_app.interactions.services import create_interaction
    from qa_app.notifications.models import Notification
    from qa_app.training import plans

    agent = db.session.get(User, org.member(agent_key).id)
    supervisor = db.session.get(User, org.member(SUPERVISOR_OF[agent_key]).id)
    team = db.session.get(Team, agent.team_id)
    secret = marker(agent_key)
    calls = iter(range(1, 10))
    call = {"transcript": f"Transcript {secret}", "created_by": supervisor}

    def evaluated(status: str, evaluator: User) -> Any:
        return make_evaluation(
            status,
            commit=False,
            agent=agent,
            evaluator=evaluator,
            scorecard=scorecard.slug,
            answers=ANSWERS,
            texts={
                "overall_comment": f"Comment {secret}",
                "strengths": None,
                "opportunities": None,
            },
            ref=f"CALL-{agent_key}-{next(calls)}",
            dispute_reason=f"Reason {secret}",
            **call,
        )

    first = create_interaction(
        agent,
        channel="phone",
        actor=supervisor,
        occurred_at=datetime(2026, 11, 2, 10, tzinfo=UTC),
        external_ref=f"CALL-{agent_key}-{next(calls)}",
        duration_seconds=300,
        transcript=f"Transcript {secret}",
    )
    assignment = Assignment(
        interaction_id=first.id, evaluator_id=supervisor.id, scorecard_id=scorecard.id
    )
    db.session.add(assignment)
    db.session.flush()
    ids = {
        "agent": agent.id,
        "team": team.id,
        "interaction": first.id,
        "assignment": assignment.id,
        "draft": make_evaluation(
            "draft",
            commit=False,
            agent=agent,
            evaluator=supervisor,
            scorecard=scorecard.slug,
            interaction=first,
        ).id,
    }
    team.release_mode = "manual"
    ids["submitted"] = evaluated("submitted", supervisor).id
    team.release_mode = "immediate"
    ids["released"] = evaluated("released", supervisor).id
    disputed = evaluated("disputed", manager)
    ids["disputed"] = disputed.id
    ids["dispute"] = db.session.scalar(
        sa.select(Dispute.id).where(Dispute.evaluation_id == disputed.id)
    )
    plan = plans.create_plan(agent, date(2026, 8, 1), date(2026, 10, 31), supervisor)
    ids["item"] = plans.add_item(
        plan, module, date(2026, 12, 15), supervisor, reason=f"Reason {secret}"
    ).id
    plans.issue_plan(plan, supervisor)
    ids["plan"] = plan.id
    ids["session"] = sessions.record_session(
        supervisor, agent, date(2026, 11, 3), f"Notes {secret}", None, [disputed.id]
    ).id
    identity = AgentIdentity(user_id=agent.id, source="pbx", external_id=f"ID-{agent_key}")
    db.session.add(identity)
    db.session.flush()
    ids["identity"] = identity.id
    # The agent's first notification (feedback released): theirs alone to open or mark.
    ids["notification"] = db.session.scalar(
        sa.select(sa.func.min(Notification.id)).where(Notification.recipient_id == agent.id)
    )
    # A finished job the agent started, with its result file: theirs and the admin's alone.
    ids["job"] = finished_job(agent.id, f"{agent_key}.xlsx").id
    return ids
