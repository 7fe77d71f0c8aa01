"""The agreement page's filters: a scorecard and a period of closing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, ValidationError
from wtforms.validators import Optional

from qa_app.web.forms import LocaleDateField, within_day_range


class AgreementForm(FlaskForm):
    """Scorecard and period (by the day a session closed); the period may stay open."""

    class Meta:
        csrf = False

    scorecard_id = SelectField(_l("Scorecard"), coerce=int, validators=[Optional()], default=0)
    start = LocaleDateField(_l("Closed from"), validators=[Optional(), within_day_range])
    end = LocaleDateField(_l("Closed until"), validators=[Optional(), within_day_range])

    def validate_end(self, field: LocaleDateField) -> None:
        """The period must not end before it starts."""
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The period ends before it starts."))
