"""A user's own notifications: the list, opening one, marking read, the e-mail choice."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.extensions import db
from qa_app.notifications import messages, services
from qa_app.notifications.blueprint import bp
from qa_app.notifications.forms import EmailSettingForm
from qa_app.notifications.models import Notification
from qa_app.web.forms import PostForm
from qa_app.web.params import int_arg
from qa_app.web.transaction import committing


def notification_or_404(notification_id: int) -> Notification:
    """One of the signed-in user's notifications; anyone else's is missing (404)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != current_user.id:
        abort(404)
    return notification


@bp.route("/")
@role_required()
def index() -> ResponseReturnValue:
    """The user's notifications, newest first, paged."""
    page = db.paginate(
        services.notifications_of(current_user),
        page=int_arg("page") or 1,
        per_page=services.PER_PAGE,
        error_out=False,
    )
    return render_template(
        "notifications/index.html",
        page=page,
        rows=services.shown(page.items),
        post_form=PostForm(),
    )


@bp.route("/<int:notification_id>/open", methods=["POST"])
@role_required()
def open_notification(notification_id: int) -> ResponseReturnValue:
    """Mark a notification read and go to its page."""
    notification = notification_or_404(notification_id)
    target = messages.link(notification.link_endpoint, notification.link_args)
    with committing():
        services.mark_read(notification)
    return redirect(target or url_for("notifications.index"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@role_required()
def mark_read(notification_id: int) -> ResponseReturnValue:
    """Mark one notification read and return to the list (the CSRF check is global)."""
    notification = notification_or_404(notification_id)
    with committing():
        services.mark_read(notification)
    return redirect(url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@role_required()
def mark_all_read() -> ResponseReturnValue:
    """Mark every notification of the user read."""
    with committing() as outcome:
        count = services.mark_all_read(current_user)
        outcome.success = ngettext(
            "%(num)d notification marked read.", "%(num)d notifications marked read.", count
        )
    return redirect(url_for("notifications.index"))


@bp.route("/email", methods=["POST"])
@role_required()
def email_setting() -> ResponseReturnValue:
    """Turn notification e-mails on or off (from the account page)."""
    form = EmailSettingForm()
    if form.validate_on_submit():
        wanted = bool(form.email.data)
        message = (
            _("Notifications will also come by e-mail.")
            if wanted
            else _("Notifications will no longer come by e-mail.")
        )
        with committing(message):
            services.set_email(current_user, wanted)
    return redirect(url_for("auth.account"))


def email_setting_form() -> EmailSettingForm:
    """The account page's form, showing the user's current choice."""
    return EmailSettingForm(email=services.takes_email(current_user), formdata=None)


def email_configured() -> bool:
    """Whether this server sends e-mail at all (SMTP_HOST is set)."""
    return bool(current_app.config.get("SMTP_HOST"))
