"""The pages of calibration's figures: a session's results, and agreement and evaluator drift
over many sessions. Every figure comes from calibration.results; these views only choose the
sessions a reader may see and put names and labels beside the figures."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import EVALUATOR_ROLES, User
from qa_app.calibration import services
from qa_app.calibration.blueprint import bp
from qa_app.calibration.models import CalibrationItem, CalibrationSession, SessionStatus
from qa_app.calibration.results import (
    OVERALL,
    agreement_by_month,
    agreement_table,
    closed_between,
    evaluator_drift,
    load_scorings,
    session_results,
)
from qa_app.calibration.results_forms import AgreementForm
from qa_app.extensions import db
from qa_app.i18n import format_number, local_midnight
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.scorecards.texts import criterion_labels
from qa_app.scoring import criterion_bounds, iter_criteria
from qa_app.web.forms import to_choices


def answer_shown(criterion: Mapping[str, Any], r: float | None) -> str:
    """An answer as the scorecard shows it, from its r: Yes/No, the scale's value, points;
    N/A for None."""
    if r is None:
        return _("N/A")
    if criterion.get("kind") == "yes_no":
        return _("Yes") if r >= 0.5 else _("No")
    low, high = criterion_bounds(criterion)
    value = round(low + r * (high - low), 6)
    return format_number(value, 0 if value == int(value) else 1)


def names_of(user_ids: Iterable[int]) -> dict[int, str]:
    """Display names of the users, in one query."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


@bp.route("/<int:session_id>/results")
@role_required(*EVALUATOR_ROLES)
def results(session_id: int) -> ResponseReturnValue:
    """One session's results: everyone's answers beside the benchmark, each participant's
    figures, the widest spreads with the comments; after the blind rule allows."""
    session = db.get_or_404(CalibrationSession, session_id)
    if not services.can_view(current_user, session):
        abort(404)
    if not services.sees_others(current_user, session):
        return render_template(
            "calibration/results_waiting.html",
            session=session,
            taking_part=services.participant(session, current_user) is not None,
        )
    figures = session_results(session)
    items = db.session.scalars(
        sa.select(CalibrationItem)
        .where(CalibrationItem.session_id == session.id)
        .options(sa.orm.joinedload(CalibrationItem.interaction))
        .order_by(CalibrationItem.id)
    ).all()
    definition = session.version.definition
    criteria = {str(c["key"]): c for _section, c in iter_criteria(definition)}
    people = [p.user_id for p in session.participants]
    return render_template(
        "calibration/results.html",
        session=session,
        figures=figures,
        items={item.id: item for item in items},
        criteria=criteria,
        labels=criterion_labels(definition),
        names=names_of([*people, session.expert_id or 0]),
        rows_by_item=_rows_by_item(figures.criteria),
        answer_shown=answer_shown,
    )


def _rows_by_item(rows: Iterable[Any]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(row.item_id, []).append(row)
    return found


def _scorecard_choices(user: User) -> list[tuple[int, str]]:
    """The scorecards with closed sessions the user may open."""
    visible = services.visible_sessions(user).with_only_columns(CalibrationSession.id)
    rows = db.session.execute(
        sa.select(Scorecard.id, Scorecard.name)
        .join(ScorecardVersion, ScorecardVersion.scorecard_id == Scorecard.id)
        .join(CalibrationSession, CalibrationSession.scorecard_version_id == ScorecardVersion.id)
        .where(
            CalibrationSession.status == SessionStatus.CLOSED,
            CalibrationSession.id.in_(visible.order_by(None)),
        )
        .distinct()
        .order_by(Scorecard.name, Scorecard.id)
    )
    return [(scorecard_id, name) for scorecard_id, name in rows]


@bp.route("/agreement")
@role_required(*EVALUATOR_ROLES)
def agreement() -> ResponseReturnValue:
    """α per criterion and overall, α per month and each evaluator's drift, over the closed
    sessions of one scorecard that the reader may open (managers: all; supervisors: those
    they organised or took part in, whose answers they can read already)."""
    form = AgreementForm(request.args)
    choices = _scorecard_choices(current_user)
    form.scorecard_id.choices = to_choices(choices)
    valid = form.validate() if request.args else True
    if not valid:
        form.start.data = form.end.data = None
    chosen = form.scorecard_id.data if valid else None
    if chosen not in {scorecard_id for scorecard_id, _name in choices}:
        chosen = choices[0][0] if choices else None
    form.scorecard_id.data = chosen
    if chosen is None:
        return render_template("calibration/agreement.html", form=form, sessions=[]), (
            200 if valid else 400
        )
    tz = get_timezone()
    start = local_midnight(form.start.data, tz) if form.start.data else None
    end = local_midnight(form.end.data + timedelta(days=1), tz) if form.end.data else None
    sessions = closed_between(
        start, end, scorecard_id=chosen, among=services.visible_sessions(current_user)
    )
    scorings = load_scorings(s.id for s in sessions)  # once, for all three figures
    drift = evaluator_drift(sessions, tz, scorings)
    labels: dict[str, str] = {}
    for session in sessions:
        labels = {**criterion_labels(session.version.definition), **labels}
    labels[OVERALL] = _("Overall score")
    months = agreement_by_month(sessions, tz, scorings)
    names = names_of(drift)
    lowest = [v for m in months for v in (m.overall.low, m.overall.alpha) if v is not None]
    return render_template(
        "calibration/agreement.html",
        form=form,
        sessions=sessions,
        table=agreement_table(sessions, scorings=scorings),
        labels=labels,
        months=months,
        # The chart's lowest line: 0, or lower (by tenths) when an α or its interval is.
        chart_floor=min(0.0, math.floor(min(lowest, default=0.0) * 10) / 10),
        drift=sorted(drift.values(), key=lambda d: (names.get(d.user_id, ""), d.user_id)),
        names=names,
    ), (200 if valid else 400)
