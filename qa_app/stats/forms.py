"""Forms for statistics uploads, column mappings and KPI targets."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, FloatField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from qa_app.uploads.transaction import UPLOAD_ACCEPT, FileOrHeld, date_order_field
from qa_app.web.forms import strip_whitespace, to_choices

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
