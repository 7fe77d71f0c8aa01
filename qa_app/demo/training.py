"""Demo training plans in every state, and coaching sessions, proposed from the demo evidence.

Plans go through the real services (proposal, issue, acknowledgement, progress, closure);
only their dates are moved into the past, so that follow-up has a before and an after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.coaching.sessions import discussable_evaluations, record_session
from qa_app.demo.organisation import DEMO_DOMAIN
from qa_app.extensions import db
from qa_app.training import plans
from qa_app.training.models import ItemStatus, TrainingPlan
from qa_app.training.proposals import propose

# (state, days since the plan was issued, whether the coaching works) for the demo agents in
# the order they were created: the first two, whose logins seed-demo prints, have a plan to
# work on. Where it works, the agent's weak criteria recover from the day of issue on
# (qa_app.demo.activity), so "Did coaching work?" shows changes and no changes side by side.
STORIES = (
    ("acknowledged", 24, True),
    ("issued", 2, False),
    ("closed", 100, True),
    ("closed", 95, True),
    ("draft", 0, False),
    ("draft", 0, False),
    ("acknowledged", 40, True),
    ("issued", 6, False),
)


def story_agents() -> list[User]:
    """The demo agents the STORIES are told of, in their order."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.AGENT, User.active.is_(True), User.team_id.is_not(None))
            .where(User.email.like(f"%@{DEMO_DOMAIN}"))
            .order_by(User.id)
        )
    )


def coaching_that_works(today: date) -> dict[int, date]:
    """Agent id → the day their plan is issued, for the agents whose coaching works."""
    return {
        agent.id: today - timedelta(days=age)
        for agent, (_state, age, works) in zip(story_agents(), STORIES, strict=False)
        if works
    }


@dataclass(frozen=True)
class TrainingSummary:
    """What seed_training created."""

    plans: int = 0
    sessions: int = 0


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), UTC)


def _plan(agent: User, coach: User, state: str, age: int, today: date) -> TrainingPlan | None:
    issued_on = today - timedelta(days=age)
    end = issued_on - timedelta(days=1) if age else today
    start = end - timedelta(days=89)
    proposal = propose(agent, start, end, issued_on)
    if not proposal.items:
        return None
    plan = plans.create_plan(agent, start, end, coach, proposal.items)
    if state == "draft":
        return plan
    plans.issue_plan(plan, coach)
    plan.issued_at, plan.issued_on = _at(issued_on), issued_on
    if state in ("acknowledged", "closed"):
        plans.acknowledge_plan(plan, agent, "Thanks, I'll start with the first one.")
        plan.acknowledged_at = _at(issued_on + timedelta(days=1))
        first = plan.items[0]
        plans.set_item_status(first, ItemStatus.DONE, agent)
        # Done yesterday at the latest: 10:00 today may still lie ahead.
        first.completed_at = _at(min(today - timedelta(days=1), first.due_on - timedelta(days=2)))
        if len(plan.items) > 1:
            plans.set_item_status(plan.items[1], ItemStatus.IN_PROGRESS, agent)
    if state == "closed":
        for item in plan.items[1:]:
            plans.set_item_status(item, ItemStatus.DONE, agent)
        plans.close_plan(plan, coach, "All modules done; the scores have picked up.")
        plan.closed_on = issued_on + timedelta(days=60)
        plan.closed_at = _at(plan.closed_on)
    return plan


def seed_training(today: date) -> TrainingSummary:
    """Create the demo plans and sessions once (nothing when any plan exists)."""
    if db.session.scalar(sa.select(TrainingPlan.id).limit(1)) is not None:
        return TrainingSummary()
    created, sessions = 0, 0
    for agent, (state, age, _works) in zip(story_agents(), STORIES, strict=False):
        if agent.team is None or not agent.team.supervisors:  # the query keeps team members
            continue
        coach = min(agent.team.supervisors, key=lambda user: user.id)  # the one who scores
        plan = _plan(agent, coach, state, age, today)
        if plan is None:
            continue
        created += 1
        if state in ("acknowledged", "issued"):
            assert plan.issued_on is not None  # _plan issues the plans in these states
            evaluations = [e.id for e in discussable_evaluations(agent.id, limit=2)]
            session = record_session(
                coach,
                agent,
                plan.issued_on + timedelta(days=1),
                "Listened to two recent calls together. Good rapport at the start; the "
                "customer's frustration was not acknowledged before moving to the fix.",
                "Try one empathy statement before troubleshooting; review in two weeks.",
                evaluations,
                [plan.items[0].id],
            )
            if state == "acknowledged":
                session.acknowledged_at = _at(plan.issued_on + timedelta(days=2))
            sessions += 1
    db.session.flush()
    return TrainingSummary(created, sessions)
