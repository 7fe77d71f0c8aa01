"""Forms for statistics uploads, column mappings, KPI targets and how many evaluations are
enough."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from qa_app.evaluations.sample_needs import HALF_WIDTH_RANGE
from qa_app.uploads.transaction import UPLOAD_ACCEPT, FileOrHeld, date_order_field
from qa_app.web.forms import LocaleDateField, strip_whitespace, to_choices, within_day_range

SOURCE = [DataRequired(), Length(max=40), Regexp(r"^[A-Za-z0-9_. -]+$")]


class StatsImportForm(FlaskForm):
    """A statistics export from the phone system."""

    file = FileField(
        _l("CSV or XLSX file"),
        # The reader names what is wrong with any other file (.xls, .xlsm, an image…).
        validators=[FileOrHeld("statistics")],
        render_kw={"accept": UPLOAD_ACCEPT},
    )
    # The token of the file kept since its dry run (qa_app.uploads.held).
    held = HiddenField()
    source = StringField(
        _l("Source system"),
        default="import",
        validators=SOURCE,
        filters=[strip_whitespace],
        description=_l(
            "Name the system the file comes from: a file replaces only the figures imported "
            "before from the same source. Also selects a saved column mapping, if there is one."
        ),
    )
    date_order = date_order_field()
    dry_run = BooleanField(_l("Only check the file (dry run)"), default=True)
    submit = SubmitField(_l("Import"))


class TargetForm(FlaskForm):
    """One KPI's target, direction and weight in the KPI index."""

    target = FloatField(_l("Target"), validators=[InputRequired(), NumberRange(min=0)])
    direction = SelectField(
        _l("Better when"), choices=to_choices([("higher", _l("higher")), ("lower", _l("lower"))])
    )
    weight = FloatField(
        _l("Weight in the KPI index"),
        default=1,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    submit = SubmitField(_l("Save target"))


def mapping_form_class(columns: list[str]) -> type[FlaskForm]:
    """A form with the source and one optional header field per canonical column."""

    class ColumnMappingForm(FlaskForm):
        source = StringField(_l("Source system"), validators=SOURCE, filters=[strip_whitespace])
        submit = SubmitField(_l("Save mapping"))

    for name in columns:
        setattr(
            ColumnMappingForm,
            name,
            StringField(name, validators=[Optional(), Length(max=120)], filters=[strip_whitespace]),
        )
    return ColumnMappingForm


class NeededForm(FlaskForm):
    """The team, period and interval half-width of "How many evaluations are enough?"."""

    class Meta:
        csrf = False

    team_id = SelectField(_l("Team"), coerce=int, validators=[Optional()])
    start = LocaleDateField(_l("From"), validators=[Optional(), within_day_range])
    end = LocaleDateField(_l("To"), validators=[Optional(), within_day_range])
    half_width = IntegerField(
        _l("Interval ± points"), validators=[Optional(), NumberRange(*HALF_WIDTH_RANGE)]
    )

    def validate_end(self, field: LocaleDateField) -> None:
        """The period must not end before it starts."""
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The period ends before it starts."))
