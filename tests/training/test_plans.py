"""A plan's life: edited and issued by the coach, acknowledged and worked through by the
agent, closed by the coach; every change audited; each person sees only what is theirs;
and the follow-up before and after the plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.evaluations import services
from qa_app.evaluations.models import SCORED, Answer, Evaluation
from qa_app.extensions import db
from qa_app.interactions.services import create_interaction
from qa_app.stats.models import AgentDailyStat
from qa_app.training import plans
from qa_app.training.followup import compare_items
from qa_app.training.models import (
    FocusKind,
    ItemStatus,
    PlanStatus,
    TrainingModule,
    TrainingPlan,
    TrainingPlanItem,
)
from tests.conftest import Organisation, post_form

PLAN = "/training/plans/{}"


def _module(key: str) -> TrainingModule:
    module = db.session.scalar(sa.select(TrainingModule).where(TrainingModule.key == key))
    if module is None:
        module = TrainingModule(
            key=key, title=key.title(), skill="Skill", description="About it.", expected_minutes=30
        )
        db.session.add(module)
        db.session.flush()
    return module


def _actions(app: Flask, plan_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.action)
                .where(AuditEvent.entity_type == "training_plan", AuditEvent.entity_id == plan_id)
                .order_by(AuditEvent.id)
            )
        )


# The draft's due dates lie ahead of whichever day the suite runs on, so that nothing in it
# is overdue unless a test makes it so.
FIRST_DUE = date.today() + timedelta(days=23)
SECOND_DUE = FIRST_DUE + timedelta(days=14)


@pytest.fixture
def draft(app: Flask, org: Organisation) -> int:
    """A draft plan for agent A1 by supervisor A, with two items."""
    with app.app_context():
        supervisor = db.session.get(User, org.supervisor_a.id)
        agent = db.session.get(User, org.agent_a1.id)
        plan = plans.create_plan(agent, date(2026, 8, 1), date(2026, 10, 31), supervisor)
        plans.add_item(plan, _module("empathy-statements"), FIRST_DUE, supervisor)
        plans.add_item(plan, _module("call-control"), SECOND_DUE, supervisor)
        db.session.commit()
        return plan.id


def _plan(app: Flask, plan_id: int) -> dict[str, Any]:
    with app.app_context():
        plan = db.session.get(TrainingPlan, plan_id)
        if plan is None:
            return {}
        return {
            "status": plan.status,
            "items": [(i.module.key, i.position, i.status, i.due_on) for i in plan.items],
            "notes": plan.notes,
        }


def test_the_coach_edits_issues_and_closes_while_the_agent_works_through_it(
    app: Flask, org: Organisation, draft: int, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    coach = sign_in_as(org.supervisor_a)
    agent = sign_in_as(org.agent_a1)
    page = PLAN.format(draft)
    assert agent.get(page).status_code == 404  # a draft is the coach's, not the agent's yet

    with app.app_context():
        item_ids = [i.id for i in db.session.get(TrainingPlan, draft).items]
        module_id = _module("greeting-opening").id
        db.session.commit()
    post_form(coach, page + "/items", {"module_id": module_id, "due_on": "2026-12-20",
                                       "reason": "Greeting missed twice."})  # fmt: skip
    post_form(coach, f"{page}/items/{item_ids[1]}/move", {"direction": "up"})
    post_form(coach, f"{page}/items/{item_ids[0]}", {"due_on": "2026-12-05", "coach_notes": "Go"})
    post_form(coach, page + "/notes", {"notes": "Let's focus on empathy first."})
    assert _plan(app, draft) == {
        "status": PlanStatus.DRAFT,
        "items": [
            ("call-control", 1, ItemStatus.ASSIGNED, SECOND_DUE),
            ("empathy-statements", 2, ItemStatus.ASSIGNED, date(2026, 12, 5)),
            ("greeting-opening", 3, ItemStatus.ASSIGNED, date(2026, 12, 20)),
        ],
        "notes": "Let's focus on empathy first.",
    }
    post_form(coach, f"{page}/items/{item_ids[1]}/remove")
    assert [key for key, *_ in _plan(app, draft)["items"]] == [
        "empathy-statements",
        "greeting-opening",
    ]
    assert [position for _, position, *_ in _plan(app, draft)["items"]] == [1, 2]

    assert post_form(coach, page + "/issue").status_code == 302
    assert _plan(app, draft)["status"] == PlanStatus.ISSUED
    html = agent.get(page).get_data(as_text=True)
    assert "Greeting missed twice." in html
    assert "Let&#39;s focus on empathy first." in html

    post_form(agent, page + "/acknowledge", {"comment": "Thanks"})
    post_form(agent, f"{page}/items/{item_ids[0]}/status", {"status": "done"})
    assert _plan(app, draft)["status"] == PlanStatus.ACKNOWLEDGED
    assert _plan(app, draft)["items"][0][2] == ItemStatus.DONE

    post_form(coach, page + "/close", {"note": "Good progress."})
    assert _plan(app, draft)["status"] == PlanStatus.CLOSED
    # A closed plan no longer changes.
    post_form(coach, page + "/notes", {"notes": "late"})
    assert _plan(app, draft)["notes"] == "Let's focus on empathy first."
    assert _actions(app, draft) == [
        "training_plan.created",
        "training_plan.item_added",
        "training_plan.item_added",
        "training_plan.item_added",
        "training_plan.item_moved",
        "training_plan.item_changed",
        "training_plan.notes_changed",
        "training_plan.item_removed",
        "training_plan.issued",
        "training_plan.acknowledged",
        "training_plan.item_status",
        "training_plan.closed",
    ]


def test_lifecycle_rules(app: Flask, org: Organisation, draft: int) -> None:
    with app.app_context():
        plan = db.session.get(TrainingPlan, draft)
        coach = db.session.get(User, org.supervisor_a.id)
        agent = db.session.get(User, org.agent_a1.id)
        other = db.session.get(User, org.agent_a2.id)
        item = plan.items[0]
        with pytest.raises(plans.PlanRuleError, match="only while the plan is issued"):
            plans.set_item_status(item, ItemStatus.DONE, agent)
        with pytest.raises(plans.PlanRuleError, match="Only an issued plan can be acknowledged"):
            plans.acknowledge_plan(plan, agent, None)
        with pytest.raises(plans.PlanRuleError, match="already has this module"):
            plans.add_item(plan, item.module, date(2027, 1, 1), coach)
        with pytest.raises(plans.PlanRuleError, match="discard a draft instead"):
            plans.close_plan(plan, coach, None)
        plans.issue_plan(plan, coach)
        with pytest.raises(plans.PlanRuleError, match="Only a draft plan can be issued"):
            plans.issue_plan(plan, coach)
        with pytest.raises(plans.PlanRuleError, match="Only the agent"):
            plans.acknowledge_plan(plan, other, None)
        with pytest.raises(plans.PlanRuleError, match="Only a draft plan can be discarded"):
            plans.discard_draft(plan, coach)
        plans.set_item_status(item, ItemStatus.IN_PROGRESS, agent)
        assert item.started_at is not None and item.completed_at is None
        plans.set_item_status(item, ItemStatus.DONE, agent)
        assert item.completed_at is not None
        plans.set_item_status(item, ItemStatus.IN_PROGRESS, agent)
        assert item.completed_at is None


def test_an_empty_draft_cannot_be_issued_and_a_draft_can_be_discarded(
    app: Flask, org: Organisation
) -> None:
    with app.app_context():
        coach = db.session.get(User, org.supervisor_a.id)
        agent = db.session.get(User, org.agent_a1.id)
        plan = plans.create_plan(agent, date(2026, 8, 1), date(2026, 10, 31), coach)
        with pytest.raises(plans.PlanRuleError, match="at least one item"):
            plans.issue_plan(plan, coach)
        plan_id = plan.id
        plans.discard_draft(plan, coach)
        db.session.commit()
        assert db.session.get(TrainingPlan, plan_id) is None
    assert _actions(app, plan_id) == ["training_plan.created", "training_plan.discarded"]


@pytest.mark.parametrize("who", ["agent_a2", "supervisor_b", "supervisor_none"])
def test_other_people_cannot_see_or_touch_the_plan(
    app: Flask,
    org: Organisation,
    draft: int,
    sign_in_as: Callable[[User], FlaskClient],
    who: str,
) -> None:
    with app.app_context():
        plan = db.session.get(TrainingPlan, draft)
        plans.issue_plan(plan, db.session.get(User, org.supervisor_a.id))
        item_id = plan.items[0].id
        db.session.commit()
    client = sign_in_as(org.member(who))
    page = PLAN.format(draft)
    before = _plan(app, draft)
    assert client.get(page).status_code == 404
    assert f'href="{page}"' not in client.get("/training/").get_data(as_text=True)
    for path, data in [
        (f"{page}/items/{item_id}/status", {"status": "done"}),
        (page + "/acknowledge", {}),
        (page + "/close", {"note": "x"}),
        (page + "/notes", {"notes": "x"}),
        (f"{page}/items/{item_id}/remove", {}),
    ]:
        assert post_form(client, path, data).status_code in (403, 404), path
    assert _plan(app, draft) == before


def test_the_agent_cannot_edit_their_own_plan(
    app: Flask, org: Organisation, draft: int, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    with app.app_context():
        plans.issue_plan(
            db.session.get(TrainingPlan, draft), db.session.get(User, org.supervisor_a.id)
        )
        db.session.commit()
    agent = sign_in_as(org.agent_a1)
    before = _plan(app, draft)
    for path in ("/notes", "/close", "/issue", "/items"):
        assert post_form(agent, PLAN.format(draft) + path, {"notes": "x"}).status_code == 403
    assert agent.get(f"/training/agents/{org.agent_a1.id}/new").status_code == 403
    assert _plan(app, draft) == before


def test_supervisors_propose_only_for_their_teams(
    org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    assert supervisor.get(f"/training/agents/{org.agent_a2.id}/new").status_code == 200
    assert supervisor.get(f"/training/agents/{org.agent_b1.id}/new").status_code == 404
    assert supervisor.get(f"/training/agents/{org.supervisor_b.id}/new").status_code == 404


def test_overdue_items_are_flagged_to_agent_and_coach(
    app: Flask, org: Organisation, draft: int, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    with app.app_context():
        plan = db.session.get(TrainingPlan, draft)
        plan.items[0].due_on = date.today() - timedelta(days=1)
        plans.issue_plan(plan, db.session.get(User, org.supervisor_a.id))
        db.session.commit()
    for who in ("agent_a1", "supervisor_a"):
        client = sign_in_as(org.member(who))
        assert client.get(PLAN.format(draft)).get_data(as_text=True).count(">overdue<") == 1
        assert ">overdue<" in client.get("/").get_data(as_text=True), who
    with app.app_context():
        progress = plans.progress(db.session.get(TrainingPlan, draft), date.today())
        assert (progress.total, progress.done, progress.overdue) == (2, 0, 1)


def test_follow_up_compares_before_and_after_the_plan(
    app: Flask, org: Organisation, records: dict[str, int]
) -> None:
    """Before: answers in the days before issue; after: as many days since issue. Two
    answers on a side are too few for any verdict."""
    issued = datetime.now(UTC) - timedelta(days=5)
    with app.app_context():
        plan = db.session.get(TrainingPlan, records["plan_id"])
        plan.evidence_from = issued - timedelta(days=60)
        plan.issued_at, plan.issued_on = issued, issued.date()
        item = plan.items[0]
        item.focus_kind, item.focus_key = FocusKind.CRITERION, "empathy"
        kpi = TrainingPlanItem(
            module=_module("call-control"), position=2, focus_kind=FocusKind.KPI,
            focus_key="aht_seconds", due_on=date(2027, 1, 1), status=ItemStatus.ASSIGNED,
        )  # fmt: skip
        plan.items.append(kpi)
        manual = TrainingPlanItem(
            module=_module("resilience"), position=3, due_on=date(2027, 1, 1), status="assigned"
        )
        plan.items.append(manual)
        # The records' three scored evaluations of agent A1 (empathy 4 → r 0.75): two before
        # the plan, one after.
        evaluations = db.session.scalars(
            sa.select(Evaluation)
            .where(Evaluation.agent_id == org.agent_a1.id, Evaluation.submitted_at.is_not(None))
            .order_by(Evaluation.id)
        ).all()
        assert len(evaluations) == 3
        evaluations[0].submitted_at = issued - timedelta(days=10)
        evaluations[1].submitted_at = issued - timedelta(days=2)
        evaluations[2].submitted_at = issued + timedelta(days=1)
        answer = db.session.scalar(
            sa.select(Answer).where(
                Answer.evaluation_id == evaluations[2].id, Answer.criterion_key == "empathy"
            )
        )
        answer.normalised = 1.0
        for offset, handle in ((-3, 480), (-2, 480), (1, 400)):
            db.session.add(
                AgentDailyStat(
                    agent_id=org.agent_a1.id,
                    day=issued.date() + timedelta(days=offset),
                    contacts_handled=10,
                    handle_seconds=10 * handle,
                )
            )
        db.session.commit()
        now, today = datetime.now(UTC), datetime.now(UTC).date()
        comparisons = compare_items(plan.items, statuses=SCORED, now=now, today=today, days=60)
        empathy = comparisons[item.id]
        # The plan is 5 days old: 5 days on each side, so the evaluation 10 days before the
        # issue is left out.
        assert (empathy.before, empathy.before_n, empathy.after, empathy.after_n) == (
            0.75,
            1,
            1.0,
            1,
        )
        assert empathy.verdict == "too_few"  # one evaluation after the plan is no verdict yet
        aht = comparisons[kpi.id]
        # AHT from summed days; n counts the days with figures on each side (5 days each).
        assert (aht.before, aht.before_n, aht.after, aht.after_n) == (480, 2, 400, 1)
        assert aht.verdict == "too_few"
        assert manual.id not in comparisons

        # A second evaluation after the plan (empathy 5 → r 1): still too few to tell.
        agent = db.session.get(User, org.agent_a1.id)
        supervisor = db.session.get(User, org.supervisor_a.id)
        interaction = create_interaction(
            agent, channel="phone", actor=supervisor, occurred_at=datetime.now(UTC),
            external_ref="CALL-AFTER",
        )  # fmt: skip
        evaluation = services.start_evaluation(
            supervisor, interaction, evaluations[0].version.scorecard
        )
        edit = services.Edit({"greeting": True, "empathy": 5}, {}, {}, evaluation.lock_version)
        services.submit(evaluation, edit, supervisor)
        db.session.commit()
        now = datetime.now(UTC)
        empathy = compare_items(plan.items, statuses=SCORED, now=now, today=today, days=60)[item.id]
        assert (empathy.after, empathy.after_n, empathy.verdict) == (1.0, 2, "too_few")


def test_follow_up_page_for_the_team(
    app: Flask,
    org: Organisation,
    records: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    with app.app_context():
        item = db.session.get(TrainingPlan, records["plan_id"]).items[0]
        item.focus_kind, item.focus_key, item.focus_label = (
            FocusKind.CRITERION,
            "empathy",
            "Empathy",
        )
        db.session.commit()
    page = sign_in_as(org.supervisor_a).get("/training/follow-up").get_data(as_text=True)
    assert "Empathy" in page and org.agent_a1.display_name in page
    other = sign_in_as(org.supervisor_b).get("/training/follow-up").get_data(as_text=True)
    assert org.agent_a1.display_name not in other


def test_a_concurrent_change_to_the_plan_is_not_lost(
    app: Flask, org: Organisation, draft: int
) -> None:
    """Two coaches editing at once: the second save, based on a stale plan, is refused."""
    with app.app_context():
        plan = db.session.get(TrainingPlan, draft)
        coach = db.session.get(User, org.supervisor_a.id)
        version = plan.lock_version
        # This coach's page was loaded before the other's save: keep the loaded state.
        db.session().expire_on_commit = False
        db.session.commit()
        with db.engine.begin() as other:  # the other coach's save lands first
            other.execute(
                sa.update(TrainingPlan)
                .where(TrainingPlan.id == draft)
                .values(notes="Theirs", lock_version=version + 1)
            )
        with pytest.raises(sa.orm.exc.StaleDataError):
            plans.update_notes(plan, "Mine", coach)
        db.session.rollback()
    assert _plan(app, draft)["notes"] == "Theirs"
