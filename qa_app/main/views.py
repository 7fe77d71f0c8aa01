"""Home pages: what each role sees first after signing in."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_login import current_user

from qa_app.auth.access import public, role_required
from qa_app.auth.models import Role
from qa_app.coaching.sessions import pending_sessions
from qa_app.evaluations.permissions import countable_statuses
from qa_app.evaluations.summaries import latest_feedback, work_summary
from qa_app.main.blueprint import bp
from qa_app.main.services import recent_audit_events, users_by_role
from qa_app.stats.agent_performance import agent_performance
from qa_app.stats.filters import ReportFilters, default_start
from qa_app.stats.kpis import KPIS
from qa_app.stats.services import monthly_qa
from qa_app.teams.overview import active_agent_count, team_overviews, visible_agents_by_team
from qa_app.training.plans import centre_today, progress
from qa_app.training.summaries import current_plan, items_due_soon, overdue_items
from qa_app.web.health import run_health_checks


@bp.route("/")
@role_required()
def index() -> ResponseReturnValue:
    """The signed-in user's home page, by role."""
    role = current_user.role
    if role == Role.ADMIN:
        return render_template(
            "main/home_admin.html", counts=users_by_role(), events=recent_audit_events()
        )
    if role == Role.MANAGER:
        return render_template(
            "main/home_manager.html",
            teams=team_overviews(current_user),
            work=work_summary(current_user),
            overdue=overdue_items(current_user, centre_today()),
        )
    if role == Role.SUPERVISOR:
        return render_template(
            "main/home_supervisor.html",
            teams=visible_agents_by_team(current_user),
            work=work_summary(current_user),
            overdue=overdue_items(current_user, centre_today()),
        )
    team = current_user.team
    plan = current_plan(current_user)
    today = centre_today()
    tz = get_timezone()
    statuses = countable_statuses(current_user)  # only what was released to the agent
    return render_template(
        "main/home_agent.html",
        team=team,
        supervisors=team.supervisors if team else [],
        team_size=active_agent_count(team.id) if team else 0,
        feedback=latest_feedback(current_user),
        plan=plan,
        plan_progress=progress(plan, today) if plan else None,
        today=today,
        pending_sessions=pending_sessions(current_user),
        due_soon=items_due_soon(current_user, today, current_app.config["TRAINING_DUE_SOON_DAYS"]),
        due_soon_days=current_app.config["TRAINING_DUE_SOON_DAYS"],
        performance=agent_performance(
            ReportFilters(
                default_start(today), today, tz, agent_id=current_user.id, statuses=statuses
            )
        ),
        trend=monthly_qa(current_user, 6, today, tz, statuses=statuses),
        kpis=KPIS,
    )


@bp.route("/healthz")
@public
def health() -> ResponseReturnValue:
    """For load balancers: 200 when every part is healthy (the database answers and can
    save, the cache answers, the queue …), else 503; each part's state by name."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # proxy method
    healthy, states = run_health_checks(app)
    return jsonify(status="ok" if healthy else "error", **states), (200 if healthy else 503)
