"""Centre time zones: days and months begin at local midnight, whatever kind of zone object
Flask-Babel hands out (pytz zones must be localised, not attached: Berlin would be +00:53)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytz

from qa_app import create_app
from qa_app.evaluations.queue import month_start
from qa_app.i18n import local_to_utc
from qa_app.stats.services import period_bounds
from tests.conftest import make_config

BERLIN = pytz.timezone("Europe/Berlin")


def test_a_period_runs_from_local_midnight_to_local_midnight() -> None:
    assert period_bounds(date(2026, 1, 15), date(2026, 7, 1), BERLIN) == (
        datetime(2026, 1, 14, 23, tzinfo=UTC),
        datetime(2026, 7, 1, 22, tzinfo=UTC),  # summer time: +02:00
    )


def test_the_month_starts_at_local_midnight() -> None:
    assert month_start(date(2026, 11, 23), BERLIN) == datetime(2026, 10, 31, 23, tzinfo=UTC)


def test_a_time_typed_into_a_form_is_read_in_the_centres_zone() -> None:
    config = make_config("sqlite://", BABEL_DEFAULT_TIMEZONE="Europe/Berlin")
    with create_app(config).test_request_context():
        assert local_to_utc(datetime(2026, 11, 2, 9, 30)) == datetime(
            2026, 11, 2, 8, 30, tzinfo=UTC
        )
