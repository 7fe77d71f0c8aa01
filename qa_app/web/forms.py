"""Form pieces every feature uses."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: WTForms 3.3, stubs 3.2
    SelectChoice,
    SelectMultipleField,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from qa_app.day_range import FIRST_DAY, is_within, last_day

T = TypeVar("T")


class PostForm(FlaskForm):
    """An empty form: the CSRF token for a POST-only button (sign out, deactivate …)."""


def strip_whitespace(value: Any) -> Any:
    """WTForms filter: trim text input."""
    return value.strip() if isinstance(value, str) else value


# An e-mail address here is a sign-in name, never used to send mail: accept internal domains
# (corp.local, demo.test) that strict validators refuse, but not spaces or a second @.
EMAIL_ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)*$")


def email_address(_form: FlaskForm, field: Any) -> None:
    """WTForms validator: something@domain, internal domains allowed."""
    if field.data and not EMAIL_ADDRESS.match(field.data):
        raise ValidationError(_l("Enter an e-mail address such as name@example.com."))


def greater_than_zero(_form: FlaskForm, field: Any) -> None:
    """WTForms validator: an optional number that, when given, is above 0."""
    if field.data is not None and not (math.isfinite(field.data) and field.data > 0):
        raise ValidationError(_l("Must be greater than 0."))


def within_day_range(_form: FlaskForm, field: Any) -> None:
    """WTForms validator: a day, when given, within the days the app accepts."""
    if field.data and not is_within(field.data):
        raise ValidationError(
            _("Choose a day from %(first)s to %(last)s.", first=FIRST_DAY, last=last_day())
        )


def required_data(data: T | None) -> T:
    """A validated field's data, which InputRequired, DataRequired or a list field's
    processing has made something other than None (WTForms types every field's data
    as optional)."""
    if data is None:
        raise ValueError("a required field has no data: validate the form first")
    return data


def to_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 expects."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes: one stray click cannot clear a whole selection."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
