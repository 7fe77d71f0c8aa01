"""Form pieces every feature uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class PostForm(FlaskForm):
    """An empty form: the CSRF token for a POST-only button (sign out, deactivate …)."""


def strip_whitespace(value: Any) -> Any:
    """WTForms filter: trim text input."""
    return value.strip() if isinstance(value, str) else value


def to_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms 3.3 expects."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes: one stray click cannot clear a whole selection."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
