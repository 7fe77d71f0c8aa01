"""The notification settings on the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField


class EmailSettingForm(FlaskForm):
    """Whether notifications also come by e-mail."""

    email = BooleanField(_l("Also send my notifications by e-mail"))
    submit = SubmitField(_l("Save"))
