"""Calibration pages. The session pages live here (list, new, a session, scoring an
interaction, close, promote); results_views.py holds the figures' pages and is imported below
so that registering `bp` registers every route."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import EVALUATOR_ROLES, Role, User
from qa_app.calibration import results_views  # noqa: F401  (its routes join bp)
from qa_app.calibration.blueprint import bp
from qa_app.calibration.forms import CONSENSUS, CloseForm, NewSessionForm, ScoringForm
from qa_app.calibration.models import CalibrationItem, CalibrationSession, SessionStatus
from qa_app.calibration.pages import (
    InteractionFilter,
    candidate_interactions,
    evaluators,
    latest_versions,
    my_progress,
    my_scores,
    session_for_page,
    session_lists,
    side_by_side,
    submitted_counts,
)
from qa_app.calibration.promotion import promote_benchmark
from qa_app.calibration.services import (
    CalibrationError,
    NewSession,
    can_manage,
    can_organise,
    can_view,
    close_session,
    create_session,
    participant,
    save_score,
    score_of,
    sees_others,
    stored_answers,
)
from qa_app.evaluations.answers import read_form, to_form_value
from qa_app.evaluations.form_state import (
    FormState,
    problem_messages,
    refused_answers_message,
)
from qa_app.evaluations.views import live_score_json
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scoring import AnswerError, iter_criteria
from qa_app.teams.scope import agents_visible_to, teams_visible_to
from qa_app.web.forms import PostForm, to_choices
from qa_app.web.params import LARGEST_ID
from qa_app.web.transaction import committing

__all__ = ["bp"]


def today_local() -> date:
    """Today in the user's time zone (due dates are days)."""
    return datetime.now(get_timezone()).date()


def session_or_404(session_id: int) -> CalibrationSession:
    """A session the user may open; others' are 404 exactly like missing ones: the session
    routes take any signed-in role so that an agent (or an administrator) learns nothing,
    not even that calibration exists."""
    session = session_for_page(session_id)
    if session is None or not can_view(current_user, session):
        abort(404)
    return session


def item_or_404(session: CalibrationSession, item_id: int) -> CalibrationItem:
    """An interaction of the session."""
    item = next((item for item in session.items if item.id == item_id), None)
    if item is None:
        abort(404)
    return item


@bp.route("/")
@role_required(*EVALUATOR_ROLES)
def index() -> ResponseReturnValue:
    """Sessions I score (with my progress), sessions I organise (everyone's progress, never
    their answers while open), and closed sessions."""
    return render_template(
        "calibration/index.html",
        lists=session_lists(current_user, manages_all=current_user.role == Role.MANAGER),
        can_organise=can_organise(current_user),
        today=today_local(),
        has_results=_has_endpoint("calibration.results"),
        has_agreement=_has_endpoint("calibration.agreement"),
    )


def _has_endpoint(endpoint: str) -> bool:
    """Whether the figures' page is there (results_views.py adds it)."""
    return endpoint in current_app.view_functions


@bp.route("/new", methods=["GET", "POST"])
@role_required(*EVALUATOR_ROLES)
def new() -> ResponseReturnValue:
    """Open a session: title, scorecard, interactions picked through a filter, participants,
    an expert or the consensus, a due date and the tolerance. All or nothing."""
    if not can_organise(current_user):
        abort(403)
    form = NewSessionForm()
    _fill_choices(form)
    if request.method == "GET":
        form.tolerance_points.data = current_app.config["CALIBRATION_TOLERANCE_POINTS"]
    candidates = candidate_interactions(
        current_user,
        InteractionFilter(
            team_id=_offered(form.team_id),
            agent_id=_offered(form.agent_id),
            start=form.period_start.data,
            end=form.period_end.data,
            channel=form.channel.data or None,
        ),
        keep=_ticked_ids(),
    )
    form.interaction_ids.choices = to_choices((i.id, str(i.id)) for i in candidates)
    if form.submit.data and form.validate_on_submit():
        versions = {scorecard.id: version for scorecard, version in latest_versions()}
        chosen = {i.id: i for i in candidates}
        people = {user.id: user for user in evaluators()}
        expert_id = form.expert_id.data or CONSENSUS
        with committing(_("Calibration session opened; the participants were told.")) as outcome:
            session = _create(form, versions, chosen, people, expert_id)
        if outcome.saved:
            return redirect(url_for("calibration.session", session_id=session.id))
        return _render_new(form, candidates), 400
    if form.submit.data:
        return _render_new(form, candidates), 400
    return _render_new(form, candidates)


def _render_new(form: NewSessionForm, candidates: list[Interaction]) -> str:
    ticked = set(form.interaction_ids.data or ()) if form.is_submitted() else set()
    return render_template("calibration/new.html", form=form, candidates=candidates, ticked=ticked)


def _create(
    form: NewSessionForm,
    versions: dict[int, Any],
    chosen: dict[int, Interaction],
    people: dict[int, User],
    expert_id: int,
) -> CalibrationSession:
    return create_session(
        current_user,
        NewSession(
            title=form.title.data or "",
            version=versions[form.scorecard_id.data],
            interactions=[chosen[i] for i in form.interaction_ids.data or ()],
            participants=[people[i] for i in form.participant_ids.data or ()],
            expert=people[expert_id] if expert_id != CONSENSUS else None,
            due_on=form.due_on.data,
            tolerance_points=float(form.tolerance_points.data or 0),
        ),
        today_local(),
    )


def _offered(field: Any) -> int | None:
    """A filter's choice when it is one the form offers (never a number the database could
    not hold); None for "all" and anything else."""
    offered = {choice.value for choice in field.choices}
    return field.data if field.data and field.data in offered else None


def _ticked_ids() -> list[int]:
    """The interactions ticked before (listed again even when the filter leaves them out)."""
    values = request.form.getlist("interaction_ids") if request.method == "POST" else []
    return [int(value) for value in values if value.isdigit() and int(value) <= LARGEST_ID]


def _fill_choices(form: NewSessionForm) -> None:
    form.scorecard_id.choices = to_choices(
        (scorecard.id, version.display_name) for scorecard, version in latest_versions()
    )
    teams = db.session.scalars(teams_visible_to(current_user)).all()
    form.team_id.choices = to_choices([(0, _("All teams")), *((t.id, t.name) for t in teams)])
    agents = db.session.execute(
        agents_visible_to(current_user).with_only_columns(User.id, User.display_name)
    ).all()
    form.agent_id.choices = to_choices([(0, _("All agents")), *agents])
    people = [(user.id, user.display_name) for user in evaluators()]
    form.participant_ids.choices = to_choices(people)
    form.expert_id.choices = to_choices(
        [(CONSENSUS, _("No expert: the consensus of the participants")), *people]
    )


@bp.route("/<int:session_id>")
@role_required()
def session(session_id: int) -> ResponseReturnValue:
    """A session: its interactions with my progress on each; everyone's progress for its
    organiser; everyone's answers side by side once I may see them (services.sees_others)."""
    calibration = session_or_404(session_id)
    mine = my_scores(calibration, current_user)
    counts = submitted_counts([calibration.id])
    progress = my_progress(calibration, current_user)
    today = today_local()
    everyone = [
        (p.user, counts.get((calibration.id, p.user_id), 0)) for p in calibration.participants
    ]
    return render_template(
        "calibration/session.html",
        calibration=calibration,
        mine=mine,
        taking_part=participant(calibration, current_user) is not None,
        progress=progress,
        status_title=SessionStatus(calibration.status).label,
        overdue=calibration.is_open
        and calibration.due_on is not None
        and calibration.due_on < today
        and progress is not None
        and not progress.done,
        has_results=_has_endpoint("calibration.results"),
        everyone=everyone,
        can_manage=can_manage(current_user, calibration),
        sees_others=sees_others(current_user, calibration),
        answers=side_by_side(calibration, current_user),
        definition=calibration.version.definition,
        can_promote=current_user.role == Role.MANAGER
        and not calibration.is_open
        and calibration.expert_id is not None,
        close_form=CloseForm(),
        post_form=PostForm(),
    )


@bp.route("/<int:session_id>/items/<int:item_id>", methods=["GET", "POST"])
@role_required()
def score(session_id: int, item_id: int) -> ResponseReturnValue:
    """My scoring of one interaction of the session: save a draft, or submit (final)."""
    calibration = session_or_404(session_id)
    item = item_or_404(calibration, item_id)
    if participant(calibration, current_user) is None:
        abort(404)
    stored = score_of(item, current_user)
    if not calibration.is_open or (stored is not None and stored.submitted_at is not None):
        return redirect(url_for("calibration.session", session_id=session_id))
    definition = calibration.version.definition
    form = ScoringForm(obj=stored if request.method == "GET" else None)
    if request.method == "GET":
        return _render_score(item, form, _state_of(stored))
    posted = read_form(definition, request.form)
    state = FormState.from_posted(posted, request.form)
    if not form.validate_on_submit() or posted.problems:
        state.errors.update(problem_messages(definition, posted.problems.items()))
        return _render_score(item, form, state), 400
    final = bool(form.submit.data)
    try:
        save_score(
            item,
            current_user,
            posted.answers,
            posted.comments,
            form.overall_comment.data,
            final=final,
        )
        db.session.commit()
    except AnswerError as error:
        db.session.rollback()
        state.errors.update(problem_messages(definition, error.problems))
        flash(refused_answers_message(len(error.problems), submitting=final), "danger")
        return _render_score(item, form, state), 400
    except CalibrationError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("calibration.session", session_id=session_id))
    flash(_("Scoring submitted.") if final else _("Draft saved."), "success")
    if final:
        return redirect(url_for("calibration.session", session_id=session_id))
    return redirect(url_for("calibration.score", session_id=session_id, item_id=item_id))


def _state_of(stored: Any) -> FormState:
    """The form state of a stored draft (empty when there is none)."""
    state = FormState()
    if stored is None:
        return state
    _answers, comments = stored_answers(stored)
    kinds = {c["key"]: c["kind"] for _, c in iter_criteria(stored.item.session.version.definition)}
    for row in stored.answers:
        value = to_form_value(kinds.get(row.criterion_key, "scale"), row.value, row.is_na)
        if value:
            state.values[row.criterion_key] = value
    state.comments.update(comments)
    return state


def _render_score(item: CalibrationItem, form: ScoringForm, state: FormState) -> str:
    definition = item.session.version.definition
    return render_template(
        "calibration/score.html",
        calibration=item.session,
        item=item,
        interaction=item.interaction,
        form=form,
        state=state,
        live=state.live_score(definition),
    )


@bp.route("/<int:session_id>/items/<int:item_id>/score", methods=["POST"])
@role_required()
def live_score(session_id: int, item_id: int) -> ResponseReturnValue:
    """The score of the answers on the page so far (for the live display; saves nothing)."""
    calibration = session_or_404(session_id)
    item_or_404(calibration, item_id)
    if participant(calibration, current_user) is None:
        abort(404)
    return live_score_json(calibration.version.definition)


@bp.route("/<int:session_id>/close", methods=["POST"])
@role_required()
def close(session_id: int) -> ResponseReturnValue:
    """Close the session (its organiser or a manager; the box confirms it)."""
    calibration = session_or_404(session_id)
    if not can_manage(current_user, calibration):
        abort(403)
    form = CloseForm()
    if not form.validate_on_submit():
        for error in form.confirm.errors:
            flash(str(error), "danger")
        return redirect(url_for("calibration.session", session_id=session_id))
    with committing(_("Session closed; the participants were told the results are ready.")):
        close_session(calibration, current_user)
    return redirect(url_for("calibration.session", session_id=session_id))


@bp.route("/<int:session_id>/items/<int:item_id>/promote", methods=["POST"])
@role_required()
def promote(session_id: int, item_id: int) -> ResponseReturnValue:
    """Make the expert's scoring of the interaction a normal evaluation of its agent
    (managers)."""
    calibration = session_or_404(session_id)
    item = item_or_404(calibration, item_id)
    if current_user.role != Role.MANAGER:
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    with committing(
        _(
            "The benchmark is now an evaluation of %(name)s.",
            name=item.interaction.agent.display_name,
        )
    ):
        promote_benchmark(item, current_user)
    return redirect(
        url_for("calibration.session", session_id=session_id, _anchor=f"item-{item.id}")
    )
