"""The coaching session form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import InputRequired

from qa_app.training.forms import text_area
from qa_app.web.forms import LocaleDateField, MultiCheckboxField


class SessionForm(FlaskForm):
    """Record a coaching session with an agent."""

    held_on = LocaleDateField(_l("Date"), validators=[InputRequired()])
    notes = text_area(_l("What you discussed"), required=True, rows=5)
    agreed_actions = text_area(_l("Agreed actions"), rows=3)
    evaluation_ids = MultiCheckboxField(_l("Evaluations discussed"), coerce=int)
    item_ids = MultiCheckboxField(_l("Training plan items discussed"), coerce=int)
    submit = SubmitField(_l("Record the session"))
