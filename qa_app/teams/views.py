"""Team administration: the list, and creating or editing a team (administrators)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.teams.blueprint import bp
from qa_app.teams.forms import TeamForm
from qa_app.teams.models import Team
from qa_app.teams.overview import team_overviews
from qa_app.teams.services import save_team
from qa_app.web.forms import required_data
from qa_app.web.transaction import committing


@bp.route("")
@role_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    """All teams with their supervisors and agent counts."""
    return render_template("teams/index.html", teams=team_overviews(current_user))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create() -> ResponseReturnValue:
    """Create a team with its supervisors and agents."""
    return _team_form(None)


@bp.route("/<int:team_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(team_id: int) -> ResponseReturnValue:
    """Rename a team and change its supervisors and agents."""
    return _team_form(db.get_or_404(Team, team_id))


def _team_form(team: Team | None) -> ResponseReturnValue:
    form = TeamForm(obj=team, team=team)
    if team is not None and request.method == "GET":
        form.supervisor_ids.data = [user.id for user in team.supervisors]
        form.dispute_reviewer_ids.data = [user.id for user in team.dispute_reviewers]
        form.agent_ids.data = [user.id for user in team.agents]
    if form.validate_on_submit():
        with committing() as outcome:
            team = save_team(
                team,
                required_data(form.name.data),
                required_data(form.supervisor_ids.data),
                required_data(form.agent_ids.data),
                release_mode=form.release_mode.data,
                evaluations_per_agent_month=form.evaluations_per_agent_month.data,
                dispute_reviewer_ids=form.dispute_reviewer_ids.data or [],
            )
            outcome.success = _("Saved team %(name)s.", name=team.name)
        if outcome.saved:
            return redirect(url_for("teams.index"))
    return render_template("teams/form.html", form=form, team=team)
