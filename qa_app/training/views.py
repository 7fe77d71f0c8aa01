"""Training plans: the list, proposing, the plan page, the whole lifecycle, and follow-up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role, User
from qa_app.database import utcnow
from qa_app.evaluations.permissions import countable_statuses
from qa_app.extensions import db
from qa_app.jobs.handover import hand_over
from qa_app.teams.models import Team
from qa_app.teams.scope import teams_visible_to
from qa_app.training import (
    followup,
    plan_actions,  # noqa: F401  (its routes join the blueprint)
    plans,
)
from qa_app.training.blueprint import bp
from qa_app.training.followup import compare_items
from qa_app.training.forms import (
    AcknowledgeForm,
    ClosePlanForm,
    DraftPlansForm,
    ItemForm,
    ItemStatusForm,
    NewPlanForm,
    PlanNotesForm,
)
from qa_app.training.generate_job import agents_to_propose_for, start_draft_plans_job
from qa_app.training.models import (
    OPEN_PLAN,
    ItemStatus,
    PlanStatus,
    TrainingModule,
    TrainingPlan,
    TrainingPlanItem,
)
from qa_app.training.permissions import COACH_ROLES, can_coach, visible_plans
from qa_app.training.plan_lookup import PLAN_READERS, plan_or_404
from qa_app.training.proposals import default_period, propose_plan
from qa_app.web.forms import PostForm, required_data, to_choices
from qa_app.web.params import int_arg
from qa_app.web.transaction import committing

PER_PAGE = 25
# Days compared on each side of a plan's issue that the follow-up page accepts.
MIN_COMPARE_DAYS, MAX_COMPARE_DAYS = 7, 365


def _today() -> date:
    return plans.centre_today()


@bp.route("/")
@role_required(*PLAN_READERS)
def index() -> ResponseReturnValue:
    """Plans in the user's scope (an agent's own), newest change first."""
    today = _today()
    query = visible_plans(current_user).options(
        sa.orm.selectinload(TrainingPlan.items), sa.orm.joinedload(TrainingPlan.agent)
    )
    status = request.args.get("status", "open")
    if status == "open":
        query = query.where(TrainingPlan.status.in_(OPEN_PLAN))
    elif status in set(PlanStatus):
        query = query.where(TrainingPlan.status == status)
    team_id = int_arg("team")
    teams = db.session.scalars(teams_visible_to(current_user)).all()
    if team_id:
        query = query.where(
            TrainingPlan.agent_id.in_(sa.select(User.id).where(User.team_id == team_id))
        )
    page = db.paginate(
        query.order_by(TrainingPlan.updated_at.desc(), TrainingPlan.id.desc()),
        page=int_arg("page") or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    drafts_form = None
    if current_user.role in COACH_ROLES:
        drafts_form = DraftPlansForm()
        drafts_form.team_id.choices = _team_choices(teams)
    return render_template(
        "training/index.html",
        page=page,
        drafts_form=drafts_form,
        status=status,
        statuses=list(PlanStatus),
        teams=teams if current_user.role != Role.AGENT else [],
        team_id=team_id,
        progress_of=lambda plan: plans.progress(plan, today),
    )


def _team_choices(teams: Sequence[Team]) -> list[tuple[int, str]]:
    """The teams a coach may propose plans for: all of theirs (0), or one."""
    return [(0, _("All my teams")), *((team.id, team.name) for team in teams)]


@bp.route("/draft-plans", methods=["POST"])
@role_required(*COACH_ROLES)
def propose_drafts() -> ResponseReturnValue:
    """Propose a draft plan for every agent of a team (or of all the coach's teams) without
    an open plan, as a job; its page follows the progress and says what was proposed."""
    form = DraftPlansForm()
    form.team_id.choices = _team_choices(db.session.scalars(teams_visible_to(current_user)).all())
    if not form.validate_on_submit():
        abort(404)  # a team out of the coach's sight (the CSRF check answers before this)
    team_id = form.team_id.data or None
    agents = agents_to_propose_for(current_user, team_id)
    if not agents:
        flash(_("There are no active agents to propose plans for."), "info")
        return redirect(url_for("training.index"))
    job = start_draft_plans_job(
        current_user, team_id, agents=len(agents), language=str(get_locale())
    )
    return hand_over(job)


@bp.route("/agents/<int:agent_id>/new", methods=["GET", "POST"])
@role_required(*COACH_ROLES)
def new_plan(agent_id: int) -> ResponseReturnValue:
    """Propose a plan from the evidence of a period, or start an empty one."""
    agent = db.get_or_404(User, agent_id)
    if agent.role != Role.AGENT or not can_coach(current_user, agent.id):
        abort(404)
    existing = plans.open_plan(agent.id)
    if existing is not None:
        flash(_("%(name)s already has an open training plan.", name=agent.display_name), "info")
        return redirect(url_for("training.detail", plan_id=existing.id))
    form = NewPlanForm()
    if request.method == "GET":
        form.period_start.data, form.period_end.data = default_period(_today())
    outcome = None
    plan: TrainingPlan | None
    if form.validate_on_submit():
        period = (required_data(form.period_start.data), required_data(form.period_end.data))
        with committing() as transaction:
            if form.blank.data:
                plan = plans.create_plan(agent, *period, current_user)
            else:
                outcome = propose_plan(agent, _today(), current_user, get_timezone(), period)
                plan = outcome.plan
            if plan is not None:
                transaction.success = _(
                    "Draft plan created: review it, then issue it to the agent."
                )
        if not transaction.saved:
            return redirect(url_for("training.index"))
        if plan is not None:
            return redirect(url_for("training.detail", plan_id=plan.id))
    return render_template("training/new_plan.html", agent=agent, form=form, outcome=outcome)


@bp.route("/plans/<int:plan_id>")
@role_required(*PLAN_READERS)
def detail(plan_id: int) -> ResponseReturnValue:
    """The plan: items with their evidence, progress and follow-up, and the actions open to
    this user."""
    plan = plan_or_404(plan_id)
    coach = can_coach(current_user, plan.agent_id)
    add_form = None
    if coach and plan.is_open:
        add_form = ItemForm()
        taken = {item.module_id for item in plan.items}
        modules = db.session.scalars(
            sa.select(TrainingModule)
            .where(TrainingModule.active.is_(True))
            .order_by(TrainingModule.position)
        )
        add_form.module_id.choices = to_choices(
            (module.id, module.text("title")) for module in modules if module.id not in taken
        )
        add_form.due_on.data = _today() + timedelta(days=14)
    notes_form = PlanNotesForm(data={"notes": plan.notes})
    return render_template(
        "training/detail.html",
        plan=plan,
        coach=coach,
        is_agent=current_user.id == plan.agent_id,
        comparisons=(
            compare_items(
                plan.items,
                statuses=countable_statuses(current_user),
                now=utcnow(),
                today=_today(),
                days=current_app.config["FOLLOW_UP_DAYS"],
            )
            if plan.issued_at
            else {}
        ),
        add_form=add_form,
        notes_form=notes_form,
        status_form=ItemStatusForm(),
        acknowledge_form=AcknowledgeForm(),
        close_form=ClosePlanForm(),
        button_form=PostForm(),
        today=_today(),
        item_statuses=list(ItemStatus),
    )


@bp.route("/follow-up")
@role_required(*COACH_ROLES)
def follow_up() -> ResponseReturnValue:
    """Did coaching work? Each focus area of the plans issued in a period, before and after,
    with its change and 95 % interval; and each focus area over all those plans together."""
    teams = db.session.scalars(teams_visible_to(current_user)).all()
    team_id = int_arg("team")
    asked = int_arg("days")
    days = 180 if asked is None else min(max(asked, 7), 730)
    asked_window = int_arg("compare")
    compare_days = (
        current_app.config["FOLLOW_UP_DAYS"]
        if asked_window is None
        else min(max(asked_window, MIN_COMPARE_DAYS), MAX_COMPARE_DAYS)
    )
    since = _today() - timedelta(days=days)
    in_scope = visible_plans(current_user).with_only_columns(TrainingPlan.id).order_by(None)
    query = (
        sa.select(TrainingPlanItem)
        .join(TrainingPlan)
        .where(
            TrainingPlan.id.in_(in_scope),
            TrainingPlan.issued_on >= since,
            TrainingPlanItem.focus_kind.is_not(None),
        )
        .options(
            sa.orm.contains_eager(TrainingPlanItem.plan).joinedload(TrainingPlan.agent),
            sa.orm.joinedload(TrainingPlanItem.module),
        )
        .order_by(TrainingPlan.issued_on.desc(), TrainingPlan.id, TrainingPlanItem.position)
    )
    if team_id:
        query = query.where(
            TrainingPlan.agent_id.in_(sa.select(User.id).where(User.team_id == team_id))
        )
    items = db.session.scalars(query.limit(500)).unique().all()
    result = followup.follow_up(
        items,
        statuses=countable_statuses(current_user),
        now=utcnow(),
        today=_today(),
        days=compare_days,
    )
    return render_template(
        "training/follow_up.html",
        items=items,
        comparisons=result.by_item,
        pooled=result.pooled,
        teams=teams,
        team_id=team_id,
        days=days,
        compare_days=compare_days,
        min_compare_days=MIN_COMPARE_DAYS,
        max_compare_days=MAX_COMPARE_DAYS,
    )


@bp.route("/catalogue")
@role_required(*PLAN_READERS)
def catalogue() -> ResponseReturnValue:
    """The training modules plans are built from (scorecards/training.toml)."""
    modules = db.session.scalars(
        sa.select(TrainingModule)
        .where(TrainingModule.active.is_(True))
        .order_by(TrainingModule.position)
    ).all()
    return render_template("training/catalogue.html", modules=modules)
