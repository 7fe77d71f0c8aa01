"""Dates, times, numbers, percentages, durations, ages and chart labels in the reader's
locale (issue 20, "Formats by locale"). Every expected string is worked out here with Babel
from the locale's own data, never copied from the app's output."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from babel import Locale
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.numbers import format_decimal, format_percent
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from qa_app.database import utcnow
from qa_app.extensions import db
from qa_app.stats.models import AgentDailyStat
from tests.conftest import Organisation

LOCALES = ["de", "pl", "fi", "nb", "en_GB", "en"]
# END as the issue writes it: German and British day first with a four-digit year, US month
# first.
END_WRITTEN = {"de": "03.12.2026", "pl": "3.12.2026", "fi": "3.12.2026", "nb": "03.12.2026",
               "en_GB": "03/12/2026", "en": "12/3/2026"}  # fmt: skip
START, END = date(2026, 11, 2), date(2026, 12, 3)


def numeric_day(day: date, locale: str) -> str:
    """The day in CLDR's short numeric pattern, with the year written out in full."""
    pattern = Locale.parse(locale).date_formats["short"].pattern
    return format_date(day, pattern.replace("yy", "y"), locale=locale)


def clock(hours: int, minutes: int, seconds: int, locale: str) -> str:
    """h:mm:ss with the locale's time separator (Finnish writes 1.02.05)."""
    colon = Locale.parse(locale).number_symbols["latn"]["timeSeparator"]
    return f"{hours}{colon}{minutes:02d}{colon}{seconds:02d}"


def percent(fraction: float, locale: str) -> str:
    """The locale's percent pattern (its spacing and sign position) with one decimal."""
    pattern = Locale.parse(locale).percent_formats[None].pattern
    return format_percent(fraction, pattern.replace("#,##0", "#,##0.0"), locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_agent_page_shows_dates_numbers_percentages_durations_in_the_locale(
    app: Flask, org: Organisation, manager_reading: Callable[[str], FlaskClient], locale: str
) -> None:
    with app.app_context():
        db.session.add(
            AgentDailyStat(
                agent_id=org.agent_a1.id,
                day=date(2026, 11, 20),
                contacts_handled=1234,
                handle_seconds=1234 * 3725,  # 1 h 2 min 5 s a contact
                csat_responses=1000,
                csat_positive=855,  # 85.5 %
            )
        )
        db.session.commit()
    client = manager_reading(locale)

    page = client.get(
        f"/stats/agents/{org.agent_a1.id}?from={START.isoformat()}&to={END.isoformat()}"
    )

    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert numeric_day(END, locale) == END_WRITTEN[locale]
    assert f"{numeric_day(START, locale)} – {numeric_day(END, locale)}" in text
    assert f'value="{numeric_day(START, locale)}"' in text  # the period form, too
    assert clock(1, 2, 5, locale) in text  # average handle time
    assert f"n={format_decimal(1234, locale=locale)}" in text
    assert percent(0.855, locale) in text  # CSAT


@pytest.mark.parametrize("locale", LOCALES)
def test_chart_axis_names_months_and_numbers_in_the_locale(
    app: Flask, org: Organisation, manager_reading: Callable[[str], FlaskClient], locale: str
) -> None:
    client = manager_reading(locale)

    page = client.get(f"/stats/agents/{org.agent_a1.id}?to={END.isoformat()}")

    text = html.unescape(page.get_data(as_text=True))
    chart = text[text.index('<svg class="trend-chart"') : text.index("</svg>")]
    # A month standing alone under an axis: German "Dez", not the "Dez." of a date.
    names = Locale.parse(locale).months["stand-alone"]["abbreviated"]
    for month in (7, 8, 9, 10, 11, 12):  # the six months up to the period's end
        assert f'text-anchor="middle">{names[month]}</text>' in chart
    assert f"{names[12]} 2026" in chart or f"{names[12]}. 2026" in chart  # the description


@pytest.mark.parametrize("locale", LOCALES)
def test_times_are_24_hour_where_the_locale_uses_it(app: Flask, locale: str) -> None:
    from qa_app.i18n import format_moment

    moment = datetime(2026, 12, 3, 14, 5, tzinfo=None)
    with app.test_request_context(), force_locale(locale):
        shown = format_moment(moment)
    assert shown.startswith(numeric_day(moment.date(), locale))
    assert shown.endswith(format_time(time(14, 5), "short", locale=locale))
    assert shown == format_datetime(
        moment,
        str(Locale.parse(locale).datetime_formats["short"])
        .replace("{1}", Locale.parse(locale).date_formats["short"].pattern.replace("yy", "y"))
        .replace("{0}", Locale.parse(locale).time_formats["short"].pattern),
        locale=locale,
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_ages_read_as_a_phrase_of_the_language(app: Flask, locale: str) -> None:
    """ "vor 3 Tagen", "3 dni temu": the direction belongs to the phrase, not to a msgid
    around a bare "3 Tage"."""
    from qa_app.i18n import format_age

    with app.test_request_context(), force_locale(locale):
        shown = format_age(utcnow() - timedelta(days=3, minutes=1))
    assert shown == format_timedelta(timedelta(days=-3), add_direction=True, locale=locale)


def test_a_german_reader_sees_a_dispute_raised_three_days_ago(
    app: Flask, open_dispute: Any, manager_reading: Callable[[str], FlaskClient]
) -> None:
    from qa_app.evaluations.models import Dispute

    with app.app_context():
        db.session.get_one(Dispute, open_dispute.id).raised_at = utcnow() - timedelta(days=3)
        db.session.commit()
    client = manager_reading("de")

    text = html.unescape(client.get("/disputes/").get_data(as_text=True))

    assert format_timedelta(timedelta(days=-3), add_direction=True, locale="de") in text


@pytest.mark.parametrize(("locale", "month"), [("pl", "listopad 2026"), ("fi", "marraskuu 2026")])
def test_a_month_on_its_own_is_named_in_the_nominative(
    locale: str, month: str, manager_reading: Callable[[str], FlaskClient]
) -> None:
    """The team dashboard's progress heading for a past month: "listopad 2026" (Polish
    nominative), not the genitive "listopada 2026" that belongs in a full date."""
    page = manager_reading(locale).get("/dashboard/team?start=2026-11-01&end=2026-11-30")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert month in text
    assert format_date(date(2026, 11, 1), "MMMM y", locale=locale) not in text
