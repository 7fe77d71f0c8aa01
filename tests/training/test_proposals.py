"""Proposals from real evaluations and statistics: exact focus areas, priorities and reasons,
no plan without a gap, never a second open plan; and `flask training generate`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.stats.models import AgentDailyStat
from qa_app.training.catalogue import read_catalogue, sync_catalogue
from qa_app.training.models import PlanStatus, TrainingPlan
from qa_app.training.plans import PlanRuleError, create_plan
from qa_app.training.proposals import default_period, propose_plan
from tests.conftest import Organisation, scorecard_text

CATALOGUE = Path(__file__).resolve().parents[2] / "scorecards" / "training.toml"
CRITICAL_TOML = scorecard_text("verified-call")


@pytest.fixture
def score(org: Organisation, make_evaluation: Callable[..., Any]) -> Callable[..., None]:
    """score(slug, agent_key, answers): a submitted evaluation by the agent's supervisor."""
    counter = iter(range(1, 1000))

    def factory(slug: str, agent_key: str, answers: dict[str, object]) -> None:
        evaluator_key = "supervisor_a" if agent_key.startswith("agent_a") else "supervisor_b"
        make_evaluation(
            agent=org.member(agent_key),
            evaluator=org.member(evaluator_key),
            scorecard=slug,
            answers=answers,
            occurred_at=datetime.now(UTC) - timedelta(days=1),
            ref=f"CALL-{next(counter)}",
            duration_seconds=None,
        )

    return factory


@pytest.fixture
def catalogue(app: Flask) -> None:
    """The shipped training catalogue, loaded."""
    with app.app_context():
        sync_catalogue(read_catalogue(CATALOGUE))
        db.session.commit()


@pytest.fixture
def evidence(
    app: Flask,
    org: Organisation,
    make_scorecard: Callable[..., str],
    score: Callable[..., None],
    catalogue: None,
) -> None:
    """Agent A1: weak empathy (2, 3, 3 on 1..5), one greeting missed, AHT 8:00 against a
    6:00 target. Agent A2, same team: full marks, no statistics."""
    make_scorecard()
    for empathy, greeting in ((2, True), (3, True), (3, False)):
        score("test-call", "agent_a1", {"greeting": greeting, "empathy": empathy})
    for _ in range(3):
        score("test-call", "agent_a2", {"greeting": True, "empathy": 5})
    with app.app_context():
        db.session.add(
            AgentDailyStat(
                agent_id=org.agent_a1.id,
                day=date.today() - timedelta(days=2),
                contacts_handled=80,
                handle_seconds=80 * 480,
                logged_in_seconds=8 * 3600,
            )
        )
        db.session.commit()


def _propose(app: Flask, agent: User, actor: User | None = None) -> Any:
    with app.app_context():
        agent = db.session.get(User, agent.id)
        actor = db.session.get(User, actor.id) if actor else None
        outcome = propose_plan(agent, date.today(), actor)
        db.session.commit()
        result = {
            "result": outcome.result,
            "plan_id": outcome.plan.id if outcome.plan else None,
            "areas": [
                (a.kind.value, a.key, round(a.priority, 4), a.reason)
                for a in (outcome.proposal.areas if outcome.proposal else [])
            ],
        }
        if outcome.plan is not None:
            result["items"] = [
                (i.module.key, i.focus_kind, i.focus_key, i.priority, i.reason, i.due_on)
                for i in outcome.plan.items
            ]
            result["status"] = outcome.plan.status
        return result


def test_the_proposal_ranks_the_gaps_and_quotes_the_evidence(
    app: Flask, org: Organisation, evidence: None
) -> None:
    outcome = _propose(app, org.agent_a1, org.supervisor_a)
    empathy = (2 * (0.80 - 5 / 12), "Empathy averaged 42% over 3 evaluations; team 71%.")
    aht = (0.90 - 0.75, "Average handle time was 8:00 against a target of 6:00 (75% of target); "
                        "team 8:00.")  # fmt: skip
    greeting = (0.80 - 2 / 3, "Greeting averaged 67% over 3 evaluations; team 83%.")
    assert outcome["result"] == "created"
    assert outcome["areas"] == [
        ("criterion", "empathy", round(empathy[0], 4), empathy[1]),
        ("kpi", "aht_seconds", round(aht[0], 4), aht[1]),
        ("criterion", "greeting", round(greeting[0], 4), greeting[1]),
    ]
    today = date.today()
    assert outcome["items"] == [
        ("empathy-statements", "criterion", "empathy", round(empathy[0], 4), empathy[1],
         today + timedelta(days=14)),
        ("call-control", "kpi", "aht_seconds", round(aht[0], 4), aht[1],
         today + timedelta(days=28)),
        ("greeting-opening", "criterion", "greeting", round(greeting[0], 4), greeting[1],
         today + timedelta(days=42)),
    ]  # fmt: skip
    assert outcome["status"] == PlanStatus.DRAFT
    with app.app_context():
        plan = db.session.get(TrainingPlan, outcome["plan_id"])
        assert (plan.period_start, plan.period_end) == default_period(today)
        assert plan.created_by_id == org.supervisor_a.id
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "training_plan.created")
        )
        assert event.entity_id == plan.id
        assert [item["module"] for item in event.after["items"]] == [
            "empathy-statements",
            "call-control",
            "greeting-opening",
        ]


def test_no_gap_no_plan(app: Flask, org: Organisation, evidence: None) -> None:
    outcome = _propose(app, org.agent_a2)
    assert outcome == {"result": "no_gap", "plan_id": None, "areas": []}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(TrainingPlan.id))) == 0


def test_an_agent_without_any_evidence_gets_no_plan(
    app: Flask, org: Organisation, catalogue: None
) -> None:
    assert _propose(app, org.agent_b1)["result"] == "no_gap"


def test_never_a_second_open_plan(app: Flask, org: Organisation, evidence: None) -> None:
    first = _propose(app, org.agent_a1)
    again = _propose(app, org.agent_a1)
    assert again["result"] == "open_plan"
    assert again["plan_id"] == first["plan_id"]
    with app.app_context():
        agent = db.session.get(User, org.agent_a1.id)
        with pytest.raises(PlanRuleError, match="already has an open training plan"):
            create_plan(agent, date(2026, 1, 1), date(2026, 3, 31), None)
        # The database refuses it too, should two requests race past the check.
        db.session.add(
            TrainingPlan(
                agent_id=agent.id,
                status=PlanStatus.ISSUED,
                period_start=date(2026, 1, 1),
                period_end=date(2026, 3, 31),
                evidence_from=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(TrainingPlan.id))) == 1


def test_a_closed_plan_does_not_block_the_next(
    app: Flask, org: Organisation, evidence: None
) -> None:
    first = _propose(app, org.agent_a1)
    with app.app_context():
        plan = db.session.get(TrainingPlan, first["plan_id"])
        plan.status = PlanStatus.CLOSED
        db.session.commit()
    second = _propose(app, org.agent_a1)
    assert second["result"] == "created"
    assert second["plan_id"] != first["plan_id"]


def test_a_critical_failure_comes_first(
    app: Flask,
    org: Organisation,
    make_scorecard: Callable[..., str],
    score: Callable[..., None],
    catalogue: None,
) -> None:
    make_scorecard(CRITICAL_TOML)
    score("verified-call", "agent_b1", {"verification": False, "resolution": True})
    score("verified-call", "agent_b1", {"verification": True, "resolution": False})
    score("verified-call", "agent_b1", {"verification": True, "resolution": False})
    outcome = _propose(app, org.agent_b1, org.supervisor_b)
    assert outcome["areas"] == [
        (
            "critical",
            "verification",
            3.0,
            "Identity verification, a critical criterion, failed in 1 of 3 evaluations.",
        ),
        ("criterion", "resolution", round(0.80 - 1 / 3, 4),
         "Resolution averaged 33% over 3 evaluations; team 33%."),
    ]  # fmt: skip
    assert [item[0] for item in outcome["items"]] == [
        "compliance-verification",
        "structured-troubleshooting",
    ]


def test_cli_generates_drafts_for_a_team(
    app: Flask, runner: Any, org: Organisation, evidence: None
) -> None:
    result = runner.invoke(args=["training", "generate", "--team", "Team A"])
    assert result.exit_code == 0, result.output
    assert f"{org.agent_a1.email}: empathy-statements, call-control, greeting-opening" in (
        result.output
    )
    assert (
        "Training plans: 1 drafts proposed, 1 agents without a gap, 0 with an open plan "
        "already, 0 without a matching module (2 agents)." in result.output
    )
    again = runner.invoke(args=["training", "generate", "--agent", org.agent_a1.email])
    assert "open plan #" in again.output
    assert "0 drafts proposed" in again.output
    with app.app_context():
        plans = db.session.scalars(sa.select(TrainingPlan)).all()
        assert [(p.agent_id, p.status, p.created_by_id) for p in plans] == [
            (org.agent_a1.id, PlanStatus.DRAFT, None)
        ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--team", "Nope"], "No team named 'Nope'"),
        (["--agent", "nobody@example.test"], "No active agent with the e-mail"),
        (["--days", "3"], "Invalid value for '--days'"),
    ],
)
def test_cli_refuses_unknown_scopes(
    runner: Any, org: Organisation, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["training", "generate", *args])
    assert result.exit_code != 0
    assert message in result.output


def test_cli_days_sets_the_evidence_period(
    app: Flask, runner: Any, org: Organisation, evidence: None
) -> None:
    result = runner.invoke(
        args=["training", "generate", "--agent", "a1@example.test", "--days", "30"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        plan = db.session.scalar(sa.select(TrainingPlan))
        assert plan.period_end - plan.period_start == timedelta(days=29)
        assert db.session.get(User, plan.agent_id).role == Role.AGENT
