"""How many evaluations are enough: per agent of a team, the evaluations needed for an
interval of ±H points around their QA average, and whether their pass or fail is known."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.stats.blueprint import bp
from qa_app.stats.filters import ReportFilters, scope_of
from qa_app.stats.forms import NeededForm
from qa_app.stats.needed import OWN_SPREAD_FROM, needs_by_agent
from qa_app.teams.scope import teams_visible_to
from qa_app.web.forms import to_choices

READERS = (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)


@bp.route("/needed")
@role_required(*READERS)
def needed() -> ResponseReturnValue:
    """Each agent of a team the user may see (the first by default) over a period (this month
    by default): n, mean and interval, the spread used, evaluations needed and still to do,
    those whose pass or fail is not known yet first."""
    form = NeededForm(request.args)
    teams = db.session.scalars(teams_visible_to(current_user)).all()
    form.team_id.choices = to_choices((team.id, team.name) for team in teams)
    today = datetime.now(get_timezone()).date()
    valid = form.validate() if request.args else True
    if not form.team_id.data and teams:
        form.team_id.data = teams[0].id
    form.start.data = form.start.data or today.replace(day=1)
    form.end.data = form.end.data or today
    form.half_width.data = (
        form.half_width.data or current_app.config["EVALUATIONS_NEEDED_HALF_WIDTH"]
    )
    rows = []
    if valid and teams:
        filters = ReportFilters(
            form.start.data,
            form.end.data,
            get_timezone(),
            team_id=form.team_id.data,
            scope=scope_of(current_user),
        )
        rows = needs_by_agent(filters, form.half_width.data)
    return render_template(
        "stats/needed.html",
        form=form,
        rows=rows,
        teams=teams,
        half_width=form.half_width.data,
        own_from=OWN_SPREAD_FROM,
    ), (200 if valid else 400)
