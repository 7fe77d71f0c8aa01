"""Dashboards: a team's agents at a glance for supervisors, the centre for managers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_timezone
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role
from qa_app.dashboards.blueprint import bp
from qa_app.dashboards.centre import criteria_in_reader_language
from qa_app.dashboards.figures import centre_figures, centre_fragment, fragment_key
from qa_app.dashboards.panels import (
    open_disputes_in,
    overdue_items_in,
    progress_in,
    progress_month,
    queue_count_in,
)
from qa_app.dashboards.team import SORT_KEYS, heat_map, team_table
from qa_app.stats.filter_form import DashboardForm, read_dashboard_form
from qa_app.stats.filters import ReportFilters
from qa_app.stats.kpis import KPIS
from qa_app.web.forms import PostForm

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


def _viewer_scope(filters: ReportFilters) -> str:
    """Whose figures: the whole centre's, or (a limited scope) this viewer's own."""
    return "centre" if filters.scope is None else f"user:{current_user.id}"


@bp.route("/centre")
@role_required(*CENTRE_READERS)
def centre() -> ResponseReturnValue:
    """Teams compared, each team's monthly trend, the weakest criteria, evaluator
    consistency and dispute rates: figures up to CACHE_MINUTES old, with their time."""
    form, valid = _form()
    filters = form.filters(current_user)
    scope = _viewer_scope(filters)
    figures = centre_figures(filters, scope)

    def render_figures() -> str:
        return render_template(
            "dashboards/_centre_figures.html",
            filters=filters,
            teams=figures.teams,
            months=figures.months,
            trend_start=max(figures.months[0], filters.start),
            trends=figures.trends,
            weakest=criteria_in_reader_language(figures.weakest),
            centre_qa=figures.centre_qa,
            evaluators=figures.evaluators,
        )

    key = fragment_key(filters, scope, figures.computed_at, str(get_locale()), str(get_timezone()))
    return render_template(
        "dashboards/centre.html",
        form=form,
        filters=filters,
        figures_html=centre_fragment(key, render_figures),
        computed_at=figures.computed_at,
        refresh_form=PostForm(),
    ), (200 if valid else 400)


@bp.route("/centre/refresh", methods=["POST"])
@role_required(*CENTRE_READERS)
def refresh_centre() -> ResponseReturnValue:
    """Compute the centre dashboard's figures for the filters in the query string anew, then
    show them."""
    if PostForm().validate_on_submit():
        form, valid = _form()
        if valid:
            filters = form.filters(current_user)
            centre_figures(filters, _viewer_scope(filters), refresh=True)
    query: dict[str, Any] = request.args.to_dict()
    return redirect(url_for("dashboards.centre", **query))
