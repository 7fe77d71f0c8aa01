"""The confirmation form of an anonymisation."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, ValidationError
from wtforms.validators import DataRequired

from qa_app.web.forms import strip_whitespace


class AnonymiseForm(FlaskForm):
    """The administrator types the user's e-mail address to confirm (it cannot be undone)."""

    confirm_email = StringField(
        _l("Type the user's e-mail address to confirm"),
        validators=[DataRequired()],
        filters=[strip_whitespace],
    )
    submit = SubmitField(_l("Anonymise for good"))

    def __init__(self, *args: Any, expected_email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected_email = expected_email

    def validate_confirm_email(self, field: StringField) -> None:
        """The address typed must be the user's own (case does not matter)."""
        if (field.data or "").lower() != self.expected_email.lower():
            raise ValidationError(_l("This is not the user's e-mail address."))
