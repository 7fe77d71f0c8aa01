"""Interactions: list, enter by hand, view with their evaluations, and import."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import EVALUATOR_ROLES, User
from qa_app.channels import CHANNEL_LABELS
from qa_app.extensions import db
from qa_app.i18n import local_to_utc
from qa_app.interactions.blueprint import bp
from qa_app.interactions.forms import ImportForm, InteractionForm
from qa_app.interactions.import_job import import_summary, runs_as_job, start_import_job
from qa_app.interactions.importer import import_interactions
from qa_app.interactions.models import Interaction
from qa_app.interactions.outcomes import csat_positive_from, repeat_contact_days, repeat_contacts
from qa_app.interactions.services import (
    DuplicateReference,
    create_interaction,
    evaluated,
    evaluation_marks,
    interaction_or_404,
    visible_interactions,
)
from qa_app.jobs.handover import start_import_from_form
from qa_app.profiles.forms import editor_context, refused_file_editor
from qa_app.scorecards.models import Scorecard
from qa_app.scorecards.services import active_scorecards, scorecard_for_channel
from qa_app.teams.match_report import flash_name_matches, unknown_agents
from qa_app.teams.scope import agents_visible_to, can_score
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.reader import Problem
from qa_app.uploads.transaction import day_first_of, run_upload, upload_size
from qa_app.web.forms import required_data, to_choices
from qa_app.web.params import int_arg

PER_PAGE = 50
EVALUATED_CHOICES = {"no": _l("Not evaluated yet"), "yes": _l("Evaluated")}


@bp.route("/")
@role_required(*EVALUATOR_ROLES)
def index() -> ResponseReturnValue:
    """Interactions of the user's agents, newest first, filterable by agent, channel and
    whether they were evaluated, each with how it was evaluated."""
    query = visible_interactions(current_user).options(sa.orm.joinedload(Interaction.agent))
    agent_id = int_arg("agent")
    channel = request.args.get("channel")
    evaluated_filter = request.args.get("evaluated")
    if agent_id:
        query = query.where(Interaction.agent_id == agent_id)
    if channel in CHANNEL_LABELS:
        query = query.where(Interaction.channel == channel)
    if evaluated_filter in EVALUATED_CHOICES:
        query = query.where(evaluated(evaluated_filter == "yes"))
    page = db.paginate(
        query.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()),
        page=int_arg("page") or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    agents = db.session.execute(
        agents_visible_to(current_user).with_only_columns(User.id, User.display_name)
    ).all()
    return render_template(
        "interactions/index.html",
        page=page,
        agents=agents,
        channel_labels=CHANNEL_LABELS,
        agent_id=agent_id,
        channel=channel,
        evaluated=evaluated_filter,
        evaluated_choices=EVALUATED_CHOICES,
        marks=evaluation_marks(current_user, [item.id for item in page.items]),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*EVALUATOR_ROLES)
def create() -> ResponseReturnValue:
    """Enter an interaction by hand."""
    form = InteractionForm()
    form.agent_id.choices = to_choices(
        db.session.execute(
            agents_visible_to(current_user)
            .where(User.active.is_(True))
            .with_only_columns(User.id, User.display_name)
        ).all()
    )
    if form.validate_on_submit():
        agent = db.session.get_one(User, form.agent_id.data)
        try:
            interaction = create_interaction(
                agent,
                channel=form.channel.data,
                occurred_at=local_to_utc(required_data(form.occurred_at.data)),
                actor=current_user,
                duration_seconds=form.duration_seconds.data,
                external_ref=form.external_ref.data or None,
                queue=form.queue.data or None,
                customer_ref=form.customer_ref.data or None,
                recording_url=form.recording_url.data or None,
                transcript=form.transcript.data or None,
                **form.outcomes(csat_positive_from()),
            )
        except DuplicateReference as error:
            db.session.rollback()
            form.external_ref.errors = [*form.external_ref.errors, error.message]
        else:
            db.session.commit()
            flash(_("Interaction saved."), "success")
            return redirect(url_for("interactions.detail", interaction_id=interaction.id))
    return render_template("interactions/form.html", form=form)


@bp.route("/<int:interaction_id>")
@role_required(*EVALUATOR_ROLES)
def detail(interaction_id: int) -> ResponseReturnValue:
    """An interaction with its evaluations and a way to start one."""
    interaction = interaction_or_404(current_user, interaction_id, with_evaluations=True)
    scorecards = db.session.execute(
        sa.select(Scorecard.id, Scorecard.name)
        .where(Scorecard.status == "active")
        .order_by(Scorecard.name)
    ).all()
    suggested = scorecard_for_channel(interaction.channel, active_scorecards())
    return render_template(
        "interactions/detail.html",
        interaction=interaction,
        evaluations=interaction.evaluations,
        scorecards=scorecards,
        suggested=suggested,
        can_evaluate=can_score(current_user, interaction.agent_id),
        repeat_contact=repeat_contacts([interaction])[interaction.id],
        repeat_days=repeat_contact_days(),
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/import", methods=["GET", "POST"], endpoint="import")
@role_required(*EVALUATOR_ROLES)
def import_file() -> ResponseReturnValue:
    """Upload an interaction list; check it (dry run) or import it, all rows or none."""
    form = ImportForm()
    report = None
    problems: list[Problem] = []
    editor = None
    if request.method == "GET" and request.args.get("source"):
        form.source.data = request.args["source"][:40]
    if form.validate_on_submit():
        if not form.dry_run.data and runs_as_job(upload_size(form)):
            return start_import_from_form(form, start_import_job)
        report, problems = run_upload(
            form,
            import_interactions,
            hold_as="interactions",
            source=form.source.data,
            actor=current_user,
            options=ReadOptions(day_first=day_first_of(form), tz=get_timezone()),
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
            max_rows=current_app.config["IMPORT_MAX_ROWS"],
        )
        if report is not None and not report.dry_run:
            flash(import_summary(report), "success")
            flash_name_matches(report.name_matches)
            return redirect(url_for("interactions.index"))
        if problems:
            editor = refused_file_editor(
                form, "interactions", current_app.config["IMPORT_MAX_ROWS"]
            )
    return render_template(
        "interactions/import.html",
        form=form,
        report=report,
        problems=problems,
        unknown=unknown_agents(problems),
        **(editor_context(editor) if editor else {}),
    ), (400 if problems else 200)
