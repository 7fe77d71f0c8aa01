"""Administration pages: thin views over admin.services."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.admin import identity_views  # noqa: F401  (its routes join the blueprint)
from qa_app.admin.blueprint import bp
from qa_app.admin.forms import ROLE_LABELS, UserFilterForm, UserForm
from qa_app.admin.services import (
    UserData,
    create_user,
    reset_password,
    set_user_active,
    update_user,
)
from qa_app.auth.access import role_required
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.web.forms import PostForm, required_data
from qa_app.web.params import int_arg
from qa_app.web.transaction import committing

USERS_PER_PAGE = 50


def _user_data(form: UserForm) -> UserData:
    return UserData(
        email=required_data(form.email.data),
        display_name=required_data(form.display_name.data),
        role=Role(form.role.data),
        team_id=form.team_id.data or None,
        external_id=form.external_id.data or None,
        qa_lead=bool(form.qa_lead.data),
    )


@bp.route("/users")
@role_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    """All users, searchable and filtered by role, team and status."""
    form = UserFilterForm(request.args)
    query = (
        sa.select(User)
        .options(sa.orm.joinedload(User.team), sa.orm.selectinload(User.supervised_teams))
        .order_by(User.display_name)
    )
    if form.validate():
        if form.q.data:
            text = form.q.data.strip().lower()
            query = query.where(
                sa.or_(
                    sa.func.lower(User.display_name).contains(text, autoescape=True),
                    User.email.contains(text, autoescape=True),
                    sa.func.lower(User.external_id).contains(text, autoescape=True),
                )
            )
        if form.role.data:
            query = query.where(User.role == form.role.data)
        if form.team_id.data:
            query = query.where(User.team_id == form.team_id.data)
        if not form.include_inactive.data:
            query = query.where(User.active.is_(True))
    else:
        query = query.where(User.active.is_(True))
    page = db.paginate(query, page=int_arg("page") or 1, per_page=USERS_PER_PAGE, error_out=False)
    return render_template(
        "admin/users.html", page=page, form=form, role_labels=ROLE_LABELS, post_form=PostForm()
    )


@bp.route("/users/new", methods=["GET", "POST"], endpoint="create_user")
@role_required(Role.ADMIN)
def create_user_page() -> ResponseReturnValue:
    """Create a user with a temporary password shown once."""
    form = UserForm()
    if form.validate_on_submit():
        user, password = create_user(_user_data(form))
        db.session.commit()
        return render_template(
            "admin/password_shown.html", user=user, password=password, created=True
        )
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int) -> ResponseReturnValue:
    """Edit a user's e-mail, name, role, team and external id."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, user=user)
    if request.method == "GET":
        form.team_id.data = user.team_id or 0
    if form.validate_on_submit():
        with committing() as outcome:
            update_user(user, _user_data(form), current_user)
            outcome.success = _("Saved %(name)s.", name=user.display_name)
        if outcome.saved:
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, post_form=PostForm())


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required(Role.ADMIN)
def set_active(user_id: int) -> ResponseReturnValue:
    """Deactivate or reactivate a user (`active` = 1 or 0)."""
    user = db.get_or_404(User, user_id)
    form = PostForm()
    if request.form.get("active") not in ("0", "1"):
        abort(400)
    if form.validate_on_submit():
        active = request.form["active"] == "1"
        if active:
            done = _("%(name)s can sign in again.", name=user.display_name)
        else:
            done = _("%(name)s is deactivated and signed out.", name=user.display_name)
        with committing(done):
            set_user_active(user, active, current_user)
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/deactivate", endpoint="confirm_deactivate")
@role_required(Role.ADMIN)
def confirm_deactivate(user_id: int) -> ResponseReturnValue:
    """Ask before deactivating: what it does, and the button that does it (no script)."""
    user = db.get_or_404(User, user_id)
    if not user.active:
        return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/confirm_deactivate.html", user=user, post_form=PostForm())


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"], endpoint="reset_password")
@role_required(Role.ADMIN)
def reset_user_password(user_id: int) -> ResponseReturnValue:
    """Give the user a temporary password, shown once on the next page."""
    user = db.get_or_404(User, user_id)
    form = PostForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.edit_user", user_id=user.id))
    password = reset_password(user)
    db.session.commit()
    return render_template("admin/password_shown.html", user=user, password=password, created=False)
