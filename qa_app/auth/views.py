"""Sign-in, sign-out and the user's own account page."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from qa_app.auth.access import public, role_required
from qa_app.auth.blueprint import bp
from qa_app.auth.forms import ChangePasswordForm, LanguageForm, SignInForm
from qa_app.auth.models import User
from qa_app.auth.services import (
    SignInOutcome,
    authenticate,
    change_password,
    end_session,
    start_session,
    user_for_session,
)
from qa_app.extensions import db, login_manager
from qa_app.i18n import supported_languages
from qa_app.web.forms import PostForm, required_data, to_choices

# Pages a user who must change their password may still open.
PASSWORD_CHANGE_ENDPOINTS = frozenset(
    {"auth.account", "auth.change_password", "auth.logout", "static", "bootstrap.static"}
)
# Refresh the idle clock in the cookie at most this often, to avoid a new cookie per request.
SEEN_REFRESH_SECONDS = 60


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a live server-side session that has not been idle too long."""
    now = time.time()
    seen = session.get("seen")
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if not isinstance(seen, int | float) or now - seen > idle_limit:
        g.session_timed_out = seen is not None
        return None
    user = user_for_session(user_id, session.get("sid"))
    if user is not None and now - seen > SEEN_REFRESH_SECONDS:
        session["seen"] = now
    return user


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    """Send anonymous visitors to sign in, saying why when their session ran out."""
    if g.get("session_timed_out"):
        flash(
            _("You were signed out after a period of inactivity. Please sign in again."), "warning"
        )
    else:
        flash(_("Please sign in to open this page."), "info")
    session.pop("_user_id", None)
    next_path = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=next_path.rstrip("?") if next_path else None))


@bp.before_app_request
def require_password_change() -> ResponseReturnValue | None:
    """Hold users with a temporary password on the account page until they choose one."""
    if (
        request.endpoint not in PASSWORD_CHANGE_ENDPOINTS
        and request.blueprint != "api"  # bearer tokens only; a browser's cookie counts for nothing
        and current_user.is_authenticated
        and current_user.must_change_password
    ):
        flash(_("Choose a new password before you continue."), "warning")
        return redirect(url_for("auth.account"))
    return None


def _safe_next(target: str | None) -> str | None:
    """Only local paths are followed after sign-in (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignInForm()
    if form.validate_on_submit():
        result = authenticate(
            required_data(form.email.data),
            required_data(form.password.data),
            client_address=request.remote_addr,
        )
        if result.outcome is SignInOutcome.OK and result.user is not None:
            token = start_session(
                result.user,
                ip_address=request.remote_addr,
                user_agent=request.user_agent.string,
            )
            db.session.commit()
            session.clear()  # a fresh session: nothing from before sign-in survives
            login_user(result.user)
            session["sid"] = token
            session["seen"] = time.time()
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
        db.session.commit()
        if result.outcome is SignInOutcome.LOCKED:
            flash(
                ngettext(
                    "Too many failed sign-in attempts. Try again in %(num)d minute, or ask "
                    "an administrator to reset your password.",
                    "Too many failed sign-in attempts. Try again in %(num)d minutes, or ask "
                    "an administrator to reset your password.",
                    result.locked_minutes,
                ),
                "danger",
            )
        elif result.outcome is SignInOutcome.INACTIVE:
            flash(_("This account has been deactivated. Ask an administrator."), "danger")
        else:
            flash(_("The e-mail address or the password is wrong."), "danger")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@role_required()
def logout() -> ResponseReturnValue:
    """End the session on the server and in the browser."""
    form = PostForm()
    if form.validate_on_submit():
        end_session(session.get("sid"))
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("main.index"))


def _render_account(
    password_form: ChangePasswordForm | None = None, language_form: LanguageForm | None = None
) -> str:
    language_form = language_form or LanguageForm(locale=current_user.locale or "")
    language_form.locale.choices = to_choices(
        [("", _("As my browser says")), *supported_languages()]
    )
    return render_template(
        "auth/account.html",
        password_form=password_form or ChangePasswordForm(),
        language_form=language_form,
        data_form=PostForm(),
    )


@bp.route("/account")
@role_required()
def account() -> ResponseReturnValue:
    """The signed-in user's own account: password and language."""
    return _render_account()


@bp.route("/account/password", methods=["POST"], endpoint="change_password")
@role_required()
def change_password_view() -> ResponseReturnValue:
    """Replace the signed-in user's password."""
    form = ChangePasswordForm()
    if form.validate_on_submit() and form.current_password_accepted():
        change_password(
            current_user, required_data(form.new_password.data), current_token=session.get("sid")
        )
        db.session.commit()
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("main.index"))
    db.session.commit()  # a wrong current password counts, and may lock the account
    return _render_account(password_form=form), 400


@bp.route("/account/language", methods=["POST"])
@role_required()
def set_language() -> ResponseReturnValue:
    """Choose the interface language (or follow the browser)."""
    form = LanguageForm()
    form.locale.choices = to_choices([("", ""), *supported_languages()])
    if form.validate_on_submit():
        current_user.locale = form.locale.data or None
        db.session.commit()
        flash(_("Your language setting has been saved."), "success")
        return redirect(url_for("auth.account"))
    return _render_account(language_form=form), 400
