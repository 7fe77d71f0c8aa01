"""Sign-in and own-account forms."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from qa_app.auth.passwords import PASSWORD_MAX_LENGTH, password_problems
from qa_app.auth.services import SignInOutcome, check_current_password


class SignInForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Sign in"))


def validate_new_password(form: FlaskForm, field: Any) -> None:
    """WTForms validator applying the password policy."""
    email = getattr(form, "policy_email", None)
    problems = password_problems(field.data or "", email=email)
    if problems:
        raise ValidationError(" ".join(problems))


class ChangePasswordForm(FlaskForm):
    """The signed-in user replaces their password."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), validate_new_password],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy_email = current_user.email

    def current_password_accepted(self) -> bool:
        """Check the current password, counted like a sign-in; on refusal the field says why.

        Called once every field is valid, CSRF token included, so that no other site can
        spend the account's guesses.
        """
        result = check_current_password(
            current_user, self.current_password.data or "", client_address=request.remote_addr
        )
        if result.outcome is SignInOutcome.OK:
            return True
        if result.outcome is SignInOutcome.LOCKED:
            message = ngettext(
                "Too many wrong passwords. Try again in %(num)d minute, or ask an "
                "administrator to reset your password.",
                "Too many wrong passwords. Try again in %(num)d minutes, or ask an "
                "administrator to reset your password.",
                result.locked_minutes,
            )
        else:
            message = _("This is not your current password.")
        self.current_password.errors = [*self.current_password.errors, message]
        return False


class LanguageForm(FlaskForm):
    """The language the interface speaks to this user."""

    locale = SelectField(_l("Language"), choices=[])
    submit = SubmitField(_l("Save"))
