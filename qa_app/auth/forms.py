"""Sign-in and own-account forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from qa_app.auth.passwords import PASSWORD_MAX_LENGTH, password_problems, verify_password


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

    def validate_current_password(self, field: Any) -> None:
        """The current password must be right."""
        if not verify_password(current_user.password_hash, field.data or ""):
            raise ValidationError(_l("This is not your current password."))


class LanguageForm(FlaskForm):
    """The language the interface speaks to this user."""

    locale = SelectField(_l("Language"), choices=[])
    submit = SubmitField(_l("Save"))
