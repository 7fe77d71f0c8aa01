"""Which closed sessions a workbook or an API answer covers: one scorecard or all, closed
within days of the centre's time zone, and only those the reader may open."""

from __future__ import annotations

from datetime import date, tzinfo

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.calibration.models import CalibrationSession, SessionStatus
from qa_app.calibration.results import closed_between
from qa_app.calibration.services import visible_sessions
from qa_app.extensions import db
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.stats.services import period_bounds


def calibrated_scorecards(scorecard_id: int | None = None) -> list[Scorecard]:
    """The scorecards with a closed session (only `scorecard_id` when given), by name."""
    calibrated = (
        sa.select(ScorecardVersion.scorecard_id)
        .join(CalibrationSession, CalibrationSession.scorecard_version_id == ScorecardVersion.id)
        .where(CalibrationSession.status == SessionStatus.CLOSED)
    )
    # Ids first: PostgreSQL compares no JSON column, so DISTINCT over scorecards fails.
    query = sa.select(Scorecard).where(Scorecard.id.in_(calibrated))
    if scorecard_id is not None:
        query = query.where(Scorecard.id == scorecard_id)
    return sorted(db.session.scalars(query), key=lambda card: (card.name, card.id))


def closed_in(
    scorecard_id: int,
    start: date | None,
    end: date | None,
    tz: tzinfo,
    reader: User | None = None,
) -> list[CalibrationSession]:
    """The scorecard's sessions closed from `start` to `end` (days of `tz`, both included,
    either open), of those `reader` may open (None: the command line, every session). A
    closed session shows everything to everyone who may open it (services.sees_others), so
    the visible sessions are the ones seen in full: one query for all of them."""
    low = period_bounds(start, start, tz)[0] if start is not None else None
    high = period_bounds(end, end, tz)[1] if end is not None else None
    return closed_between(
        low,
        high,
        scorecard_id=scorecard_id,
        among=visible_sessions(reader) if reader is not None else None,
    )
