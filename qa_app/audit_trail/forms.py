"""The audit trail's filters: the browser's (GET) and the export's (the same, POSTed)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, ValidationError
from wtforms.validators import InputRequired, NumberRange, Optional

from qa_app.audit.changes import ACTION_LABELS, ENTITY_LABELS
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.web.forms import LocaleDateField, to_choices, within_day_range
from qa_app.web.params import LARGEST_ID


class AuditFilterForm(FlaskForm):
    """Filter the audit trail by person, record, action and period (GET, no CSRF)."""

    class Meta:
        csrf = False

    actor_id = SelectField(_l("Person"), coerce=int, validators=[Optional()])
    entity_type = SelectField(_l("Record"), validators=[Optional()])
    entity_id = IntegerField(
        _l("Record id"), validators=[Optional(), NumberRange(min=1, max=LARGEST_ID)]
    )
    action = SelectField(_l("Action"), validators=[Optional()])
    start = LocaleDateField(_l("From"), validators=[Optional(), within_day_range])
    end = LocaleDateField(_l("To"), validators=[Optional(), within_day_range])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = db.session.execute(
            sa.select(User.id, User.display_name).order_by(User.display_name, User.id)
        )
        self.actor_id.choices = to_choices([(0, _l("Anyone")), *people])
        self.entity_type.choices = to_choices(
            [("", _l("Any record")), *sorted(ENTITY_LABELS.items(), key=lambda i: str(i[1]))]
        )
        self.action.choices = to_choices(
            [("", _l("Any action")), *sorted(ACTION_LABELS.items(), key=lambda i: str(i[1]))]
        )

    def validate_end(self, field: Any) -> None:
        """The period ends on or after its first day."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The last day comes before the first."))

    def validate_entity_id(self, field: Any) -> None:
        """A record id names a record of a kind: choose the kind too."""
        if field.data is not None and not self.entity_type.data:
            raise ValidationError(_l("Choose the kind of record this id belongs to."))


class AuditExportForm(AuditFilterForm):
    """The same filters, POSTed with a CSRF token (the export writes an audit event); an
    export names its period, so that the workbook says which days it covers."""

    class Meta:
        csrf = True

    start = LocaleDateField(
        _l("From"),
        validators=[InputRequired(_l("Choose the first day to export.")), within_day_range],
    )
    end = LocaleDateField(
        _l("To"), validators=[InputRequired(_l("Choose the last day to export.")), within_day_range]
    )
