"""The agent's side: the feedback inbox, acknowledging and disputing."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role
from qa_app.evaluations.form_state import state_from_evaluation
from qa_app.evaluations.forms import AcknowledgeForm, DisputeForm
from qa_app.evaluations.models import VISIBLE_TO_AGENT, Evaluation, EvaluationStatus
from qa_app.evaluations.services import (
    acknowledge,
    dispute_deadline,
    raise_dispute,
)
from qa_app.evaluations.views import evaluation_or_404
from qa_app.extensions import db
from qa_app.feedback.blueprint import bp
from qa_app.feedback.reasons import criterion_reasons
from qa_app.scorecards.texts import localized_definition
from qa_app.scoring import iter_criteria
from qa_app.web.forms import to_choices
from qa_app.web.transaction import committing


@bp.route("/")
@role_required(Role.AGENT)
def inbox() -> ResponseReturnValue:
    """The agent's released evaluations: new ones first, then the rest, newest first."""
    evaluations = db.session.scalars(
        sa.select(Evaluation)
        .where(Evaluation.agent_id == current_user.id, Evaluation.status.in_(VISIBLE_TO_AGENT))
        .options(
            sa.orm.joinedload(Evaluation.version),
            sa.orm.joinedload(Evaluation.evaluator),
            sa.orm.joinedload(Evaluation.interaction),
        )
        .order_by(
            (Evaluation.status == EvaluationStatus.RELEASED).desc(),
            Evaluation.released_at.desc(),
            Evaluation.id.desc(),
        )
        .limit(200)
    ).all()
    return render_template("feedback/inbox.html", evaluations=evaluations)


@bp.route("/<int:evaluation_id>/acknowledge", methods=["GET", "POST"])
@role_required(Role.AGENT)
def acknowledge_view(evaluation_id: int) -> ResponseReturnValue:
    """Confirm having read the feedback, optionally with a comment."""
    evaluation = evaluation_or_404(evaluation_id)
    form = AcknowledgeForm()
    if form.validate_on_submit():
        with committing(_("Thank you: the feedback is acknowledged.")):
            acknowledge(evaluation, current_user, form.comment.data)
        return redirect(url_for("evaluations.detail", evaluation_id=evaluation.id))
    return render_template("feedback/acknowledge.html", evaluation=evaluation, form=form)


@bp.route("/<int:evaluation_id>/dispute", methods=["GET", "POST"])
@role_required(Role.AGENT)
def dispute(evaluation_id: int) -> ResponseReturnValue:
    """Dispute chosen criteria, each with its own reason, or the evaluation as a whole."""
    evaluation = evaluation_or_404(evaluation_id)
    window = current_app.config["DISPUTE_WINDOW_DAYS"]
    # Scored on the version's own texts; shown in the reader's language.
    definition = localized_definition(evaluation.version.definition)
    form = DisputeForm()
    form.criterion_keys.choices = to_choices(
        (c["key"], c["label"]) for _, c in iter_criteria(definition)
    )
    reasons, errors = criterion_reasons(definition, request.form)
    status = 200
    if form.validate_on_submit():
        if not errors:
            message = _("Your dispute was sent. You will see the decision here.")
            with committing(message) as outcome:
                raise_dispute(
                    evaluation,
                    current_user,
                    reasons,
                    form.reason.data or "",
                    window_days=window,
                )
            if outcome.saved:
                return redirect(url_for("evaluations.detail", evaluation_id=evaluation.id))
        else:
            flash(_("Each disputed criterion needs its reason: see the marked criteria."), "danger")
    if request.method == "POST":
        status = 400
    return render_template(
        "feedback/dispute.html",
        evaluation=evaluation,
        form=form,
        definition=definition,
        state=state_from_evaluation(evaluation),
        ticked=set(form.criterion_keys.data or ()),
        typed={
            c["key"]: request.form.get(f"reason-{c['key']}", "")
            for _, c in iter_criteria(definition)
        },
        errors=errors,
        deadline=dispute_deadline(evaluation, window),
    ), status
