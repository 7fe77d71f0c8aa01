"""Drawing a random sample of a team's interactions into its supervisors' work queues."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone, ngettext
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import EVALUATOR_ROLES
from qa_app.evaluations.blueprint import bp
from qa_app.evaluations.forms import SampleForm
from qa_app.evaluations.sample_needs import ReachTarget
from qa_app.evaluations.sampling import SampleResult, draw_sample
from qa_app.extensions import db
from qa_app.teams.models import Team
from qa_app.teams.scope import teams_visible_to
from qa_app.web.forms import required_data, to_choices
from qa_app.web.transaction import committing

DUE_IN_DAYS = 7  # the due date the form proposes: a week from today


@bp.route("/sample", methods=["GET", "POST"])
@role_required(*EVALUATOR_ROLES)
def sample() -> ResponseReturnValue:
    """Draw a random sample per agent of a team, from the interactions that pass the filters,
    and assign it to the team's supervisors with a due date."""
    form = SampleForm()
    teams = db.session.scalars(teams_visible_to(current_user)).all()
    form.team_id.choices = to_choices((team.id, team.name) for team in teams)
    if request.method == "GET":
        today = datetime.now(get_timezone()).date()
        form.period_end.data = today - timedelta(days=1)
        form.period_start.data = today - timedelta(days=30)
        form.due_on.data = today + timedelta(days=DUE_IN_DAYS)
        form.half_width.data = current_app.config["EVALUATIONS_NEEDED_HALF_WIDTH"]
    if form.validate_on_submit():
        team = db.session.get_one(Team, form.team_id.data)
        seed = form.seed.data if form.seed.data is not None else secrets.randbelow(2**31)
        how_many = form.how_many()
        with committing() as outcome:
            result = draw_sample(
                team,
                required_data(form.period_start.data),
                required_data(form.period_end.data),
                how_many,
                seed,
                current_user,
                filters=form.filters(),
                due_on=form.due_on.data,
            )
            total = sum(result.per_agent.values())
            outcome.success = ngettext(
                "Assigned %(num)d interaction (seed %(seed)d).",
                "Assigned %(num)d interactions (seed %(seed)d).",
                total,
                seed=seed,
            )
        if outcome.saved:
            if isinstance(how_many, ReachTarget):
                _explain_allocation(result)
                return redirect(url_for("evaluations.queue"))
            short = sum(1 for n in result.per_agent.values() if n < how_many)
            if short:
                flash(
                    ngettext(
                        "%(num)d agent had fewer interactions in the period than asked for.",
                        "%(num)d agents had fewer interactions in the period than asked for.",
                        short,
                    ),
                    "warning",
                )
            return redirect(url_for("evaluations.queue"))
    return render_template("evaluations/sample.html", form=form)


def _explain_allocation(result: SampleResult) -> None:
    """Say who got fewer evaluations than they need for ±H, and why."""
    allocation = result.allocation
    if allocation is None:
        return
    if allocation.pending_counted:
        flash(
            ngettext(
                "%(num)d evaluation already assigned and not yet scored was counted towards "
                "what the agents need, so it was not drawn again.",
                "%(num)d evaluations already assigned and not yet scored were counted towards "
                "what the agents need, so they were not drawn again.",
                allocation.pending_counted,
            ),
            "info",
        )
    if allocation.short_of_total:
        flash(
            ngettext(
                "The most in all was reached: %(num)d agent got fewer evaluations than they "
                "need (those whose pass or fail is not known yet were served first, then those "
                "who need the most).",
                "The most in all was reached: %(num)d agents got fewer evaluations than they "
                "need (those whose pass or fail is not known yet were served first, then those "
                "who need the most).",
                len(allocation.short_of_total),
            ),
            "warning",
        )
    if allocation.short_of_interactions:
        flash(
            ngettext(
                "%(num)d agent had fewer interactions left to draw than they need.",
                "%(num)d agents had fewer interactions left to draw than they need.",
                len(allocation.short_of_interactions),
            ),
            "warning",
        )
