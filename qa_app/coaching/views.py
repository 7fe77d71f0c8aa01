"""Coaching sessions: the list, recording one with an agent, reading and acknowledging it."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask import abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role, User
from qa_app.coaching.blueprint import bp
from qa_app.coaching.forms import SessionForm
from qa_app.coaching.models import CoachingSession
from qa_app.coaching.permissions import visible_sessions
from qa_app.coaching.sessions import (
    acknowledge_session,
    discussable_evaluations,
    discussable_items,
    evaluation_label,
    record_session,
)
from qa_app.evaluations.models import Evaluation
from qa_app.extensions import db
from qa_app.teams.scope import agents_visible_to
from qa_app.training.forms import AcknowledgeForm
from qa_app.training.permissions import COACH_ROLES, can_coach
from qa_app.training.plans import centre_today
from qa_app.web.forms import required_data, to_choices
from qa_app.web.params import int_arg
from qa_app.web.transaction import committing

PER_PAGE = 25
READERS = (*COACH_ROLES, Role.AGENT)


def session_or_404(session_id: int) -> CoachingSession:
    """A session the user may see."""
    return db.first_or_404(
        visible_sessions(current_user)
        .where(CoachingSession.id == session_id)
        .options(
            sa.orm.joinedload(CoachingSession.agent),
            sa.orm.joinedload(CoachingSession.coach),
            # Each evaluation is named by its contact and scorecard (evaluation_label).
            sa.orm.selectinload(CoachingSession.evaluations).options(
                sa.orm.joinedload(Evaluation.interaction), sa.orm.joinedload(Evaluation.version)
            ),
            sa.orm.selectinload(CoachingSession.items),
        )
    )


@bp.route("/")
@role_required(*READERS)
def index() -> ResponseReturnValue:
    """Sessions in the user's scope (an agent's own), newest first."""
    page = db.paginate(
        visible_sessions(current_user)
        .options(sa.orm.joinedload(CoachingSession.agent), sa.orm.joinedload(CoachingSession.coach))
        .order_by(CoachingSession.held_on.desc(), CoachingSession.id.desc()),
        page=int_arg("page") or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    agents: Sequence[User] = []
    if current_user.role != Role.AGENT:
        agents = db.session.scalars(
            agents_visible_to(current_user).where(User.active.is_(True), User.id != current_user.id)
        ).all()
    return render_template("coaching/sessions.html", page=page, agents=agents)


@bp.route("/agents/<int:agent_id>/new", methods=["GET", "POST"])
@role_required(*COACH_ROLES)
def new(agent_id: int) -> ResponseReturnValue:
    """Record a session with an agent: notes, agreed actions, what it referred to."""
    agent = db.get_or_404(User, agent_id)
    if agent.role != Role.AGENT or not can_coach(current_user, agent.id):
        abort(404)
    form = SessionForm()
    evaluations = discussable_evaluations(agent.id)
    items = discussable_items(agent.id)
    form.evaluation_ids.choices = to_choices((e.id, evaluation_label(e)) for e in evaluations)
    form.item_ids.choices = to_choices((item.id, item.module.text("title")) for item in items)
    if not form.is_submitted():
        form.held_on.data = centre_today()
    if form.validate_on_submit():
        recorded = _("Session recorded: %(name)s can read it now.", name=agent.display_name)
        with committing(recorded) as outcome:
            session = record_session(
                current_user,
                agent,
                required_data(form.held_on.data),
                required_data(form.notes.data),
                form.agreed_actions.data,
                form.evaluation_ids.data or [],
                form.item_ids.data or [],
            )
        if outcome.saved:
            return redirect(url_for("coaching.detail", session_id=session.id))
    return render_template("coaching/new_session.html", agent=agent, form=form)


@bp.route("/<int:session_id>")
@role_required(*READERS)
def detail(session_id: int) -> ResponseReturnValue:
    """The session's notes, agreed actions and links; the agent may acknowledge it."""
    session = session_or_404(session_id)
    return render_template(
        "coaching/session.html",
        session=session,
        evaluation_labels={e.id: evaluation_label(e) for e in session.evaluations},
        form=AcknowledgeForm(),
        is_agent=session.agent_id == current_user.id,
    )


@bp.route("/<int:session_id>/acknowledge", methods=["POST"])
@role_required(Role.AGENT)
def acknowledge(session_id: int) -> ResponseReturnValue:
    """The agent acknowledges the session."""
    session = session_or_404(session_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        abort(400)
    with committing(_("Thank you: the session is acknowledged.")):
        acknowledge_session(session, current_user, form.comment.data)
    return redirect(url_for("coaching.detail", session_id=session.id))
