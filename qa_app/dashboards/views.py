"""Dashboards: a team's agents at a glance for supervisors, the centre for managers."""

from __future__ import annotations

from datetime import datetime

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role
from qa_app.dashboards.blueprint import bp
from qa_app.dashboards.centre import (
    evaluator_consistency,
    monthly_trend_by_team,
    teams_compared,
    weakest_criteria,
)
from qa_app.dashboards.panels import (
    open_disputes_in,
    overdue_items_in,
    progress_in,
    progress_month,
    queue_count_in,
)
from qa_app.dashboards.team import SORT_KEYS, heat_map, team_table
from qa_app.stats.filter_form import DashboardForm, read_dashboard_form
from qa_app.stats.kpis import KPIS

TEAM_READERS = (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)
CENTRE_READERS = (Role.ADMIN, Role.MANAGER)


def _form() -> tuple[DashboardForm, bool]:
    """The filter form read from the query string; whether its values are usable."""
    return read_dashboard_form(request.args, current_user)


@bp.route("/team")
@role_required(*TEAM_READERS)
def team() -> ResponseReturnValue:
    """The agents of the user's teams side by side, the heat map of agents × criteria, the
    evaluation queue and progress, open disputes and overdue training items: every panel
    within the same filters."""
    form, valid = _form()
    filters = form.filters(current_user)
    sort = request.args.get("sort", "qa")
    descending = request.args.get("dir", "asc") == "desc"
    today = datetime.now(get_timezone()).date()
    return render_template(
        "dashboards/team.html",
        form=form,
        filters=filters,
        rows=team_table(filters, sort, descending),
        sort=sort if sort in SORT_KEYS else "qa",
        descending=descending,
        kpis=KPIS,
        heat=heat_map(filters),
        queue=queue_count_in(current_user, filters),
        progress=progress_in(filters),
        progress_month=progress_month(filters),
        disputes=open_disputes_in(current_user, filters),
        overdue=overdue_items_in(current_user, filters, today),
        today=today,
    ), (200 if valid else 400)


@bp.route("/centre")
@role_required(*CENTRE_READERS)
def centre() -> ResponseReturnValue:
    """Teams compared, each team's monthly trend, the weakest criteria, evaluator
    consistency and dispute rates."""
    form, valid = _form()
    filters = form.filters(current_user)
    months, trends = monthly_trend_by_team(filters)
    centre_qa, evaluators = evaluator_consistency(filters)
    return render_template(
        "dashboards/centre.html",
        form=form,
        filters=filters,
        teams=teams_compared(filters),
        months=months,
        trend_start=max(months[0], filters.start),
        trends=trends,
        weakest=weakest_criteria(filters),
        centre_qa=centre_qa,
        evaluators=evaluators,
    ), (200 if valid else 400)
