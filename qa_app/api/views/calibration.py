"""`GET /calibration/sessions`, `GET /calibration/sessions/{id}` and
`GET /calibration/agreement`: calibration for the evaluators who take part in it and the
managers and QA leads who run it. Agents (and administrators) take no part: their lists are
empty and every session is "not found" to them."""

from __future__ import annotations

import sqlalchemy as sa
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from qa_app.api import calibration_representations as represent
from qa_app.api.auth import token_required
from qa_app.api.blueprint import bp
from qa_app.api.errors import ApiError
from qa_app.api.pagination import paginate
from qa_app.api.params import choice_param, invalid, period_params, text_param
from qa_app.api.views.common import ID, within_period
from qa_app.calibration.models import (
    CalibrationItem,
    CalibrationParticipant,
    CalibrationScore,
    CalibrationSession,
    SessionStatus,
)
from qa_app.calibration.results import agreement_table, session_results
from qa_app.calibration.selection import closed_in
from qa_app.calibration.services import sees_others, visible_sessions
from qa_app.extensions import db
from qa_app.scorecards.models import Scorecard, ScorecardVersion

SUMMARY = (
    joinedload(CalibrationSession.version).joinedload(ScorecardVersion.scorecard),
    joinedload(CalibrationSession.expert),
    joinedload(CalibrationSession.created_by),
    selectinload(CalibrationSession.items),
    selectinload(CalibrationSession.participants).joinedload(CalibrationParticipant.user),
)


def _scorecard() -> Scorecard | None:
    """`scorecard`: a scorecard's slug, None when absent."""
    slug = text_param("scorecard")
    if slug is None:
        return None
    card = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == slug))
    if card is None:
        raise invalid("scorecard", slug, _("unknown scorecard"))
    return card


@bp.get("/calibration/sessions")
@token_required()
def calibration_sessions() -> ResponseReturnValue:
    """Sessions the caller may open (managers all; evaluators those they run or take part
    in; agents none), by id; filters: status, scorecard, period (when closed)."""
    query = visible_sessions(current_user).options(*SUMMARY)
    if (status := choice_param("status", SessionStatus)) is not None:
        query = query.where(CalibrationSession.status == status)
    if (card := _scorecard()) is not None:
        versions = sa.select(ScorecardVersion.id).where(ScorecardVersion.scorecard_id == card.id)
        query = query.where(CalibrationSession.scorecard_version_id.in_(versions))
    start, end = period_params()
    query = query.where(*within_period(CalibrationSession.closed_at, start, end))
    return paginate(query, CalibrationSession.id).body(represent.session)


@bp.get(f"/calibration/sessions/<{ID}:session_id>")
@token_required()
def calibration_session(session_id: int) -> ResponseReturnValue:
    """One session with its interactions and participants' progress; its results only when
    the caller may see everyone's answers (closed, or they submitted all of theirs)."""
    record = db.session.scalar(
        visible_sessions(current_user).where(CalibrationSession.id == session_id).options(*SUMMARY)
    )
    if record is None:
        raise ApiError(
            404,
            "not_found",
            _("There is no calibration session with this id, or it is not yours to see."),
        )
    submitted = db.session.execute(
        sa.select(CalibrationScore.user_id, sa.func.count())
        .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
        .where(CalibrationItem.session_id == record.id, CalibrationScore.submitted_at.is_not(None))
        .group_by(CalibrationScore.user_id)
    )
    progress = {user_id: count for user_id, count in submitted}
    results = session_results(record) if sees_others(current_user, record) else None
    return represent.session_detail(record, progress, results)


@bp.get("/calibration/agreement")
@token_required()
def calibration_agreement() -> ResponseReturnValue:
    """Krippendorff's α per criterion and for the overall score over the scorecard's closed
    sessions in the period that the caller may see in full."""
    card = _scorecard()
    if card is None:
        raise invalid("scorecard", None, _("a scorecard's slug is required"))
    start, end = period_params()
    sessions = closed_in(card.id, start, end, get_timezone(), current_user)
    table = agreement_table(sessions) if sessions else []
    return represent.agreement(card.slug, len(sessions), table)
