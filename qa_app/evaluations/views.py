"""Scoring: the work queue, the evaluation form, release, the read view and the history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import EVALUATOR_ROLES, Role
from qa_app.database import utcnow
from qa_app.evaluations import (  # noqa: F401  (their routes join the blueprint)
    assignment_views,
    sample_views,
)
from qa_app.evaluations.answers import read_form
from qa_app.evaluations.blueprint import bp
from qa_app.evaluations.form_state import (
    FormState,
    problem_messages,
    refused_answers_message,
    state_from_evaluation,
)
from qa_app.evaluations.forms import EvaluationTextsForm, StartEvaluationForm
from qa_app.evaluations.history import (
    comparison,
    evaluation_vocabulary,
    history_entries,
    revisions_of,
)
from qa_app.evaluations.models import (
    Assignment,
    DisputeStatus,
    Evaluation,
    EvaluationStatus,
)
from qa_app.evaluations.permissions import can_edit, can_release, can_resolve, visible_evaluations
from qa_app.evaluations.queue import monthly_progress, open_assignments
from qa_app.evaluations.services import (
    Edit,
    EvaluationRuleError,
    StaleEvaluation,
    delete_draft,
    dispute_deadline,
    release,
    save_draft,
    start_evaluation,
    submit,
)
from qa_app.extensions import db
from qa_app.interactions.services import interaction_or_404
from qa_app.scorecards.models import Scorecard
from qa_app.scoring import AnswerError, score_evaluation
from qa_app.web.forms import PostForm, to_choices
from qa_app.web.params import int_arg
from qa_app.web.transaction import committing

PER_PAGE = 50


def evaluation_or_404(evaluation_id: int) -> Evaluation:
    """An evaluation the user may see; others' ids are 404, exactly like missing ones."""
    return db.first_or_404(visible_evaluations(current_user).where(Evaluation.id == evaluation_id))


@bp.route("/queue")
@role_required(*EVALUATOR_ROLES)
def queue() -> ResponseReturnValue:
    """The user's assigned interactions and each agent's progress to the monthly target."""
    today = datetime.now(get_timezone()).date()
    return render_template(
        "evaluations/queue.html",
        items=open_assignments(current_user),
        progress=monthly_progress(current_user, today, get_timezone()),
        today=today,
        post_form=PostForm(),
    )


@bp.route("/start/assignment/<int:assignment_id>", methods=["POST"])
@role_required(*EVALUATOR_ROLES)
def start_assignment(assignment_id: int) -> ResponseReturnValue:
    """Open the evaluation form for an assignment in the user's queue."""
    assignment = db.first_or_404(
        sa.select(Assignment).where(
            Assignment.id == assignment_id, Assignment.evaluator_id == current_user.id
        )
    )
    scorecard = db.session.get(Scorecard, assignment.scorecard_id)
    return _start(assignment.interaction, scorecard)


@bp.route("/start/interaction/<int:interaction_id>", methods=["POST"])
@role_required(*EVALUATOR_ROLES)
def start_interaction(interaction_id: int) -> ResponseReturnValue:
    """Evaluate any interaction of the user's agents on a chosen scorecard."""
    interaction = interaction_or_404(current_user, interaction_id)
    form = StartEvaluationForm()
    form.scorecard_id.choices = to_choices(
        db.session.execute(
            sa.select(Scorecard.id, Scorecard.name).where(Scorecard.status == "active")
        ).all()
    )
    if not form.validate_on_submit():
        abort(400)
    return _start(interaction, db.session.get(Scorecard, form.scorecard_id.data))


def _start(interaction: Any, scorecard: Scorecard | None) -> ResponseReturnValue:
    if scorecard is None:
        abort(404)
    with committing() as outcome:
        evaluation = start_evaluation(current_user, interaction, scorecard)
    if not outcome.saved:
        return redirect(url_for("interactions.detail", interaction_id=interaction.id))
    return redirect(url_for("evaluations.edit", evaluation_id=evaluation.id))


@bp.route("/<int:evaluation_id>/edit", methods=["GET", "POST"])
@role_required(*EVALUATOR_ROLES)
def edit(evaluation_id: int) -> ResponseReturnValue:
    """The scoring form: save a draft at any time, submit when every criterion is answered."""
    evaluation = evaluation_or_404(evaluation_id)
    if not can_edit(current_user, evaluation):
        flash(_("This evaluation can no longer be changed here."), "info")
        return redirect(url_for("evaluations.detail", evaluation_id=evaluation.id))
    definition = evaluation.version.definition
    form = EvaluationTextsForm(obj=evaluation if request.method == "GET" else None)
    if request.method == "GET":
        return _render_form(evaluation, form, state_from_evaluation(evaluation))

    posted = read_form(definition, request.form)
    state = FormState.from_posted(posted, request.form)
    if not form.validate_on_submit() or posted.problems:
        state.errors.update(problem_messages(definition, posted.problems.items()))
        return _render_form(evaluation, form, state), 400
    change = Edit(
        posted.answers,
        posted.comments,
        {
            name: getattr(form, name).data
            for name in ("overall_comment", "strengths", "opportunities")
        },
        form.lock_number,
    )
    submitting = form.submit.data
    try:
        (submit if submitting else save_draft)(evaluation, change, current_user)
        db.session.commit()
    except AnswerError as error:
        db.session.rollback()
        state.errors.update(problem_messages(definition, error.problems))
        flash(refused_answers_message(len(error.problems), submitting=submitting), "danger")
        return _render_form(evaluation, form, state), 400
    except (StaleEvaluation, sa.orm.exc.StaleDataError):
        db.session.rollback()
        return _render_conflict(evaluation_id, form, state)
    except EvaluationRuleError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("evaluations.detail", evaluation_id=evaluation_id))
    if submitting:
        flash(
            _("Evaluation submitted.")
            if evaluation.status == EvaluationStatus.SUBMITTED
            else _("Evaluation submitted and released to the agent."),
            "success",
        )
        return redirect(url_for("evaluations.queue"))
    flash(_("Draft saved."), "success")
    return redirect(url_for("evaluations.edit", evaluation_id=evaluation.id))


def _render_form(
    evaluation: Evaluation,
    form: EvaluationTextsForm,
    state: FormState,
    conflict: dict[str, Any] | None = None,
) -> str:
    if not form.lock_version.data or conflict:
        form.lock_version.data = str(evaluation.lock_version)
    live = state.live_score(evaluation.version.definition)
    return render_template(
        "evaluations/form.html",
        evaluation=evaluation,
        form=form,
        state=state,
        live=live,
        conflict=conflict,
        interaction=evaluation.interaction,
        post_form=PostForm(),
    )


def _render_conflict(
    evaluation_id: int, form: EvaluationTextsForm, state: FormState
) -> tuple[str, int]:
    """Someone saved first: keep this editor's input, show what differs, let them decide."""
    current = db.session.get_one(Evaluation, evaluation_id)
    saved = state_from_evaluation(current)
    differing = sorted(
        key
        for key in set(saved.values) | set(state.values)
        if saved.values.get(key) != state.values.get(key)
    )
    form.lock_version.data = ""
    flash(
        _(
            "Someone else saved this evaluation after you opened it. Your input is below and "
            "was NOT saved. Check the differences, then save again to keep your version."
        ),
        "warning",
    )
    return _render_form(
        current, form, state, conflict={"differing": differing, "saved": saved}
    ), 409


@bp.route("/<int:evaluation_id>/score", methods=["POST"])
@role_required(*EVALUATOR_ROLES)
def live_score(evaluation_id: int) -> ResponseReturnValue:
    """The score of the answers on the page so far (for the live display; saves nothing)."""
    evaluation = evaluation_or_404(evaluation_id)
    return live_score_json(evaluation.version.definition)


def live_score_json(definition: dict[str, Any]) -> ResponseReturnValue:
    """The live score of the posted answers as JSON: the evaluation form's and the dispute
    decision form's (static/js/evaluation.js shows it)."""
    posted = read_form(definition, request.form)
    try:
        result = score_evaluation(definition, posted.answers, partial=True)
    except AnswerError as error:
        return jsonify(valid=False, problems=dict(error.problems)), 200
    total = sum(len(section["criteria"]) for section in definition["sections"])
    return jsonify(
        valid=True,
        score=result.score,
        raw_score=result.raw_score,
        auto_failed=result.auto_failed,
        passed=result.passed,
        answered=len(posted.answers),
        total=total,
    )


@bp.route("/<int:evaluation_id>/release", methods=["POST"])
@role_required(*EVALUATOR_ROLES)
def release_view(evaluation_id: int) -> ResponseReturnValue:
    """Release a submitted evaluation to its agent."""
    evaluation = evaluation_or_404(evaluation_id)
    if not can_release(current_user, evaluation):
        abort(403)
    release(evaluation, current_user)
    db.session.commit()
    flash(_("Released to %(name)s.", name=evaluation.agent.display_name), "success")
    return redirect(url_for("evaluations.detail", evaluation_id=evaluation.id))


@bp.route("/<int:evaluation_id>/delete", methods=["POST"])
@role_required(*EVALUATOR_ROLES)
def delete(evaluation_id: int) -> ResponseReturnValue:
    """Delete a draft (audited)."""
    evaluation = evaluation_or_404(evaluation_id)
    with committing(_("Draft deleted."), category="info") as outcome:
        delete_draft(evaluation, current_user)
    if not outcome.saved:
        return redirect(url_for("evaluations.detail", evaluation_id=evaluation_id))
    return redirect(url_for("evaluations.queue"))


@bp.route("/")
@role_required(*EVALUATOR_ROLES)
def index() -> ResponseReturnValue:
    """Evaluations of the user's agents, newest first, filterable by status and agent."""
    query = visible_evaluations(current_user).options(
        sa.orm.joinedload(Evaluation.agent),
        sa.orm.joinedload(Evaluation.evaluator),
        sa.orm.joinedload(Evaluation.version),
    )
    status = request.args.get("status")
    if status in set(EvaluationStatus):
        query = query.where(Evaluation.status == status)
    agent_id = int_arg("agent")
    if agent_id:
        query = query.where(Evaluation.agent_id == agent_id)
    page = db.paginate(
        query.order_by(Evaluation.updated_at.desc(), Evaluation.id.desc()),
        page=int_arg("page") or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "evaluations/index.html", page=page, status=status, statuses=list(EvaluationStatus)
    )


@bp.route("/<int:evaluation_id>")
@role_required()
def detail(evaluation_id: int) -> ResponseReturnValue:
    """The evaluation with every criterion, answer, comment and guidance, and the actions
    open to this user (release, acknowledge, dispute, resolve)."""
    evaluation = evaluation_or_404(evaluation_id)
    window = current_app.config["DISPUTE_WINDOW_DAYS"]
    is_agent = evaluation.agent_id == current_user.id
    deadline = dispute_deadline(evaluation, window)
    open_dispute = next((d for d in evaluation.disputes if d.status == DisputeStatus.OPEN), None)
    # The agent reads what they were scored on (their own contact: evaluation_or_404 only
    # gives an agent their own released evaluations, and the check here keeps it so).
    interaction = evaluation.interaction
    if current_user.role == Role.AGENT and interaction.agent_id != current_user.id:
        abort(404)
    return render_template(
        "evaluations/detail.html",
        evaluation=evaluation,
        interaction=interaction,
        state=state_from_evaluation(evaluation),
        definition=evaluation.version.definition,
        can_edit=can_edit(current_user, evaluation),
        can_release=can_release(current_user, evaluation),
        can_acknowledge=is_agent and evaluation.status == EvaluationStatus.RELEASED,
        can_dispute=is_agent
        and evaluation.status == EvaluationStatus.RELEASED
        and deadline is not None
        and utcnow() <= deadline,
        deadline=deadline,
        post_form=PostForm(),
        can_resolve_dispute=open_dispute is not None and can_resolve(current_user, open_dispute),
    )


@bp.route("/<int:evaluation_id>/history")
@role_required()
def history(evaluation_id: int) -> ResponseReturnValue:
    """Every revision and every recorded change as readable lines, and two revisions
    (`first`, `second`; by default the last two) compared answer by answer."""
    evaluation = evaluation_or_404(evaluation_id)
    vocabulary = evaluation_vocabulary(evaluation, str(get_locale()))
    revisions = revisions_of(evaluation)
    return render_template(
        "evaluations/history.html",
        evaluation=evaluation,
        revisions=revisions,
        changes=history_entries(evaluation, vocabulary, for_agent=current_user.role == Role.AGENT),
        comparison=comparison(revisions, int_arg("first"), int_arg("second"), vocabulary),
    )
