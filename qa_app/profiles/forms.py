"""The profile editor's form (one select per column is read from the request: the form's
columns are the file's) and the sample upload."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from qa_app.channels import CHANNELS
from qa_app.profiles.editor import ROLES, Editor, editor_for_file
from qa_app.profiles.services import MAX_COLUMNS
from qa_app.uploads.fields import FIELD_ALIASES, Kind, labels
from qa_app.uploads.transaction import UPLOAD_ACCEPT
from qa_app.web.forms import strip_whitespace, to_choices

SOURCE = [DataRequired(), Length(max=40), Regexp(r"^[A-Za-z0-9_. -]+$")]
MAX_HEADER_CHARS = 200
KIND_LABELS = {"statistics": _l("Agent statistics"), "interactions": _l("Interactions")}


def source_field() -> StringField:
    return StringField(
        _l("Source system"),
        validators=SOURCE,
        filters=[strip_whitespace],
        description=_l("The name you import this system's files under, e.g. avaya or zendesk."),
    )


def read_channels(text: str) -> dict[str, str]:
    """ "word = channel" lines as {word (case-folded): channel}; ValueError naming the line."""
    channels: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        word, equals, channel = line.partition("=")
        channel = channel.strip()
        if not equals or not word.strip() or channel not in CHANNELS:
            raise ValueError(
                _l(
                    'line %(n)d: write "word = channel", the channel one of %(channels)s',
                    n=number,
                    channels=", ".join(CHANNELS),
                )
            )
        channels[word.strip().casefold()] = channel
    return channels


class ProfileForm(FlaskForm):
    """How to read one source's files: the column choices come as the `field` selects."""

    kind = HiddenField(validators=[DataRequired()])
    headers = HiddenField(validators=[DataRequired()])
    source = source_field()
    date_order = SelectField(
        _l("Date order"),
        choices=to_choices(
            [
                ("", _l("Decide from the file")),
                ("day-first", _l("Day first (31/12/2026)")),
                ("month-first", _l("Month first (12/31/2026)")),
            ]
        ),
        default="",
    )
    timezone = StringField(
        _l("Time zone of the file's times"),
        validators=[Optional(), Length(max=64)],
        filters=[strip_whitespace],
        description=_l(
            "Leave empty for the centre's time zone; e.g. UTC or Europe/Warsaw. Times written "
            "with Z or an offset are read as written."
        ),
    )
    duration_unit = SelectField(
        _l("Unit of durations written as plain numbers"),
        choices=to_choices(
            [
                ("", _l("seconds (or as the header says)")),
                ("milliseconds", _l("milliseconds")),
                ("minutes", _l("minutes")),
                ("hours", _l("hours")),
                ("day_fraction", _l("fractions of a day")),
            ]
        ),
        default="",
        description=_l("Values written as h:mm:ss are read as such in any case."),
    )
    channels = TextAreaField(
        _l("Channel words"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 4, "placeholder": "voice = phone\nWeb form = email"},
        description=_l(
            "One per line: the file's word, then = and one of phone, chat, email, in_person, "
            "social."
        ),
    )
    submit = SubmitField(_l("Save the import profile"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Prefixed: the editor shares the import page with the import form's fields.
        kwargs.setdefault("prefix", "profile")
        super().__init__(*args, **kwargs)

    def header_list(self) -> list[str]:
        """The header row the form was made for (checked by `validate_headers`)."""
        return list(json.loads(self.headers.data or "[]"))

    def validate_headers(self, field: HiddenField) -> None:
        try:
            headers = json.loads(field.data or "")
        except ValueError:
            raise ValidationError(_l("The form is damaged; upload the file again.")) from None
        if (
            not isinstance(headers, list)
            or not 0 < len(headers) <= MAX_COLUMNS
            or not all(isinstance(h, str) and len(h) <= MAX_HEADER_CHARS for h in headers)
        ):
            raise ValidationError(_l("The form is damaged; upload the file again."))

    def validate_timezone(self, field: StringField) -> None:
        if field.data:
            try:
                ZoneInfo(field.data)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValidationError(
                    _l("Not a time zone name; write e.g. UTC or Europe/Berlin.")
                ) from None

    def validate_channels(self, field: TextAreaField) -> None:
        try:
            read_channels(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None


class SampleFileForm(FlaskForm):
    """A sample file to make or remake a profile from."""

    kind = SelectField(
        _l("What the file holds"),
        choices=to_choices(KIND_LABELS.items()),
    )
    source = source_field()
    file = FileField(
        _l("A file exported by this system (CSV or XLSX)"),
        validators=[FileRequired()],
        render_kw={"accept": UPLOAD_ACCEPT},
    )
    submit = SubmitField(_l("Show its columns"))


def editor_context(editor: Editor, form: ProfileForm | None = None) -> dict[str, Any]:
    """What profiles/_editor.html needs: the editor, its form (filled from the editor unless
    given), the fields a column may be read as and their labels."""
    if form is None:
        form = ProfileForm(formdata=None)
        form.process(
            data={
                "kind": editor.kind,
                "headers": json.dumps(editor.headers, ensure_ascii=False),
                "source": editor.source,
                **{key: value or "" for key, value in editor.options.items()},
                "channels": "\n".join(f"{word} = {ch}" for word, ch in editor.channels.items()),
            }
        )
    return {
        "editor": editor,
        "profile_form": form,
        "field_names": list(FIELD_ALIASES[editor.kind]),
        "labels": labels(editor.kind),
    }


def refused_file_editor(form: FlaskForm, kind: Kind, max_rows: int) -> Editor | None:
    """The editor for the file an import form sent and the importer refused, when the
    signed-in user may save profiles of `kind` and the file has a header row to show."""
    if current_user.role not in ROLES[kind]:
        return None
    upload = form.file.data
    upload.stream.seek(0)
    return editor_for_file(
        kind,
        form.source.data or "",
        upload.read(),
        upload.filename or "upload.csv",
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        max_rows=max_rows,
    )
