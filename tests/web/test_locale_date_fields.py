"""Date fields follow the app's language, not the browser's: a text box that reads the
locale's numeric date (de 31.12.2026, en 12/31/2026) and ISO 2026-12-31 alike, shows the
locale's example, and refuses anything else with that example (issue 20)."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from babel import Locale
from babel.dates import format_date, format_datetime
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

LOCALES = ["de", "pl", "fi", "nb", "en_GB", "en"]


def day_pattern(locale: str) -> str:
    return Locale.parse(locale).date_formats["short"].pattern.replace("yy", "y")


def numeric_day(day: date, locale: str) -> str:
    return format_date(day, day_pattern(locale), locale=locale)


def example(locale: str) -> str:
    return numeric_day(date(datetime.now(UTC).year, 12, 31), locale)


def period_form() -> type[FlaskForm]:
    """A form with a day and a date-and-time field (imported here, so that the page tests
    below run, and fail, on code without these fields)."""
    from qa_app.web.forms import LocaleDateField, LocaleDateTimeField

    class PeriodForm(FlaskForm):
        class Meta:
            csrf = False

        day = LocaleDateField("Day")
        moment = LocaleDateTimeField("When")

    return PeriodForm


def bound(app: Flask, locale: str, **values: str) -> tuple[Any, bool]:
    with app.test_request_context(), force_locale(locale):
        form = period_form()(MultiDict(values))
        return form, form.validate()


@pytest.mark.parametrize("locale", LOCALES)
def test_a_day_is_read_as_the_locale_writes_it_and_as_iso(app: Flask, locale: str) -> None:
    day = date(2026, 12, 3)
    form, valid = bound(app, locale, day=numeric_day(day, locale))
    assert valid and form.day.data == day
    form, valid = bound(app, locale, day="2026-12-03")
    assert valid and form.day.data == day


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [("en_GB", "03/12/2026", date(2026, 12, 3)), ("en", "03/12/2026", date(2026, 3, 12))],
)
def test_british_and_american_days_differ(
    app: Flask, locale: str, typed: str, expected: date
) -> None:
    form, valid = bound(app, locale, day=typed)
    assert valid and form.day.data == expected


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("garbage", ["soon", "31.31.2026", "2026-13-01", "1.2", "12/03/20261"])
def test_anything_else_is_refused_with_an_example(app: Flask, locale: str, garbage: str) -> None:
    form, valid = bound(app, locale, day=garbage)
    assert not valid
    assert form.day.data is None
    assert len(form.day.errors) == 1
    assert example(locale) in str(form.day.errors[0])


def test_the_english_message_names_the_example(app: Flask) -> None:
    form, _valid = bound(app, "en_GB", day="soon")
    assert form.day.errors == [f"Enter a date like {example('en_GB')}."]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_date_and_time_is_read_as_the_locale_writes_it_and_as_iso(
    app: Flask, locale: str
) -> None:
    moment = datetime(2026, 12, 3, 14, 5)
    written = format_datetime(
        moment,
        str(Locale.parse(locale).datetime_formats["short"])
        .replace("{1}", day_pattern(locale))
        .replace("{0}", Locale.parse(locale).time_formats["short"].pattern),
        locale=locale,
    )
    for typed in (written, "2026-12-03T14:05", "2026-12-03 14:05"):
        form, valid = bound(app, locale, moment=typed)
        assert valid, (typed, form.errors)
        assert form.moment.data == moment
    form, valid = bound(app, locale, moment="tomorrow at noon")
    assert not valid and form.moment.data is None


@pytest.mark.parametrize("locale", LOCALES)
def test_the_field_is_a_text_box_with_the_locales_example(app: Flask, locale: str) -> None:
    with app.test_request_context(), force_locale(locale):
        form: Any = period_form()(data={"day": date(2026, 12, 3)})
        box = html.unescape(str(form.day()))
    assert 'type="text"' in box
    assert f'placeholder="{example(locale)}"' in box
    assert f'value="{numeric_day(date(2026, 12, 3), locale)}"' in box


@pytest.mark.parametrize("locale", LOCALES)
def test_the_dashboard_filter_reads_the_locale_and_iso_links(
    manager_reading: Callable[[str], FlaskClient], locale: str
) -> None:
    client = manager_reading(locale)
    start, end = date(2026, 11, 2), date(2026, 12, 3)

    typed = numeric_day(start, locale)
    text = html.unescape(
        client.get(
            "/dashboard/team", query_string={"start": typed, "end": end.isoformat()}
        ).get_data(as_text=True)
    )

    assert f"{numeric_day(start, locale)} – {numeric_day(end, locale)}" in text
    assert 'type="date"' not in text


@pytest.mark.parametrize("locale", ["de", "en"])
def test_the_dashboard_filter_refuses_garbage_with_the_example(
    manager_reading: Callable[[str], FlaskClient], locale: str
) -> None:
    client = manager_reading(locale)

    page: Any = client.get("/dashboard/team", query_string={"start": "someday"})

    assert page.status_code == 400  # the page, with the refused field marked
    text = html.unescape(page.get_data(as_text=True))
    error = text[text.index('<div class="invalid-feedback d-block">') :]
    assert example(locale) in error[: error.index("</div>")]
