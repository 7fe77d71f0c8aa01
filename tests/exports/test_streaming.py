"""How exports read the database: streamed from a server-side cursor, a fixed number of
queries whatever the number of evaluations, in one snapshot that blocks no writer, over
periods that begin at the centre's local midnight."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytz
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.database import _sqlite_begin_statement, snapshot_read
from qa_app.evaluations import services
from qa_app.exports.queries import YIELD_PER
from qa_app.exports.services import export_evaluations
from qa_app.extensions import db
from qa_app.i18n import local_midnight
from qa_app.interactions.services import create_interaction
from qa_app.scorecards.models import Scorecard
from qa_app.stats.filters import ReportFilters
from tests.conftest import Organisation
from tests.support.exports_data import WEEK, seed_export_data


@pytest.fixture
def data(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, Any]:
    return seed_export_data(app, org, make_scorecard, make_evaluation)


def run_export(app: Flask) -> list[tuple[str, str, Any]]:
    """Export the week; (statement, cursor class, yield_per) of every query it ran."""
    seen: list[tuple[str, str, Any]] = []

    def listener(
        _conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: Any
    ) -> None:
        seen.append((statement, type(cursor).__name__, context.execution_options.get("yield_per")))

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            with snapshot_read(db.session):
                export_evaluations(ReportFilters(*WEEK), io.BytesIO())
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    return [row for row in seen if row[0].lstrip().upper().startswith("SELECT")]


def test_evaluations_answers_and_training_are_streamed(app: Flask, data: dict[str, Any]) -> None:
    queries = run_export(app)
    streamed = [(cursor, per) for statement, cursor, per in queries if per is not None]
    assert [per for _, per in streamed] == [YIELD_PER, YIELD_PER, YIELD_PER]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # psycopg's named cursor: rows come from the server YIELD_PER at a time.
        assert [cursor for cursor, _ in streamed] == ["ServerCursor"] * 3


def test_the_number_of_queries_does_not_grow_with_the_evaluations(
    app: Flask, org: Organisation, data: dict[str, Any]
) -> None:
    before = len(run_export(app))
    with app.app_context():
        supervisor = db.session.get(User, org.supervisor_b.id)
        agent = db.session.get(User, org.agent_b1.id)
        card = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == "export-call"))
        for number in range(5):
            interaction = create_interaction(
                agent, channel="phone", occurred_at=datetime.now(UTC), actor=supervisor,
                external_ref=f"MORE-{number}",
            )  # fmt: skip
            evaluation = services.start_evaluation(supervisor, interaction, card)
            answers = {"greeting": True, "empathy": 3, "verification": True}
            services.submit(
                evaluation, services.Edit(answers, {}, {}, evaluation.lock_version), supervisor
            )
        db.session.commit()
    assert len(run_export(app)) == before


def test_a_snapshot_read_takes_no_write_lock(app: Flask) -> None:
    with app.test_request_context("/exports/", method="POST"), app.app_context():
        assert _sqlite_begin_statement() == "BEGIN IMMEDIATE"
        with snapshot_read(db.session):
            assert _sqlite_begin_statement() == "BEGIN"
            if db.engine.dialect.name == "postgresql":
                level = db.session.scalar(sa.text("SHOW transaction_isolation"))
                assert level == "repeatable read"
            else:
                db.session.scalar(sa.text("SELECT 1"))
        assert _sqlite_begin_statement() == "BEGIN IMMEDIATE"


@pytest.mark.parametrize(
    ("zone", "day", "utc"),
    [
        (pytz.timezone("Europe/Berlin"), date(2026, 12, 1), datetime(2026, 11, 30, 23, tzinfo=UTC)),
        (pytz.timezone("Europe/Berlin"), date(2026, 7, 1), datetime(2026, 6, 30, 22, tzinfo=UTC)),
        (ZoneInfo("Europe/Helsinki"), date(2026, 12, 1), datetime(2026, 11, 30, 22, tzinfo=UTC)),
        (UTC, date(2026, 12, 1), datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_periods_begin_at_local_midnight(zone: tzinfo, day: date, utc: datetime) -> None:
    # Flask-Babel hands out pytz zones, which must be localised, not attached (+00:53).
    assert local_midnight(day, zone) == utc
