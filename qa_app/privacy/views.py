"""Privacy pages: "Download my data" for everyone, anonymisation for administrators."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.audit.services import record_event
from qa_app.auth.access import role_required
from qa_app.auth.models import Role, User
from qa_app.database import utcnow
from qa_app.exports.download_names import download_name
from qa_app.extensions import db
from qa_app.privacy.anonymise import AnonymiseError, anonymise_agent, check_anonymisable
from qa_app.privacy.forms import AnonymiseForm
from qa_app.privacy.personal_data import personal_data, to_json
from qa_app.web.forms import PostForm
from qa_app.web.transaction import committing

bp = Blueprint("privacy", __name__)


@bp.route("/account/my-data", methods=["POST"])
@role_required()
def download_my_data() -> ResponseReturnValue:
    """Everything the app holds about the signed-in user, as one JSON file (audited)."""
    if not PostForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "warning")
        return redirect(url_for("auth.account"))
    document = personal_data(current_user)
    sections = {key: len(value) for key, value in document.items() if isinstance(value, list)}
    record_event("privacy.data_downloaded", "user", current_user.id, after={"sections": sections})
    db.session.commit()
    name = download_name(
        "qa-coach-my-data", current_user.display_name, utcnow().date().isoformat(), suffix=".json"
    )
    return send_file(
        BytesIO(to_json(document)),
        mimetype="application/json",
        as_attachment=True,
        download_name=name,
    )


@bp.route("/admin/users/<int:user_id>/anonymise", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def anonymise(user_id: int) -> ResponseReturnValue:
    """Confirm, then anonymise a deactivated agent for good."""
    user = db.get_or_404(User, user_id)
    form = AnonymiseForm(expected_email=user.email)
    try:
        check_anonymisable(user)
    except AnonymiseError as error:
        flash(str(error), "danger")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    if form.validate_on_submit():
        # anonymise_agent checks again: a concurrent change since the check above is refused
        with committing() as outcome:
            key = anonymise_agent(user, current_user)
            outcome.success = _("The agent has been anonymised as %(key)s.", key=key)
        return redirect(url_for("admin.edit_user", user_id=user.id))
    status = 400 if form.is_submitted() else 200
    return render_template("privacy/anonymise.html", user=user, form=form), status
