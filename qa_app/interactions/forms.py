"""Forms for entering interactions and drawing samples."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
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
from qa_app.uploads.transaction import UPLOAD_ACCEPT, FileOrHeld, date_order_field
from qa_app.web.forms import strip_whitespace, to_choices


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
    occurred_at = DateTimeLocalField(_l("When"), validators=[DataRequired()])
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
    submit = SubmitField(_l("Save interaction"))


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
