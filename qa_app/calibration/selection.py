"""Which closed sessions a workbook or an API answer covers: one scorecard or all, closed
within days of the centre's time zone, and only those the reader may open."""

from __future__ import annotations

from datetime import date, tzinfo

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.calibration.models import CalibrationSession, SessionStatus
from qa_app.calibration.results import closed_sessions
from qa_app.calibration.services import sees_others
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
    """results.closed_sessions of the scorecard closed from `start` to `end` (days of `tz`,
    both included, either open), those `reader` may see in full (None: the command line,
    every session)."""
    low = period_bounds(start, start, tz)[0] if start is not None else None
    high = period_bounds(end, end, tz)[1] if end is not None else None
    return [
        session
        for session in closed_sessions(scorecard_id)
        if session.closed_at is not None
        and (low is None or session.closed_at >= low)
        and (high is None or session.closed_at < high)
        and (reader is None or sees_others(reader, session))
    ]
