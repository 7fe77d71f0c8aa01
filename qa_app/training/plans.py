"""A training plan's life: created (proposed or blank) as a draft, edited and issued by the
coach, acknowledged and worked through by the agent, closed by the coach.

Every change is audited. Services add and flush; the view or command commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.database import utcnow
from qa_app.errors import RuleError
from qa_app.extensions import db
from qa_app.notifications import events as notify
from qa_app.stats.services import period_bounds
from qa_app.training.models import (
    OPEN_PLAN,
    ItemStatus,
    PlanStatus,
    TrainingModule,
    TrainingPlan,
    TrainingPlanItem,
)
from qa_app.training.rules import ProposedItem

MAX_ITEMS = 12
# Plans whose items the agent works on.
WORKING = (PlanStatus.ISSUED, PlanStatus.ACKNOWLEDGED)


class PlanRuleError(RuleError, ValueError):
    """A plan change the rules do not allow now (the message is user-facing)."""


def open_plan(agent_id: int) -> TrainingPlan | None:
    """The agent's plan that is not closed yet, if any (there is at most one)."""
    return db.session.scalar(
        sa.select(TrainingPlan).where(
            TrainingPlan.agent_id == agent_id, TrainingPlan.status.in_(OPEN_PLAN)
        )
    )


def centre_today() -> date:
    """Today in the centre's time zone (QA_TIMEZONE)."""
    return datetime.now(get_timezone()).date()


@dataclass(frozen=True)
class Progress:
    """How far an agent is through a plan."""

    total: int
    done: int
    overdue: int
    next_due: date | None


def progress(plan: TrainingPlan, today: date) -> Progress:
    """Items done and overdue, and the next due date of an unfinished item."""
    unfinished = [item for item in plan.items if item.status != ItemStatus.DONE]
    return Progress(
        total=len(plan.items),
        done=len(plan.items) - len(unfinished),
        overdue=sum(1 for item in unfinished if item.is_overdue(today)),
        next_due=min((item.due_on for item in unfinished), default=None),
    )


def _item_record(item: TrainingPlanItem) -> dict[str, Any]:
    return {
        "item_id": item.id,
        "module_id": item.module_id,
        "position": item.position,
        "due_on": item.due_on.isoformat(),
        "status": item.status,
        "coach_notes": item.coach_notes,
    }


def _audit(action: str, plan: TrainingPlan, actor: User | None, **changes: Any) -> None:
    record_event(
        f"training_plan.{action}",
        "training_plan",
        plan.id,
        before=changes.pop("before", None),
        after=changes or None,
        actor_id=actor.id if actor else None,
    )


def create_plan(
    agent: User,
    start: date,
    end: date,
    actor: User | None,
    items: Sequence[ProposedItem] = (),
    *,
    job_id: int | None = None,
) -> TrainingPlan:
    """A draft plan for the agent with the given items; refused when one is already open.
    `job_id` names the job that proposed it (the web's "Propose draft plans") in its audit
    event."""
    existing = open_plan(agent.id)
    if existing is not None:
        raise PlanRuleError(
            _(
                "%(name)s already has an open training plan (#%(id)d).",
                name=agent.display_name,
                id=existing.id,
            )
        )
    modules = {
        key: module_id
        for key, module_id in db.session.execute(
            sa.select(TrainingModule.key, TrainingModule.id).where(
                TrainingModule.key.in_([item.module for item in items])
            )
        )
    }
    plan = TrainingPlan(
        agent_id=agent.id,
        status=PlanStatus.DRAFT,
        period_start=start,
        period_end=end,
        evidence_from=period_bounds(start, end, get_timezone())[0],
        created_by_id=actor.id if actor else None,
    )
    for position, item in enumerate(items, start=1):
        plan.items.append(
            TrainingPlanItem(
                module_id=modules[item.module],
                position=position,
                focus_kind=item.focus.kind,
                focus_key=item.focus.key,
                focus_label=item.focus.label,
                priority=round(item.focus.priority, 4),
                reason=item.reason,
                due_on=item.due_on,
                status=ItemStatus.ASSIGNED,
            )
        )
    db.session.add(plan)
    db.session.flush()
    _audit(
        "created",
        plan,
        actor,
        agent_id=agent.id,
        period=[start.isoformat(), end.isoformat()],
        items=[
            {"module": item.module, "focus": f"{item.focus.kind}:{item.focus.key}",
             "priority": round(item.focus.priority, 4), "due_on": item.due_on.isoformat()}
            for item in items
        ],
        **({"job": job_id} if job_id else {}),
    )  # fmt: skip
    return plan


def _check_open(plan: TrainingPlan) -> None:
    if not plan.is_open:
        raise PlanRuleError(_l("This plan is closed and can no longer change."))


def _touch(plan: TrainingPlan) -> None:
    """Bump the plan's version with any item change, so concurrent edits are detected."""
    plan.updated_at = utcnow()


def add_item(
    plan: TrainingPlan,
    module: TrainingModule,
    due_on: date,
    actor: User,
    *,
    reason: str = "",
    coach_notes: str | None = None,
) -> TrainingPlanItem:
    """Add a catalogue module to an open plan (at the end)."""
    _check_open(plan)
    if not module.active:
        raise PlanRuleError(_l("This module has been withdrawn from the catalogue."))
    if any(item.module_id == module.id for item in plan.items):
        raise PlanRuleError(_l("The plan already has this module."))
    if len(plan.items) >= MAX_ITEMS:
        raise PlanRuleError(
            ngettext(
                "A plan holds at most %(num)d item; close or trim this one first.",
                "A plan holds at most %(num)d items; close or trim this one first.",
                MAX_ITEMS,
            )
        )
    item = TrainingPlanItem(
        module_id=module.id,
        position=max((i.position for i in plan.items), default=0) + 1,
        reason=reason.strip(),
        coach_notes=(coach_notes or "").strip() or None,
        due_on=due_on,
        status=ItemStatus.ASSIGNED,
    )
    plan.items.append(item)
    _touch(plan)
    db.session.flush()
    _audit("item_added", plan, actor, **_item_record(item))
    return item


def update_item(item: TrainingPlanItem, due_on: date, coach_notes: str | None, actor: User) -> None:
    """Change an item's due date and the coach's notes."""
    plan = item.plan
    _check_open(plan)
    before = _item_record(item)
    item.due_on = due_on
    item.coach_notes = (coach_notes or "").strip() or None
    after = _item_record(item)
    if after != before:
        _touch(plan)
        db.session.flush()
        _audit("item_changed", plan, actor, before=before, **after)


def remove_item(item: TrainingPlanItem, actor: User) -> None:
    """Drop an item from an open plan; the others close up."""
    plan = item.plan
    _check_open(plan)
    record = _item_record(item)
    plan.items.remove(item)
    for position, other in enumerate(plan.items, start=1):
        other.position = position
    _touch(plan)
    db.session.flush()
    _audit("item_removed", plan, actor, before=record)


def move_item(item: TrainingPlanItem, offset: int, actor: User) -> None:
    """Move an item up (offset −1) or down (+1) the plan."""
    plan = item.plan
    _check_open(plan)
    items = list(plan.items)
    index = items.index(item)
    target = index + offset
    if not 0 <= target < len(items) or offset not in (-1, 1):
        return
    items[index], items[target] = items[target], items[index]
    for position, other in enumerate(items, start=1):
        other.position = position
    _touch(plan)
    db.session.flush()
    _audit("item_moved", plan, actor, item_id=item.id, position=item.position)


def update_notes(plan: TrainingPlan, notes: str | None, actor: User) -> None:
    """The coach's notes on the whole plan."""
    _check_open(plan)
    notes = (notes or "").strip() or None
    if notes != plan.notes:
        before = {"notes": plan.notes}
        plan.notes = notes
        db.session.flush()
        _audit("notes_changed", plan, actor, before=before, notes=notes)


def issue_plan(plan: TrainingPlan, actor: User) -> None:
    """Hand a draft plan to the agent."""
    if plan.status != PlanStatus.DRAFT:
        raise PlanRuleError(_l("Only a draft plan can be issued."))
    if not plan.items:
        raise PlanRuleError(_l("Add at least one item before issuing the plan."))
    plan.status = PlanStatus.ISSUED
    plan.issued_at = utcnow()
    plan.issued_on = centre_today()
    plan.issued_by_id = actor.id
    db.session.flush()
    _audit("issued", plan, actor, before={"status": PlanStatus.DRAFT}, status=plan.status)
    notify.plan_issued(plan)


def acknowledge_plan(plan: TrainingPlan, agent: User, comment: str | None) -> None:
    """The agent confirms they have read their issued plan."""
    if plan.agent_id != agent.id:
        raise PlanRuleError(_l("Only the agent can acknowledge their plan."))
    if plan.status != PlanStatus.ISSUED:
        raise PlanRuleError(_l("Only an issued plan can be acknowledged."))
    plan.status = PlanStatus.ACKNOWLEDGED
    plan.acknowledged_at = utcnow()
    plan.acknowledgement_comment = (comment or "").strip() or None
    db.session.flush()
    _audit(
        "acknowledged",
        plan,
        agent,
        before={"status": PlanStatus.ISSUED},
        status=plan.status,
        comment=plan.acknowledgement_comment,
    )
    notify.plan_acknowledged(plan)


def set_item_status(item: TrainingPlanItem, status: ItemStatus, actor: User) -> None:
    """Mark an item assigned, in progress or done, once the plan is issued."""
    plan = item.plan
    if plan.status not in WORKING:
        raise PlanRuleError(_l("Items can be updated only while the plan is issued."))
    if item.status == status:
        return
    before = {"item_id": item.id, "status": item.status}
    item.status = status
    now = utcnow()
    if status == ItemStatus.IN_PROGRESS and item.started_at is None:
        item.started_at = now
    item.completed_at = now if status == ItemStatus.DONE else None
    _touch(plan)
    db.session.flush()
    _audit("item_status", plan, actor, before=before, item_id=item.id, status=status)


def close_plan(plan: TrainingPlan, actor: User, note: str | None) -> None:
    """The coach closes an issued plan (done, or overtaken by events) with a note."""
    if plan.status not in WORKING:
        raise PlanRuleError(_l("Only an issued plan can be closed; discard a draft instead."))
    before = {"status": plan.status}
    plan.status = PlanStatus.CLOSED
    plan.closed_at = utcnow()
    plan.closed_on = centre_today()
    plan.closed_by_id = actor.id
    plan.closing_note = (note or "").strip() or None
    db.session.flush()
    _audit("closed", plan, actor, before=before, status=plan.status, note=plan.closing_note)


def discard_draft(plan: TrainingPlan, actor: User) -> None:
    """Delete a draft plan that was never issued (the agent never saw it)."""
    if plan.status != PlanStatus.DRAFT:
        raise PlanRuleError(_l("Only a draft plan can be discarded."))
    record = {
        "agent_id": plan.agent_id,
        "items": [_item_record(item) for item in plan.items],
    }
    _audit("discarded", plan, actor, before=record)
    db.session.delete(plan)
    db.session.flush()
