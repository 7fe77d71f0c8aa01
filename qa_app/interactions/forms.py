"""Forms for entering interactions and drawing samples."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from qa_app.channels import CHANNEL_LABELS, CHANNELS
from qa_app.i18n import format_number
from qa_app.interactions.outcomes import CSAT_RANGE, NPS_RANGE, csat_positive_from, read_csat
from qa_app.uploads.transaction import UPLOAD_ACCEPT, FileOrHeld, date_order_field
from qa_app.web.forms import LocaleDateTimeField, strip_whitespace, to_choices

YES_NO_UNKNOWN = [("", _l("Unknown")), ("yes", _l("Yes")), ("no", _l("No"))]
YES_NO_VALUES: dict[str | None, bool | None] = {"": None, None: None, "yes": True, "no": False}


def http_link(_form: FlaskForm, field: Any) -> None:
    """Recording links must be http(s): a javascript: link would run in the app's page."""
    if field.data and urlsplit(field.data).scheme not in ("http", "https"):
        raise ValidationError(_l("Use a link starting with https:// or http://."))


class InteractionForm(FlaskForm):
    """An interaction entered by hand."""

    agent_id = SelectField(_l("Agent"), coerce=int, validators=[DataRequired()])
    channel = SelectField(
        _l("Channel"),
        choices=to_choices((channel, CHANNEL_LABELS[channel]) for channel in CHANNELS),
    )
    occurred_at = LocaleDateTimeField(_l("When"), validators=[DataRequired()])
    duration_seconds = IntegerField(
        _l("Duration (seconds)"), validators=[Optional(), NumberRange(min=0, max=86_400)]
    )
    external_ref = StringField(
        _l("Call or ticket id"),
        validators=[Optional(), Length(max=128)],
        filters=[strip_whitespace],
    )
    queue = StringField(
        _l("Queue"), validators=[Optional(), Length(max=80)], filters=[strip_whitespace]
    )
    customer_ref = StringField(
        _l("Customer reference"),
        validators=[Optional(), Length(max=128)],
        filters=[strip_whitespace],
    )
    recording_url = StringField(
        _l("Recording link"),
        validators=[Optional(), Length(max=500), http_link],
        filters=[strip_whitespace],
    )
    transcript = TextAreaField(
        _l("Notes or transcript"),
        validators=[Optional(), Length(max=100_000)],
        render_kw={"rows": 8},
    )
    # The customer's answers, when known (qa_app.interactions.outcomes).
    csat_score = DecimalField(
        _l("CSAT answer"),
        places=None,
        validators=[Optional(), NumberRange(*CSAT_RANGE)],
        description=_l("On the survey's own scale, e.g. 4 on a 1–5 survey."),
    )
    csat_positive = SelectField(
        _l("CSAT answer positive?"),
        choices=to_choices(YES_NO_UNKNOWN),
        default="",
    )
    nps_score = IntegerField(
        _l("NPS answer (0–10)"), validators=[Optional(), NumberRange(*NPS_RANGE)]
    )
    resolved_first_contact = SelectField(
        _l("Resolved on first contact?"), choices=to_choices(YES_NO_UNKNOWN), default=""
    )
    submit = SubmitField(_l("Save interaction"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.csat_positive.description = _l(
            "Left unknown, a score of %(n)s or more counts as positive.",
            n=format_number(csat_positive_from(), 0),
        )

    def outcomes(self, positive_from: float) -> dict[str, Any]:
        """The customer outcomes entered, each None when unknown; a score without an
        explicit answer counts as positive from `positive_from`."""
        score, from_score = read_csat(
            None if self.csat_score.data is None else float(self.csat_score.data), positive_from
        )
        given = YES_NO_VALUES[self.csat_positive.data]
        positive = from_score if given is None else given
        return {
            "csat_score": score,
            "csat_positive": positive,
            "nps_score": self.nps_score.data,
            "resolved_first_contact": YES_NO_VALUES[self.resolved_first_contact.data],
        }


class ImportForm(FlaskForm):
    """An interaction list exported by the phone or ticket system."""

    file = FileField(
        _l("CSV or XLSX file"),
        # The reader names what is wrong with any other file (.xls, .xlsm, an image…).
        validators=[FileOrHeld("interactions")],
        render_kw={"accept": UPLOAD_ACCEPT},
    )
    # The token of the file kept since its dry run (qa_app.uploads.held).
    held = HiddenField()
    source = StringField(
        _l("Source system"),
        default="import",
        validators=[DataRequired(), Length(max=40), Regexp(r"^[A-Za-z0-9_. -]+$")],
        filters=[strip_whitespace],
        description=_l(
            "E.g. genesys or zendesk. Call and ticket ids are unique per source, so "
            "importing the same export twice adds nothing."
        ),
    )
    date_order = date_order_field()
    dry_run = BooleanField(_l("Only check the file (dry run)"), default=True)
    submit = SubmitField(_l("Import"))
