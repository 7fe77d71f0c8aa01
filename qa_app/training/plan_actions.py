"""Changes to a training plan: its items, and each step of its life. Routes of the
`training` blueprint (blueprint.py); each checks who may act, calls a service, commits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.training import plans
from qa_app.training.blueprint import bp
from qa_app.training.forms import (
    AcknowledgeForm,
    ClosePlanForm,
    ItemEditForm,
    ItemForm,
    ItemStatusForm,
    MoveForm,
    PlanNotesForm,
)
from qa_app.training.models import ItemStatus, TrainingModule, TrainingPlan
from qa_app.training.permissions import COACH_ROLES, can_coach
from qa_app.training.plan_lookup import PLAN_READERS, coached_plan_or_404, item_or_404, plan_or_404
from qa_app.web.forms import PostForm, required_data, to_choices
from qa_app.web.transaction import committing


def apply_change(
    plan: TrainingPlan, change: Callable[[], Any], success: str | None = None
) -> ResponseReturnValue:
    """Run a service change, commit, and go back to the plan (flashing the refusal)."""
    try:
        with committing(success):
            change()
    except sa.orm.exc.StaleDataError:  # already rolled back
        flash(_("Someone else changed this plan at the same time; here it is now."), "warning")
    return redirect(url_for("training.detail", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/items", methods=["POST"])
@role_required(*COACH_ROLES)
def add_item(plan_id: int) -> ResponseReturnValue:
    """Add a catalogue module to the plan."""
    plan = coached_plan_or_404(plan_id)
    form = ItemForm()
    form.module_id.choices = to_choices(
        (module.id, module.text("title"))
        for module in db.session.scalars(sa.select(TrainingModule).where(TrainingModule.active))
    )
    if not form.validate_on_submit():
        flash(_("Choose a module and a due date."), "danger")
        return redirect(url_for("training.detail", plan_id=plan.id))
    module = db.get_or_404(TrainingModule, form.module_id.data)
    return apply_change(
        plan,
        lambda: plans.add_item(
            plan,
            module,
            required_data(form.due_on.data),
            current_user,
            reason=form.reason.data or "",
            coach_notes=form.coach_notes.data,
        ),
        _("Module added."),
    )


@bp.route("/plans/<int:plan_id>/items/<int:item_id>", methods=["GET", "POST"])
@role_required(*COACH_ROLES)
def edit_item(plan_id: int, item_id: int) -> ResponseReturnValue:
    """Change an item's due date and the coach's notes."""
    plan = coached_plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    form = ItemEditForm(obj=item)
    if form.validate_on_submit():
        return apply_change(
            plan,
            lambda: plans.update_item(
                item, required_data(form.due_on.data), form.coach_notes.data, current_user
            ),
            _("Item saved."),
        )
    return render_template("training/edit_item.html", plan=plan, item=item, form=form)


@bp.route("/plans/<int:plan_id>/items/<int:item_id>/move", methods=["POST"])
@role_required(*COACH_ROLES)
def move_item(plan_id: int, item_id: int) -> ResponseReturnValue:
    """Move an item up or down the plan."""
    plan = coached_plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    offset = -1 if form.direction.data == "up" else 1
    return apply_change(plan, lambda: plans.move_item(item, offset, current_user))


@bp.route("/plans/<int:plan_id>/items/<int:item_id>/remove", methods=["POST"])
@role_required(*COACH_ROLES)
def remove_item(plan_id: int, item_id: int) -> ResponseReturnValue:
    """Drop an item from the plan."""
    plan = coached_plan_or_404(plan_id)
    item = item_or_404(plan, item_id)
    if not PostForm().validate_on_submit():
        abort(400)
    return apply_change(plan, lambda: plans.remove_item(item, current_user), _("Item removed."))


@bp.route("/plans/<int:plan_id>/items/<int:item_id>/status", methods=["POST"])
@role_required(*PLAN_READERS)
def item_status(plan_id: int, item_id: int) -> ResponseReturnValue:
    """The agent (or their coach) marks an item assigned, in progress or done."""
    plan = plan_or_404(plan_id)
    if current_user.id != plan.agent_id and not can_coach(current_user, plan.agent_id):
        abort(403)
    item = item_or_404(plan, item_id)
    form = ItemStatusForm()
    if not form.validate_on_submit():
        abort(400)
    status = ItemStatus(form.status.data)
    return apply_change(plan, lambda: plans.set_item_status(item, status, current_user))


@bp.route("/plans/<int:plan_id>/notes", methods=["POST"])
@role_required(*COACH_ROLES)
def notes(plan_id: int) -> ResponseReturnValue:
    """Save the coach's notes on the plan."""
    plan = coached_plan_or_404(plan_id)
    form = PlanNotesForm()
    if not form.validate_on_submit():
        flash(_("The notes are too long."), "danger")
        return redirect(url_for("training.detail", plan_id=plan.id))
    return apply_change(
        plan, lambda: plans.update_notes(plan, form.notes.data, current_user), _("Notes saved.")
    )


@bp.route("/plans/<int:plan_id>/issue", methods=["POST"])
@role_required(*COACH_ROLES)
def issue(plan_id: int) -> ResponseReturnValue:
    """Issue the draft to the agent."""
    plan = coached_plan_or_404(plan_id)
    if not PostForm().validate_on_submit():
        abort(400)
    return apply_change(
        plan,
        lambda: plans.issue_plan(plan, current_user),
        _("The plan is issued: %(name)s can see it now.", name=plan.agent.display_name),
    )


@bp.route("/plans/<int:plan_id>/acknowledge", methods=["POST"])
@role_required(Role.AGENT)
def acknowledge(plan_id: int) -> ResponseReturnValue:
    """The agent acknowledges their issued plan."""
    plan = plan_or_404(plan_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        abort(400)
    return apply_change(
        plan,
        lambda: plans.acknowledge_plan(plan, current_user, form.comment.data),
        _("Thank you: the plan is acknowledged."),
    )


@bp.route("/plans/<int:plan_id>/close", methods=["POST"])
@role_required(*COACH_ROLES)
def close(plan_id: int) -> ResponseReturnValue:
    """Close an issued plan with a note."""
    plan = coached_plan_or_404(plan_id)
    form = ClosePlanForm()
    if not form.validate_on_submit():
        abort(400)
    return apply_change(
        plan,
        lambda: plans.close_plan(plan, current_user, form.note.data),
        _("The plan is closed."),
    )


@bp.route("/plans/<int:plan_id>/discard", methods=["POST"])
@role_required(*COACH_ROLES)
def discard(plan_id: int) -> ResponseReturnValue:
    """Delete a draft plan the agent never saw."""
    plan = coached_plan_or_404(plan_id)
    if not PostForm().validate_on_submit():
        abort(400)
    with committing(_("Draft plan discarded."), category="info") as outcome:
        plans.discard_draft(plan, current_user)
    if not outcome.saved:
        return redirect(url_for("training.detail", plan_id=plan.id))
    return redirect(url_for("training.index"))
