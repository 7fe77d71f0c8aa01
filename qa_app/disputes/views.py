"""Deciding disputes: the open list with its age, and uphold (re-score) or reject."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import EVALUATOR_ROLES
from qa_app.evaluations.answers import read_form
from qa_app.evaluations.form_state import FormState, problem_messages, state_from_evaluation
from qa_app.evaluations.forms import ResolveForm
from qa_app.evaluations.models import Dispute, DisputeStatus, Evaluation
from qa_app.evaluations.permissions import can_resolve, visible_evaluations
from qa_app.evaluations.services import (
    Edit,
    EvaluationRuleError,
    StaleEvaluation,
    reject_dispute,
    uphold_dispute,
)
from qa_app.evaluations.summaries import open_disputes
from qa_app.extensions import db
from qa_app.scoring import AnswerError
from qa_app.web.forms import to_choices

bp = Blueprint("disputes", __name__)
DECISIONS = {
    "reject": _l("Reject: the score stands"),
    "uphold": _l("Uphold: re-score with the answers below"),
}


def dispute_or_404(dispute_id: int) -> Dispute:
    """A dispute about an evaluation the user may see."""
    visible = visible_evaluations(current_user).with_only_columns(Evaluation.id).order_by(None)
    return db.first_or_404(
        sa.select(Dispute).where(Dispute.id == dispute_id, Dispute.evaluation_id.in_(visible))
    )


@bp.route("/")
@role_required(*EVALUATOR_ROLES)
def index() -> ResponseReturnValue:
    """Open disputes in the user's scope, oldest first (their age is the point)."""
    disputes = open_disputes(current_user)
    return render_template(
        "disputes/index.html",
        disputes=disputes,
        can_resolve={d.id: can_resolve(current_user, d) for d in disputes},
    )


@bp.route("/<int:dispute_id>", methods=["GET", "POST"])
@role_required(*EVALUATOR_ROLES)
def resolve(dispute_id: int) -> ResponseReturnValue:
    """Uphold a dispute by re-scoring (a new revision) or reject it, with a note."""
    dispute = dispute_or_404(dispute_id)
    evaluation = dispute.evaluation
    if dispute.status != DisputeStatus.OPEN:
        if request.method == "POST":  # another resolver was quicker
            flash(_("This dispute has already been decided."), "warning")
        return redirect(url_for("evaluations.detail", evaluation_id=evaluation.id))
    if not can_resolve(current_user, dispute):
        abort(403)
    definition = evaluation.version.definition
    form = ResolveForm()
    form.decision.choices = to_choices(DECISIONS.items())
    state = state_from_evaluation(evaluation)
    if request.method == "GET":
        form.lock_version.data = evaluation.lock_version
    elif form.validate_on_submit():
        posted = read_form(definition, request.form)
        state = FormState.from_posted(posted, request.form)
        try:
            if form.decision.data == "reject":
                reject_dispute(dispute, current_user, form.note.data)
            else:
                change = Edit(
                    posted.answers,
                    posted.comments,
                    {
                        "overall_comment": evaluation.overall_comment,
                        "strengths": evaluation.strengths,
                        "opportunities": evaluation.opportunities,
                    },
                    form.lock_version.data,
                )
                uphold_dispute(dispute, current_user, form.note.data, change)
            db.session.commit()
        except AnswerError as error:
            db.session.rollback()
            state.errors.update(problem_messages(definition, error.problems))
            flash(_("Every criterion needs a valid answer to re-score."), "danger")
        except (StaleEvaluation, sa.orm.exc.StaleDataError):
            db.session.rollback()
            flash(_("The evaluation changed since you opened this page; reload it."), "warning")
        except EvaluationRuleError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            flash(_("Dispute decided; the agent can see the outcome."), "success")
            return redirect(url_for("disputes.index"))
    return render_template(
        "disputes/resolve.html",
        dispute=dispute,
        evaluation=evaluation,
        form=form,
        state=state,
        definition=definition,
    ), (400 if request.method == "POST" else 200)
