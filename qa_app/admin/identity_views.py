"""Agents' ids per source system: a user's list (add, remove), linking an id an import did
not know, and bulk agent lists. Administrators only; thin views over admin.identities."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from qa_app.admin.blueprint import bp
from qa_app.admin.forms import IdentityForm, IdentityImportForm, LinkIdentityForm
from qa_app.admin.identities import add_identity, import_identities, remove_identity
from qa_app.auth.access import role_required
from qa_app.auth.models import AgentIdentity, Role, User
from qa_app.extensions import db
from qa_app.uploads.reader import Problem
from qa_app.uploads.transaction import run_upload
from qa_app.web.forms import PostForm, required_data
from qa_app.web.transaction import committing


@bp.route("/users/<int:user_id>/identities", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def identities(user_id: int) -> ResponseReturnValue:
    """An agent's ids in each source system; add one."""
    user = db.get_or_404(User, user_id)
    form = IdentityForm()
    if form.validate_on_submit():
        with committing() as outcome:
            identity = add_identity(
                user, required_data(form.source.data), required_data(form.external_id.data),
                current_user,
            )  # fmt: skip
            outcome.success = _(
                "Added the %(source)s id %(id)s.", source=identity.source, id=identity.external_id
            )
        if outcome.saved:
            return redirect(url_for("admin.identities", user_id=user.id))
    return render_template("admin/identities.html", user=user, form=form, post_form=PostForm()), (
        400 if form.errors else 200
    )


@bp.route(
    "/users/<int:user_id>/identities/<int:identity_id>/remove",
    methods=["POST"],
    endpoint="remove_identity",
)
@role_required(Role.ADMIN)
def remove_identity_page(user_id: int, identity_id: int) -> ResponseReturnValue:
    """Remove one of an agent's ids."""
    identity = db.get_or_404(AgentIdentity, identity_id)
    if identity.user_id != user_id:
        abort(404)
    if PostForm().validate_on_submit():
        done = _("Removed the %(source)s id %(id)s.", source=identity.source,
                 id=identity.external_id)  # fmt: skip
        with committing(done):
            remove_identity(identity, current_user)
    return redirect(url_for("admin.identities", user_id=user_id))


@bp.route("/identities/link", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def link_identity() -> ResponseReturnValue:
    """Link an id an import did not know (source and id pre-filled from its list) to an
    agent."""
    form = LinkIdentityForm()
    if request.method == "GET":
        form.source.data = request.args.get("source", "")[:40]
        form.external_id.data = request.args.get("external_id", "")[:128]
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data)
        if user is None:
            abort(404)
        with committing() as outcome:
            identity = add_identity(
                user, required_data(form.source.data), required_data(form.external_id.data),
                current_user,
            )  # fmt: skip
            outcome.success = _(
                "Linked the %(source)s id %(id)s to %(name)s.",
                source=identity.source,
                id=identity.external_id,
                name=user.display_name,
            )
        if outcome.saved:
            return redirect(url_for("admin.identities", user_id=user.id))
    return render_template("admin/link_identity.html", form=form), (400 if form.errors else 200)


@bp.route("/identities/import", methods=["GET", "POST"], endpoint="import_identities")
@role_required(Role.ADMIN)
def import_identities_page() -> ResponseReturnValue:
    """Upload an agent list to add ids in bulk: all rows or none."""
    form = IdentityImportForm()
    report = None
    problems: list[Problem] = []
    if form.validate_on_submit():
        report, problems = run_upload(
            form,
            import_identities,
            actor=current_user,
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
            max_rows=current_app.config["IMPORT_MAX_ROWS"],
        )
        if report is not None and not report.dry_run:
            flash(
                ngettext("Added %(num)d id.", "Added %(num)d ids.", report.added)
                + " "
                + ngettext(
                    "%(num)d was already there.",
                    "%(num)d were already there.",
                    report.unchanged,
                ),
                "success",
            )
            return redirect(url_for("admin.import_identities"))
    return render_template(
        "admin/identity_import.html", form=form, report=report, problems=problems
    ), (400 if problems else 200)
