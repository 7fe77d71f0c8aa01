"""The demo's calibration (issue 21): a dozen closed sessions with believable disagreement,
one open session half done, and a QA lead; figures read through calibration.results."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.calibration.models import CalibrationSession, SessionStatus
from qa_app.calibration.results import (
    OVERALL,
    agreement_table,
    closed_sessions,
    evaluator_drift,
)
from qa_app.database import utcnow
from qa_app.demo.calibration import READ_DIFFERENTLY, SCORECARD
from qa_app.extensions import db
from qa_app.scorecards.models import Scorecard


@pytest.fixture
def demo(app: Flask) -> Flask:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Calibration: 13 sessions" in result.output
    return app


def test_the_demo_has_a_dozen_closed_sessions_and_an_open_one(demo: Flask) -> None:
    today = utcnow().date()
    with demo.app_context():
        sessions = db.session.scalars(sa.select(CalibrationSession)).all()
        closed = [s for s in sessions if s.status == SessionStatus.CLOSED]
        (still_open,) = [s for s in sessions if s.status == SessionStatus.OPEN]
        assert len(closed) == 12
        months = {s.closed_at.date().replace(day=1) for s in closed if s.closed_at}
        assert len(months) >= 5  # over the last months, for α per month
        assert today < still_open.due_on <= today + timedelta(days=7)
        done = [p for p in still_open.participants if p.submitted_at is not None]
        assert 0 < len(done) < len(still_open.participants)
        leads = db.session.scalars(sa.select(User.email).where(User.qa_lead.is_(True))).all()
        assert leads == ["supervisor@demo.test"]


def test_one_criterion_is_read_differently_and_one_evaluator_is_lenient(demo: Flask) -> None:
    with demo.app_context():
        card = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == SCORECARD))
        sessions = closed_sessions(card.id)
        table = {line.key: line for line in agreement_table(sessions, resamples=200)}
        for key, line in sorted(table.items()):
            print(f"{key:22} {line.level:8} alpha={line.alpha} [{line.low}, {line.high}]"
                  f" n={line.units}")  # fmt: skip
        differently = table.pop(READ_DIFFERENTLY).alpha
        assert differently is not None
        # α is undefined (None) for a criterion every answer agreed on with one value only.
        others = {key: line.alpha for key, line in table.items() if key != OVERALL and line.alpha}
        assert len(others) >= 10
        assert all(alpha > differently for alpha in others.values()), (differently, others)
        drift = evaluator_drift(sessions)
        emails = {
            user_id: email for user_id, email in db.session.execute(sa.select(User.id, User.email))
        }
        for user_id, found in drift.items():
            d = found.deviation
            print(f"{emails[user_id]:26} {d.mean:+.2f} [{d.low:+.2f}, {d.high:+.2f}] n={d.n}")
        lenient = next(d for u, d in drift.items() if emails[u] == "supervisor03@demo.test")
        assert lenient.deviation.low is not None and lenient.deviation.low > 0
        assert lenient.tendency == "lenient"
        assert 5 < (lenient.deviation.mean or 0) < 11  # "about ten points"
        fair = [d for u, d in drift.items() if emails[u] != "supervisor03@demo.test"]
        assert all(d.tendency != "lenient" for d in fair)
