"""Forms around evaluations (the scoring form itself is generated from the scorecard)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from qa_app.channels import CHANNEL_LABELS
from qa_app.evaluations.sample_needs import HALF_WIDTH_RANGE, MAX_TOTAL, ReachTarget
from qa_app.evaluations.sampling import (
    MAX_DURATION_SECONDS,
    MAX_PER_AGENT,
    PHRASE_LENGTH,
    QUEUE_LENGTH,
    HandleTime,
    Outcome,
    SampleFilters,
)
from qa_app.evaluations.services import TEXT_LIMIT
from qa_app.web.forms import (
    LocaleDateField,
    MultiCheckboxField,
    required_data,
    strip_whitespace,
    to_choices,
    within_day_range,
)

# A dispute's decision: reject (the score stands) or uphold (re-score).
DECISIONS = ("reject", "uphold")


class EvaluationTextsForm(FlaskForm):
    """The overall texts and the lock version of the scoring form (answers are read from
    the generated `answer-<key>` fields)."""

    lock_version = HiddenField(validators=[InputRequired()])
    overall_comment = TextAreaField(
        _l("Overall comment"),
        validators=[Optional(), Length(max=TEXT_LIMIT)],
        filters=[strip_whitespace],
        render_kw={"rows": 3},
    )
    strengths = TextAreaField(
        _l("Strengths"),
        validators=[Optional(), Length(max=TEXT_LIMIT)],
        filters=[strip_whitespace],
        render_kw={"rows": 2},
    )
    opportunities = TextAreaField(
        _l("Opportunities"),
        validators=[Optional(), Length(max=TEXT_LIMIT)],
        filters=[strip_whitespace],
        render_kw={"rows": 2},
    )
    save = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Submit"))

    @property
    def lock_number(self) -> int:
        """The lock version the page was loaded with (-1 if tampered with)."""
        try:
            return int(self.lock_version.data or "")
        except (TypeError, ValueError):
            return -1


class StartEvaluationForm(FlaskForm):
    """Start scoring an interaction on a chosen scorecard."""

    scorecard_id = SelectField(_l("Scorecard"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Evaluate"))


class AcknowledgeForm(FlaskForm):
    """The agent confirms they read the feedback."""

    comment = TextAreaField(
        _l("Your comment (optional)"),
        validators=[Optional(), Length(max=TEXT_LIMIT)],
        filters=[strip_whitespace],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Acknowledge"))


class DisputeForm(FlaskForm):
    """The agent challenges the evaluation or some of its criteria: one reason per ticked
    criterion (the generated `reason-<key>` fields, read by `criterion_reasons`), and a
    reason about the evaluation as a whole when no criterion is ticked."""

    criterion_keys = MultiCheckboxField(
        _l("Which criteria do you dispute?"),
        description=_l(
            "Tick each criterion you dispute and say why beside it. Leave all unticked to "
            "dispute the evaluation as a whole."
        ),
    )
    reason = TextAreaField(
        _l("About the evaluation as a whole"),
        description=_l("Required when you tick no criterion; optional otherwise."),
        validators=[Optional(), Length(max=TEXT_LIMIT)],
        filters=[strip_whitespace],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Send dispute"))


class ResolveForm(FlaskForm):
    """A supervisor's or manager's decision on a dispute: no decision is chosen for them."""

    decision = RadioField(
        _l("Decision"),
        choices=[],
        validate_choice=False,  # the validators below say what is wrong in plain words
        validators=[
            InputRequired(_l("Choose a decision: uphold the dispute or reject it.")),
            AnyOf(DECISIONS, _l("Choose a decision: uphold the dispute or reject it.")),
        ],
    )
    note = TextAreaField(
        _l("Explanation for the agent"),
        validators=[DataRequired(), Length(max=TEXT_LIMIT)],
        filters=[strip_whitespace],
        render_kw={"rows": 3},
    )
    lock_version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField(_l("Decide"))


# How a sample decides each agent's number of evaluations.
FIXED = "fixed"
TO_REACH = "to_reach"
DEFAULT_MAX_TOTAL = 100


class SampleForm(FlaskForm):
    """Which team, period and how many evaluations per agent to draw: a fixed number, or what
    each agent still needs for an interval of ±H points this month."""

    team_id = SelectField(_l("Team"), coerce=int, validators=[DataRequired()])
    period_start = LocaleDateField(_l("From"), validators=[DataRequired(), within_day_range])
    period_end = LocaleDateField(_l("To"), validators=[DataRequired(), within_day_range])
    allocation = RadioField(
        _l("How many per agent"),
        default=FIXED,
        choices=to_choices(
            [
                (FIXED, _l("The same number for every agent")),
                (TO_REACH, _l("As many as each agent still needs to reach ±H points this month")),
            ]
        ),
        validators=[AnyOf([FIXED, TO_REACH])],
    )
    per_agent = IntegerField(
        _l("Evaluations per agent"),
        default=4,
        validators=[Optional(), NumberRange(1, MAX_PER_AGENT)],
    )
    half_width = IntegerField(
        _l("Interval half-width H (points)"),
        validators=[Optional(), NumberRange(*HALF_WIDTH_RANGE)],
        description=_l(
            "Counts the evaluations submitted in the month the period ends in, as the page "
            "“How many evaluations are enough?” shows them."
        ),
    )
    max_total = IntegerField(
        _l("At most, in all"),
        default=DEFAULT_MAX_TOTAL,
        validators=[Optional(), NumberRange(1, MAX_TOTAL)],
        description=_l(
            "When the agents need more than this, those whose pass or fail is not known yet "
            "come first, then those who need the most."
        ),
    )
    seed = IntegerField(
        _l("Random seed"),
        validators=[Optional(), NumberRange(0, 2**31)],
        description=_l(
            "The same seed and filters draw the same sample again; leave empty for a new one."
        ),
    )
    due_on = LocaleDateField(_l("Due by"), validators=[DataRequired(), within_day_range])
    channels = MultiCheckboxField(
        _l("Channels"),
        choices=to_choices(CHANNEL_LABELS.items()),
        description=_l("Leave all unticked for every channel."),
    )
    queue = StringField(
        _l("Queue"),
        validators=[Optional(), Length(max=QUEUE_LENGTH)],
        filters=[strip_whitespace],
        description=_l("Only this queue (upper or lower case alike); empty for every queue."),
    )
    min_seconds = IntegerField(
        _l("Shortest duration (seconds)"),
        validators=[Optional(), NumberRange(0, MAX_DURATION_SECONDS)],
    )
    max_seconds = IntegerField(
        _l("Longest duration (seconds)"),
        validators=[Optional(), NumberRange(0, MAX_DURATION_SECONDS)],
    )
    handle_time = SelectField(
        _l("Handle time"),
        default="",
        choices=to_choices(
            [
                ("", _l("Any")),
                (HandleTime.LONG.value, _l("Long: above the agent's 90th percentile")),
                (HandleTime.SHORT.value, _l("Short: below the agent's 10th percentile")),
            ]
        ),
        description=_l(
            "Compared with the agent's other interactions of the period (on the chosen "
            "channels and queue); an agent with fewer than 10 has none."
        ),
    )
    phrase = StringField(
        _l("Word or phrase in the transcript"),
        validators=[Optional(), Length(*PHRASE_LENGTH)],
        filters=[strip_whitespace],
        description=_l("Upper or lower case alike."),
    )
    outcome = SelectField(
        _l("Customer outcome"),
        default="",
        choices=to_choices(
            [
                ("", _l("Any")),
                (Outcome.LOW_CSAT.value, _l("Low CSAT: the customer's answer was not positive")),
                (Outcome.DETRACTOR.value, _l("Detractor: NPS answer from 0 to 6")),
                (Outcome.UNHAPPY.value, _l("Low CSAT or detractor")),
                (Outcome.UNRESOLVED.value, _l("Not resolved on first contact")),
            ]
        ),
        description=_l(
            "Only interactions whose customer answered so (the import or the API carries the "
            "answers); interactions without an answer are left out."
        ),
    )
    submit = SubmitField(_l("Draw and assign"))

    def validate_due_on(self, field: LocaleDateField) -> None:
        """Not a day already past in the user's time zone."""
        if field.data is not None and field.data < datetime.now(get_timezone()).date():
            raise ValidationError(_l("The due date has passed; choose today or a later day."))

    def validate_max_seconds(self, field: IntegerField) -> None:
        """The band's ends in order."""
        low = self.min_seconds.data
        if field.data is not None and low is not None and low > field.data:
            raise ValidationError(
                _l("The longest duration is shorter than the shortest (%(low)d s).", low=low)
            )

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """The fields and, for the chosen way of counting, the numbers it needs (an empty
        optional field stops its own validators, so they are checked here)."""
        valid = super().validate(extra_validators)
        if self.allocation.data == TO_REACH:
            needed = [
                (self.half_width, _l("Choose the interval half-width to reach.")),
                (self.max_total, _l("Choose the most evaluations to draw in all.")),
            ]
        else:
            needed = [(self.per_agent, _l("Choose how many evaluations each agent gets."))]
        for field, message in needed:
            if field.data is None and not field.errors:
                field.errors = [*field.errors, message]
                valid = False
        return valid

    def how_many(self) -> int | ReachTarget:
        """The validated number per agent, or the target to reach."""
        if self.allocation.data == TO_REACH:
            return ReachTarget(
                required_data(self.half_width.data), required_data(self.max_total.data)
            )
        return required_data(self.per_agent.data)

    def filters(self) -> SampleFilters:
        """The validated filters."""
        return SampleFilters(
            channels=tuple(self.channels.data or ()),
            queue=self.queue.data or None,
            min_seconds=self.min_seconds.data,
            max_seconds=self.max_seconds.data,
            handle_time=HandleTime(self.handle_time.data) if self.handle_time.data else None,
            phrase=self.phrase.data or None,
            outcome=Outcome(self.outcome.data) if self.outcome.data else None,
        )


class ReassignForm(FlaskForm):
    """Whom an open assignment goes to instead (choices: who may score the agent)."""

    evaluator_id = SelectField(_l("Reassign to"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Reassign"))
