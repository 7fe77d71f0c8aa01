"""The forms of the session pages: a new session (with the filter that lists interactions to
pick from), the overall comment of a participant's scoring, and the buttons that post."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import get_timezone, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from qa_app.calibration.models import TITLE_LENGTH
from qa_app.calibration.services import MAX_ITEMS, MAX_PARTICIPANTS
from qa_app.channels import CHANNEL_LABELS
from qa_app.evaluations.services import TEXT_LIMIT
from qa_app.web.forms import (
    LocaleDateField,
    MultiCheckboxField,
    strip_whitespace,
    to_choices,
    within_day_range,
)

CONSENSUS = 0  # the expert field's value for "no expert: the consensus is the benchmark"


class NewSessionForm(FlaskForm):
    """A new calibration session. The filter fields (team, agent, period, channel) only
    narrow the interactions listed to tick; "Show interactions" re-lists them, "Create"
    checks every field and opens the session."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=TITLE_LENGTH)],
        filters=[strip_whitespace],
    )
    scorecard_id = SelectField(
        _l("Scorecard"),
        coerce=int,
        validators=[DataRequired(_l("Choose the scorecard everyone scores with."))],
        description=_l("Its latest published version is used for the whole session."),
    )
    team_id = SelectField(_l("Team"), coerce=int, validators=[Optional()])
    agent_id = SelectField(_l("Agent"), coerce=int, validators=[Optional()])
    period_start = LocaleDateField(_l("From"), validators=[Optional(), within_day_range])
    period_end = LocaleDateField(_l("To"), validators=[Optional(), within_day_range])
    channel = SelectField(
        _l("Channel"),
        default="",
        choices=to_choices([("", _l("All channels")), *CHANNEL_LABELS.items()]),
        validators=[Optional()],
    )
    interaction_ids = MultiCheckboxField(
        _l("Interactions"),
        coerce=int,
        description=_l("Everyone scores each ticked interaction (at most %(num)d).", num=MAX_ITEMS),
    )
    participant_ids = MultiCheckboxField(
        _l("Participants"),
        coerce=int,
        description=_l("Active supervisors and managers; the expert takes part too."),
    )
    expert_id = SelectField(
        _l("Benchmark"),
        coerce=int,
        default=CONSENSUS,
        validators=[InputRequired()],
        description=_l(
            "An expert's answers are what everyone is compared with; without an expert, the "
            "consensus of the participants is."
        ),
    )
    due_on = LocaleDateField(_l("Due by"), validators=[Optional(), within_day_range])
    tolerance_points = IntegerField(
        _l("Tolerance (points)"),
        validators=[
            InputRequired(_l("Give the tolerance in points, from 0 to 100.")),
            NumberRange(0, 100, _l("Give the tolerance in points, from 0 to 100.")),
        ],
        description=_l(
            "A deviation from the benchmark of at most this many points on the 0–100 scale "
            "counts as within tolerance."
        ),
    )
    show = SubmitField(_l("Show interactions"))
    submit = SubmitField(_l("Create session"))

    def validate_interaction_ids(self, field: Any) -> None:
        """At least one interaction, at most MAX_ITEMS."""
        chosen = set(field.data or ())
        if not chosen:
            raise ValidationError(_l("Tick at least one interaction to calibrate on."))
        if len(chosen) > MAX_ITEMS:
            raise ValidationError(
                lazy_ngettext(
                    "A session holds at most %(num)d interaction; you ticked %(chosen)d.",
                    "A session holds at most %(num)d interactions; you ticked %(chosen)d.",
                    MAX_ITEMS,
                    chosen=len(chosen),
                )
            )

    def validate_participant_ids(self, field: Any) -> None:
        """At least two evaluators, counting the expert; at most MAX_PARTICIPANTS."""
        people = set(field.data or ())
        if self.expert_id.data:
            people.add(self.expert_id.data)
        if len(people) < 2:
            raise ValidationError(_l("Invite at least two evaluators (the expert counts)."))
        if len(people) > MAX_PARTICIPANTS:
            raise ValidationError(
                lazy_ngettext(
                    "A session takes at most %(num)d participant.",
                    "A session takes at most %(num)d participants.",
                    MAX_PARTICIPANTS,
                )
            )

    def validate_due_on(self, field: LocaleDateField) -> None:
        """Not a day already past in the user's time zone."""
        if field.data is not None and field.data < datetime.now(get_timezone()).date():
            raise ValidationError(_l("The due date has passed; choose today or a later day."))

    def validate_period_end(self, field: LocaleDateField) -> None:
        """The period's ends in order."""
        start = self.period_start.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError(_l("The period ends before it starts."))


class ScoringForm(FlaskForm):
    """The overall comment of a participant's scoring of one interaction (the answers are
    read from the scorecard's generated `answer-<key>` fields), and its two buttons."""

    overall_comment = TextAreaField(
        _l("Overall comment"),
        validators=[Optional(), Length(max=TEXT_LIMIT)],
        filters=[strip_whitespace],
        render_kw={"rows": 2},
    )
    final = BooleanField(
        _l("I understand that a submitted scoring cannot be changed."),
        description=_l("Tick this to submit; saving a draft does not need it."),
    )
    save = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Submit"))

    def validate_final(self, field: Any) -> None:
        """Submitting is final: the box must be ticked for it."""
        if self.submit.data and not field.data:
            raise ValidationError(
                _l("Tick the box to confirm: a submitted scoring cannot be changed.")
            )


class CloseForm(FlaskForm):
    """Close a session: results for everyone, no more scoring."""

    confirm = BooleanField(
        _l("Close the session: nobody can score any more, and everyone sees the answers."),
        validators=[DataRequired(_l("Tick the box to confirm closing the session."))],
    )
    submit = SubmitField(_l("Close session"))
