"""Forms for training plans and coaching sessions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField, ValidationError
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from qa_app.training.models import ItemStatus
from qa_app.web.forms import LocaleDateField, strip_whitespace, to_choices, within_day_range

TEXT_LIMIT = 4000


def text_area(label: Any, *, required: bool = False, rows: int = 3, **kwargs: Any) -> TextAreaField:
    first = DataRequired() if required else Optional()
    return TextAreaField(
        label,
        validators=[first, Length(max=TEXT_LIMIT)],
        filters=[strip_whitespace],
        render_kw={"rows": rows},
        **kwargs,
    )


class NewPlanForm(FlaskForm):
    """Propose a plan from a period's evidence, or start an empty one."""

    period_start = LocaleDateField(
        _l("Evidence from"), validators=[InputRequired(), within_day_range]
    )
    period_end = LocaleDateField(_l("Evidence to"), validators=[InputRequired(), within_day_range])
    propose = SubmitField(_l("Propose a plan"))
    blank = SubmitField(_l("Start an empty plan"))

    def validate_period_end(self, field: Any) -> None:
        """The period runs forwards."""
        if self.period_start.data and field.data and field.data < self.period_start.data:
            raise ValidationError(_l("The end is before the start."))


class DraftPlansForm(FlaskForm):
    """Propose draft plans for every agent of a team (0: of all the coach's teams) who has no
    open plan, as a job."""

    team_id = SelectField(_l("Team"), coerce=int, default=0)
    submit = SubmitField(_l("Propose draft plans"))


class ItemForm(FlaskForm):
    """Add a catalogue module to a plan."""

    module_id = SelectField(_l("Module"), coerce=int, validators=[InputRequired()])
    due_on = LocaleDateField(_l("Due on"), validators=[InputRequired()])
    reason = text_area(_l("Why (the agent reads this)"), rows=2)
    coach_notes = text_area(_l("Coach's notes"), rows=2)
    submit = SubmitField(_l("Add to the plan"))


class ItemEditForm(FlaskForm):
    """Change an item's due date and the coach's notes."""

    due_on = LocaleDateField(_l("Due on"), validators=[InputRequired()])
    coach_notes = text_area(_l("Coach's notes"), rows=3)
    submit = SubmitField(_l("Save"))


class MoveForm(FlaskForm):
    """Move an item up or down."""

    direction = SelectField(
        choices=to_choices([("up", "up"), ("down", "down")]), validators=[AnyOf(["up", "down"])]
    )


class PlanNotesForm(FlaskForm):
    """The coach's notes on the whole plan."""

    notes = text_area(_l("Notes for the agent"), rows=3)
    submit = SubmitField(_l("Save notes"))


class AcknowledgeForm(FlaskForm):
    """The agent confirms they read the plan (or the session)."""

    comment = text_area(_l("Your comment (optional)"), rows=2)
    submit = SubmitField(_l("Acknowledge"))


class ItemStatusForm(FlaskForm):
    """Mark an item assigned, in progress or done."""

    status = SelectField(
        _l("Progress"),
        choices=to_choices((status.value, status.value) for status in ItemStatus),
        validators=[AnyOf([status.value for status in ItemStatus])],
    )


class ClosePlanForm(FlaskForm):
    """Close an issued plan with a note."""

    note = text_area(
        _l("Closing note"), rows=2, description=_l("What was achieved, and what next.")
    )
    submit = SubmitField(_l("Close the plan"))
