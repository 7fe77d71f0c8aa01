"""Deciding disputes: the open list with its age, and uphold (re-score) or reject.

Who may decide is `evaluations.permissions.dispute_deciders`: the team's supervisors and
named dispute reviewers who did not score the evaluation, else the managers. A reviewer from
outside the team opens the disputes they may decide, and nothing else of the agent.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import EVALUATOR_ROLES
from qa_app.disputes.blueprint import bp
from qa_app.disputes.decision import changed_criteria, posted_state
from qa_app.evaluations.answers import read_form
from qa_app.evaluations.form_state import FormState, problem_messages, state_from_evaluation
from qa_app.evaluations.forms import ResolveForm
from qa_app.evaluations.models import Dispute, DisputeStatus, Evaluation
from qa_app.evaluations.permissions import (
    active_managers,
    can_resolve,
    dispute_deciders,
    visible_evaluations,
)
from qa_app.evaluations.services import (
    Edit,
    EvaluationRuleError,
    StaleEvaluation,
    reject_dispute,
    uphold_dispute,
)
from qa_app.evaluations.summaries import is_overdue, open_disputes
from qa_app.evaluations.views import live_score_json
from qa_app.extensions import db
from qa_app.scorecards.texts import criterion_labels, localized_definition
from qa_app.scoring import AnswerError
from qa_app.web.forms import required_data, to_choices

DECISIONS = {
    "uphold": _l("Uphold: re-score with the answers below"),
    "reject": _l("Reject: the score stands, the answers stay as they are"),
}


def _visible(evaluation_id: int) -> bool:
    query = visible_evaluations(current_user).where(Evaluation.id == evaluation_id)
    return db.session.scalar(query.with_only_columns(Evaluation.id)) is not None


def dispute_or_404(dispute_id: int) -> Dispute:
    """A dispute about an evaluation the user may see, or one the user may decide (a team's
    dispute reviewer from another team); any other id is 404, exactly like a missing one."""
    dispute = db.get_or_404(Dispute, dispute_id)
    if not _visible(dispute.evaluation_id) and not (
        dispute.status == DisputeStatus.OPEN and can_resolve(current_user, dispute)
    ):
        abort(404)
    return dispute


@bp.app_template_global()
def dispute_overdue(dispute: Dispute) -> bool:
    """True when an open dispute has waited longer than DISPUTE_OVERDUE_DAYS."""
    return dispute.status == DisputeStatus.OPEN and is_overdue(
        dispute, current_app.config["DISPUTE_OVERDUE_DAYS"]
    )


@bp.route("/")
@role_required(*EVALUATOR_ROLES)
def index() -> ResponseReturnValue:
    """Open disputes in the user's scope and those the user may decide, oldest first (their
    age is the point), each with who decides it."""
    disputes = open_disputes(current_user)
    managers = active_managers()
    deciders = {dispute.id: dispute_deciders(dispute, managers) for dispute in disputes}
    return render_template(
        "disputes/index.html",
        disputes=disputes,
        deciders=deciders,
        can_resolve={
            dispute.id: any(user.id == current_user.id for user in deciders[dispute.id])
            for dispute in disputes
        },
        overdue_days=current_app.config["DISPUTE_OVERDUE_DAYS"],
    )


@bp.route("/<int:dispute_id>", methods=["GET", "POST"])
@role_required(*EVALUATOR_ROLES)
def resolve(dispute_id: int) -> ResponseReturnValue:
    """Uphold a dispute by re-scoring (a new revision) or reject it, with a note. There is
    no default decision, and a rejection with changed answers is refused, input kept."""
    dispute = dispute_or_404(dispute_id)
    evaluation = dispute.evaluation
    if dispute.status != DisputeStatus.OPEN:
        if request.method == "POST":  # another resolver was quicker
            flash(_("This dispute has already been decided."), "warning")
        if _visible(evaluation.id):
            return redirect(url_for("evaluations.detail", evaluation_id=evaluation.id))
        return redirect(url_for("disputes.index"))
    if not can_resolve(current_user, dispute):
        abort(403)
    definition = evaluation.version.definition
    form = ResolveForm()
    form.decision.choices = to_choices(DECISIONS.items())
    stored = state_from_evaluation(evaluation)
    state = stored
    if request.method == "GET":
        form.lock_version.data = evaluation.lock_version
    else:
        state = posted_state(stored, request.form)
    if form.validate_on_submit() and _decide(dispute, form, definition, state):
        flash(_("Dispute decided; the agent can see the outcome."), "success")
        return redirect(url_for("disputes.index"))
    return render_template(
        "disputes/resolve.html",
        dispute=dispute,
        evaluation=evaluation,
        form=form,
        state=state,
        definition=localized_definition(definition),
        live=state.live_score(definition),
        disputed={item.key: item.reason or "" for item in dispute.disputed_criteria},
    ), (400 if request.method == "POST" else 200)


def _decide(
    dispute: Dispute, form: ResolveForm, definition: dict[str, Any], state: FormState
) -> bool:
    """Apply the posted decision and commit; False (with the reason flashed or marked on
    the criteria) when it is refused."""
    evaluation = dispute.evaluation
    note = required_data(form.note.data)
    try:
        if form.decision.data == "reject":
            changed = changed_criteria(definition, state_from_evaluation(evaluation), request.form)
            if changed:
                labels = criterion_labels(definition)
                flash(
                    _(
                        "You changed %(criteria)s but chose Reject, which keeps the score and "
                        "the answers as they are. Choose Uphold to re-score with your answers, "
                        "or put them back to reject.",
                        criteria=", ".join(labels.get(key, key) for key in changed),
                    ),
                    "danger",
                )
                return False
            reject_dispute(dispute, current_user, note)
        else:
            posted = read_form(definition, _answers_on_page(state))
            texts = {
                "overall_comment": evaluation.overall_comment,
                "strengths": evaluation.strengths,
                "opportunities": evaluation.opportunities,
            }
            change = Edit(
                posted.answers, posted.comments, texts, required_data(form.lock_version.data)
            )
            uphold_dispute(dispute, current_user, note, change)
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
        return True
    return False


def _answers_on_page(state: FormState) -> dict[str, str]:
    """The answer and comment fields the page holds (stored ones the form did not post)."""
    return {
        **{f"answer-{key}": value for key, value in state.values.items()},
        **{f"comment-{key}": text for key, text in state.comments.items()},
    }


@bp.route("/<int:dispute_id>/score", methods=["POST"])
@role_required(*EVALUATOR_ROLES)
def live_score(dispute_id: int) -> ResponseReturnValue:
    """The score the answers on the decision page would give (for the live display; saves
    nothing), for the dispute's deciders only."""
    dispute = dispute_or_404(dispute_id)
    if dispute.status != DisputeStatus.OPEN or not can_resolve(current_user, dispute):
        abort(403)
    return live_score_json(dispute.evaluation.version.definition)
