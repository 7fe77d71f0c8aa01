"""Open assignments for whoever oversees them: due dates, and reassigning to another
supervisor."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import EVALUATOR_ROLES, User
from qa_app.evaluations.assignments import (
    may_reassign,
    overseen_assignments,
    reassign,
    reassignment_candidates,
)
from qa_app.evaluations.blueprint import bp
from qa_app.evaluations.forms import ReassignForm
from qa_app.evaluations.models import Assignment
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.interactions.services import visible_interactions
from qa_app.web.forms import to_choices
from qa_app.web.transaction import committing


@bp.route("/assignments")
@role_required(*EVALUATOR_ROLES)
def assignments() -> ResponseReturnValue:
    """The open assignments the user may reassign (all for managers, the samples they drew
    for supervisors), soonest due first, overdue ones flagged."""
    return render_template(
        "evaluations/assignments.html",
        rows=overseen_assignments(current_user),
        today=datetime.now(get_timezone()).date(),
        form=ReassignForm(),
    )


@bp.route("/assignments/<int:assignment_id>/reassign", methods=["POST"])
@role_required(*EVALUATOR_ROLES)
def reassign_assignment(assignment_id: int) -> ResponseReturnValue:
    """Hand an open assignment to another supervisor (or a manager) who may score the agent."""
    visible = visible_interactions(current_user).with_only_columns(Interaction.id)
    assignment = db.first_or_404(
        sa.select(Assignment).where(
            Assignment.id == assignment_id, Assignment.interaction_id.in_(visible)
        )
    )
    agent = assignment.interaction.agent
    if not may_reassign(current_user, assignment, agent.id):
        abort(403)
    form = ReassignForm()
    form.evaluator_id.choices = to_choices(reassignment_candidates(agent, assignment.evaluator_id))
    if not form.validate_on_submit():
        flash(_("Choose someone who may score %(agent)s.", agent=agent.display_name), "danger")
        return redirect(url_for("evaluations.assignments"))
    new_evaluator = db.session.get_one(User, form.evaluator_id.data)
    with committing(
        _(
            "%(agent)s's interaction is now assigned to %(name)s.",
            agent=agent.display_name,
            name=new_evaluator.display_name,
        )
    ):
        reassign(assignment, new_evaluator, current_user)
    return redirect(url_for("evaluations.assignments"))
