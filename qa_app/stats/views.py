"""Statistics: upload, column mappings, KPI targets, and the agent page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.audit.services import record_event
from qa_app.auth.access import role_required
from qa_app.auth.models import Role, User
from qa_app.evaluations.permissions import countable_statuses
from qa_app.extensions import db
from qa_app.jobs.handover import start_import_from_form
from qa_app.profiles.forms import editor_context, refused_file_editor
from qa_app.stats import needed_views  # noqa: F401  (its routes join the blueprint)
from qa_app.stats.agent_performance import agent_performance
from qa_app.stats.blueprint import bp
from qa_app.stats.filters import ReportFilters, default_start
from qa_app.stats.forms import StatsImportForm, TargetForm, mapping_form_class
from qa_app.stats.import_job import import_notes, import_summary, runs_as_job, start_import_job
from qa_app.stats.importer import ALIASES, import_stats
from qa_app.stats.kpis import KPI_BY_KEY, KPIS
from qa_app.stats.models import ColumnMapping
from qa_app.stats.services import criterion_breakdown, monthly_qa, save_target, targets_for_team
from qa_app.teams.match_report import flash_name_matches, unknown_agents
from qa_app.teams.models import Team
from qa_app.teams.scope import can_see_agent, teams_visible_to
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.reader import Problem
from qa_app.uploads.transaction import day_first_of, run_upload, upload_size
from qa_app.web.forms import required_data
from qa_app.web.params import date_arg, int_arg

MANAGERS = (Role.ADMIN, Role.MANAGER)


@bp.route("/import", methods=["GET", "POST"], endpoint="import")
@role_required(*MANAGERS)
def import_file() -> ResponseReturnValue:
    """Upload daily statistics; check them (dry run) or import them, all rows or none."""
    form = StatsImportForm()
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
            import_stats,
            hold_as="statistics",
            source=form.source.data,
            actor=current_user,
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
            max_rows=current_app.config["STATS_MAX_ROWS"],
            options=ReadOptions(day_first=day_first_of(form), tz=get_timezone()),
        )
        if report is not None and not report.dry_run:
            flash(import_summary(report), "success")
            flash_name_matches(report.name_matches)
            return redirect(url_for("stats.import"))
        if problems:
            editor = refused_file_editor(form, "statistics", current_app.config["STATS_MAX_ROWS"])
    return render_template(
        "stats/import.html",
        form=form,
        report=report,
        problems=problems,
        unknown=unknown_agents(problems),
        notes=import_notes(report) if report else [],
        **(editor_context(editor) if editor else {}),
    ), (400 if problems else 200)


@bp.route("/mappings", methods=["GET", "POST"])
@role_required(*MANAGERS)
def mappings() -> ResponseReturnValue:
    """Save which header a source system uses for each of our columns."""
    columns = list(ALIASES)
    form = mapping_form_class(columns)()
    source = request.args.get("source") or form.source.data
    existing = db.session.scalar(sa.select(ColumnMapping).where(ColumnMapping.source == source))
    if request.method == "GET" and existing:
        form.process(data={"source": existing.source, **existing.columns})
    if form.validate_on_submit():
        chosen = {name: getattr(form, name).data for name in columns if getattr(form, name).data}
        if existing is None:
            existing = ColumnMapping(source=form.source.data, columns=chosen)
            db.session.add(existing)
        else:
            existing.columns = chosen
        db.session.flush()
        record_event(
            "column_mapping.saved",
            "column_mapping",
            existing.id,
            after={"source": existing.source, "columns": chosen},
        )
        db.session.commit()
        flash(_("Mapping for %(source)s saved.", source=existing.source), "success")
        return redirect(url_for("stats.mappings", source=existing.source))
    saved = db.session.scalars(sa.select(ColumnMapping).order_by(ColumnMapping.source)).all()
    return render_template(
        "stats/mappings.html", form=form, columns=columns, saved=saved, aliases=ALIASES
    )


@bp.route("/targets", methods=["GET", "POST"])
@role_required(*MANAGERS)
def targets() -> ResponseReturnValue:
    """KPI targets of the centre (team 0) or of a team, one KPI at a time."""
    team_id = int_arg("team") or None
    team = db.get_or_404(Team, team_id) if team_id else None
    kpi = request.args.get("kpi")
    form = TargetForm()
    if request.method == "POST":
        if kpi not in KPI_BY_KEY:
            abort(400)
        if form.validate_on_submit():
            save_target(
                team_id,
                kpi,
                required_data(form.target.data),
                form.direction.data,
                required_data(form.weight.data),
                current_user,
            )
            db.session.commit()
            flash(_("Target saved."), "success")
            return redirect(url_for("stats.targets", team=team_id or 0))
        flash(
            _(
                "The target was not saved: %(errors)s",
                errors="; ".join(
                    f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()
                ),
            ),
            "danger",
        )
    teams = db.session.scalars(sa.select(Team).order_by(Team.name)).all()
    return render_template(
        "stats/targets.html",
        team=team,
        teams=teams,
        kpis=KPIS,
        targets=targets_for_team(team_id),
        form=TargetForm(),
    )


@bp.route("/agents/<int:agent_id>")
@role_required()
def agent(agent_id: int) -> ResponseReturnValue:
    """One agent's picture: QA with its interval and n, criteria against the team, KPIs
    against team and target, KPI index and composite."""
    if not can_see_agent(current_user, agent_id):
        abort(404)
    person = db.session.get_one(User, agent_id)
    tz = get_timezone()
    end = date_arg("to") or datetime.now(tz).date()
    start = date_arg("from") or default_start(end)
    if start > end:
        start, end = end, start
    # An agent's own page counts only the evaluations released to them.
    statuses = countable_statuses(current_user)
    return render_template(
        "stats/agent.html",
        performance=agent_performance(
            ReportFilters(start, end, tz, agent_id=agent_id, statuses=statuses)
        ),
        kpis=KPIS,
        criteria=criterion_breakdown(person, start, end, tz, statuses=statuses),
        trend=monthly_qa(person, 6, end, tz, statuses=statuses),
        teams=db.session.scalars(teams_visible_to(current_user)).all(),
    )


@bp.route("/me")
@role_required(Role.AGENT)
def me() -> ResponseReturnValue:
    """The signed-in agent's own page."""
    return redirect(url_for("stats.agent", agent_id=current_user.id))
