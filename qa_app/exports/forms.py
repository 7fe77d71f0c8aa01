"""The export forms: which period, team, agent, scorecard and channel to export."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, ValidationError
from wtforms.validators import DataRequired, InputRequired

from qa_app.web.forms import LocaleDateField, within_day_range


class PeriodForm(FlaskForm):
    """From and to, both days included, in the centre's time zone."""

    start = LocaleDateField(_l("From"), validators=[DataRequired(), within_day_range])
    end = LocaleDateField(_l("To"), validators=[DataRequired(), within_day_range])

    def validate_end(self, field: LocaleDateField) -> None:
        """The period must not end before it starts."""
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The period ends before it starts."))


class WorkbookLanguageForm(PeriodForm):
    """A period, and the language the workbook is written in (choices and default, the
    user's own language, set by the view)."""

    language = SelectField(_l("Language"), choices=[])


class ExportForm(WorkbookLanguageForm):
    """The evaluations workbook: filters, each "all" by default (choices set by the view)."""

    team_id = SelectField(_l("Team"), coerce=int, validators=[InputRequired()])
    agent_id = SelectField(_l("Agent"), coerce=int, validators=[InputRequired()])
    scorecard = SelectField(_l("Scorecard"))
    channel = SelectField(_l("Channel"))
    submit = SubmitField(_l("Download workbook"))


class FeedbackForm(WorkbookLanguageForm):
    """One agent's feedback workbook for a period."""

    agent_id = SelectField(_l("Agent"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Download feedback workbook"))


class ValidityExportForm(WorkbookLanguageForm):
    """The criterion validity workbook: period, team, scorecard and channel, each "all" by
    default (choices set by the view)."""

    team_id = SelectField(_l("Team"), coerce=int, validators=[InputRequired()])
    scorecard = SelectField(_l("Scorecard"))
    channel = SelectField(_l("Channel"))
    submit = SubmitField(_l("Download workbook"))


class CalibrationExportForm(WorkbookLanguageForm):
    """The calibration workbook: sessions closed in the period, one scorecard or all."""

    scorecard = SelectField(_l("Scorecard"))
    submit = SubmitField(_l("Download calibration workbook"))
