"""Form pieces every feature uses."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: WTForms 3.3, stubs 3.2
    Field,
    SelectChoice,
    SelectMultipleField,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from qa_app.day_range import FIRST_DAY, is_within, last_day
from qa_app.i18n import (
    example_day,
    format_day,
    format_wall_clock,
    parse_day,
    parse_moment,
)

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
            _(
                "Choose a day from %(first)s to %(last)s.",
                first=format_day(FIRST_DAY),
                last=format_day(last_day()),
            )
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


class LocaleDateInput(TextInput):
    """A text box for a day with the locale's example as placeholder: a browser's own date
    picker would follow the browser's language (mm/dd/yyyy), not the app's."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("placeholder", field.example())  # a LocaleDateField
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(field, **kwargs)


class LocaleDateField(Field):
    """A day typed as the app's language writes it (de 31.12.2026, en 12/31/2026), or as ISO
    2026-12-31 (links, scripts); shown back in the locale's form."""

    widget = LocaleDateInput()
    data: Any

    def example(self) -> str:
        """An example of what this field expects, in the reader's locale."""
        return format_day(example_day())

    def show(self, value: Any) -> str:
        """The field's value as the locale writes it."""
        return format_day(value)

    def parse(self, text: str) -> Any:
        """What was typed, read; ValueError when it is no such value."""
        return parse_day(text)

    def refusal(self) -> str:
        """Why what was typed is refused, with an example."""
        return _("Enter a date like %(example)s.", example=self.example())

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.show(self.data) if self.data else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = " ".join(valuelist).strip() if valuelist else ""
        self.data = None
        if text:
            try:
                self.data = self.parse(text)
            except ValueError:
                raise ValueError(self.refusal()) from None


class LocaleDateTimeField(LocaleDateField):
    """A date and time (a naive wall-clock time in the centre's time zone) typed as the app's
    language writes it (31.12.2026 14:30), or as ISO 2026-12-31T14:30."""

    def example(self) -> str:
        """An example of what this field expects, in the reader's locale."""
        return format_wall_clock(datetime.combine(example_day(), time(14, 30)))

    def show(self, value: Any) -> str:
        """The field's value as the locale writes it."""
        return format_wall_clock(value)

    def parse(self, text: str) -> Any:
        """What was typed, read; ValueError when it is no such value."""
        return parse_moment(text)

    def refusal(self) -> str:
        """Why what was typed is refused, with an example."""
        return _("Enter a date and time like %(example)s.", example=self.example())
