"""The form that creates a personal API token."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from qa_app.web.forms import LocaleDateField, strip_whitespace

# Far enough for any integration; a typo such as 20266 is refused rather than stored.
LATEST_EXPIRY = date(2999, 12, 31)


class ApiTokenForm(FlaskForm):
    """Name a token (what uses it) and, optionally, the last day it works."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=80)],
        filters=[strip_whitespace],
        description=_l("What will use it, e.g. “BI dashboard” or “phone system export”."),
    )
    expires_on = LocaleDateField(
        _l("Valid until (optional)"),
        validators=[Optional()],
        description=_l("The token stops working after this day. Leave empty for no expiry."),
    )
    submit = SubmitField(_l("Create token"))

    def validate_expires_on(self, field: Any) -> None:
        """The last valid day is today or later."""
        if field.data is None:
            return
        today = datetime.now(get_timezone()).date()
        if field.data < today:
            raise ValidationError(_l("Choose today or a later day."))
        if field.data > LATEST_EXPIRY:
            raise ValidationError(_l("Choose a day before the year 3000."))
