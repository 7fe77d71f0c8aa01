"""The calibration workbook as the web and the CLI run it: the closed sessions chosen
(qa_app.calibration.selection), their figures from qa_app.calibration.results, laid out by
qa_app.exports.calibration_workbook.

Calibration scoring stays out of every agent's figures; this workbook is about evaluators,
so it names the interaction (its id and reference) but not its agent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qa_app.auth.models import User
from qa_app.calibration.agreement import Level, within_tolerance
from qa_app.calibration.models import (
    Benchmark,
    CalibrationAnswer,
    CalibrationItem,
    CalibrationScore,
    CalibrationSession,
)
from qa_app.calibration.results import (
    OVERALL,
    Scoring,
    SessionResults,
    agreement_table,
    load_scorings,
    session_results,
)
from qa_app.calibration.selection import calibrated_scorecards, closed_in
from qa_app.exports.calibration_workbook import (
    AgreementSheetRow,
    CalibrationSheetRow,
    ParticipantSheetRow,
    SessionSheetRow,
    write_calibration_workbook,
)
from qa_app.exports.scratch import export_directory
from qa_app.exports.services import workbook_language, written_in
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.texts import localized_definition
from qa_app.scoring import iter_criteria

LEVELS = {
    Level.NOMINAL: _l("nominal"),
    Level.ORDINAL: _l("ordinal"),
    Level.INTERVAL: _l("interval"),
    Level.RATIO: _l("ratio"),
}


@dataclass(frozen=True)
class CalibrationFilters:
    """Sessions closed from `start` to `end` (days of `tz`, both included), on one
    scorecard or all; `reader` None is the command line (every session)."""

    start: date | None
    end: date | None
    tz: tzinfo
    scorecard_id: int | None = None
    reader: User | None = None

    def describe(self) -> dict[str, Any]:
        """The filters for the audit trail."""
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "time_zone": str(self.tz),
            "scorecard_id": self.scorecard_id,
        }


@dataclass(frozen=True)
class ScorecardSessions:
    """The chosen closed sessions of one scorecard (α is computed per scorecard)."""

    name: str
    sessions: list[CalibrationSession]


def chosen_sessions(filters: CalibrationFilters) -> list[ScorecardSessions]:
    """The closed sessions the filters choose, grouped by scorecard (by name)."""
    found = []
    for card in calibrated_scorecards(filters.scorecard_id):
        sessions = closed_in(card.id, filters.start, filters.end, filters.tz, filters.reader)
        if sessions:
            found.append(ScorecardSessions(card.name, sessions))
    return found


def export_calibration(
    filters: CalibrationFilters, out: str | IO[bytes], *, language: str | None = None
) -> dict[str, int]:
    """Write the calibration workbook to `out` in `language` (default: the current one); the
    number of data rows of each sheet, by its English name."""
    with written_in(language), export_directory(current_app.config["SCRATCH_DIR"]) as scratch:
        groups = chosen_sessions(filters)
        sessions = [session for group in groups for session in group.sessions]
        scorings = load_scorings(session.id for session in sessions)  # once, for all
        by_session: dict[int, list[Scoring]] = defaultdict(list)
        for scoring in scorings:
            by_session[scoring.session_id].append(scoring)
        results = {s.id: session_results(s, by_session[s.id]) for s in sessions}
        names = _names(sessions)
        return write_calibration_workbook(
            out,
            sessions=[_session_row(s, names, filters.tz) for s in sessions],
            answers=_answer_rows(sessions, results, names),
            participants=_participant_rows(sessions, results, names),
            agreement=_agreement_rows(groups),
            scratch=scratch,
            description=_description(filters),
            language=workbook_language(),
        )


def _description(filters: CalibrationFilters) -> str:
    return _(
        "Calibration sessions closed %(start)s to %(end)s; times in %(tz)s.",
        start=filters.start.isoformat() if filters.start else "…",
        end=filters.end.isoformat() if filters.end else "…",
        tz=str(filters.tz),
    )


def _names(sessions: Sequence[CalibrationSession]) -> dict[int, str]:
    ids = {p.user_id for s in sessions for p in s.participants}
    ids |= {s.expert_id for s in sessions if s.expert_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    return None if moment is None else moment.astimezone(tz).replace(tzinfo=None)


def _session_row(
    session: CalibrationSession, names: Mapping[int, str], tz: tzinfo
) -> SessionSheetRow:
    version = session.version
    people = [names.get(p.user_id, "") for p in session.participants]
    return SessionSheetRow(
        session_id=session.id,
        title=session.title,
        closed_at=_local(session.closed_at, tz),
        scorecard=str(localized_definition(version.definition).get("name") or version.name),
        version=version.number,
        benchmark=Benchmark(session.benchmark).label,
        expert=names.get(session.expert_id) if session.expert_id is not None else None,
        participants=len(people),
        participant_names=", ".join(people),
        interactions=len(session.items),
        tolerance_points=session.tolerance_points,
        due_on=session.due_on,
    )


def _stored_values(session_ids: Sequence[int]) -> dict[tuple[int, int, str], float | None]:
    """Each submitted answer's value as given (None: N/A), by item, participant, criterion."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            CalibrationScore.item_id,
            CalibrationScore.user_id,
            CalibrationAnswer.criterion_key,
            CalibrationAnswer.value,
        )
        .join(CalibrationScore, CalibrationScore.id == CalibrationAnswer.score_id)
        .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
        .where(
            CalibrationItem.session_id.in_(session_ids),
            CalibrationScore.submitted_at.is_not(None),
        )
    )
    return {(item, user, key): value for item, user, key, value in rows}


def _answer_text(kind: str, value: float | None, r: float | None) -> str | float | None:
    """An answer as the scorecard asks it: yes or no, a number, or N/A."""
    if r is None:
        return _("N/A")
    if kind == "yes_no":
        return _("yes") if r >= 1 else _("no")
    return value


def _yes_no(flag: bool | None) -> str | None:
    return None if flag is None else (_("yes") if flag else _("no"))


def _answer_rows(
    sessions: Sequence[CalibrationSession],
    results: Mapping[int, SessionResults],
    names: Mapping[int, str],
) -> Iterator[CalibrationSheetRow]:
    """Per session, interaction and participant: one row per criterion, then the overall."""
    values = _stored_values([s.id for s in sessions])
    refs = _interaction_refs(sessions)
    for session in sessions:
        result = results[session.id]
        shown = localized_definition(session.version.definition)
        criteria = [(c["key"], c["kind"], str(c.get("label") or c["key"])) for _s, c in
                    iter_criteria(shown)]  # fmt: skip
        rows = {(row.item_id, row.key): row for row in result.criteria}
        for item, item_result in zip(session.items, result.items, strict=True):
            bench = item_result.benchmark
            for user_id, score in item_result.scores.items():
                common = (session.id, session.title, item.interaction_id,
                          refs.get(item.interaction_id, ""), names.get(user_id, ""))  # fmt: skip
                for key, kind, label in criteria:
                    row = rows[(item.id, key)]
                    if user_id not in row.answers:
                        continue
                    r = row.answers[user_id]
                    within = (
                        within_tolerance({key: r}, {key: row.benchmark}, session.tolerance_points)
                        if user_id in row.deviations
                        else None
                    )
                    yield CalibrationSheetRow(
                        *common,
                        criterion=label,
                        answer=_answer_text(kind, values.get((item.id, user_id, key)), r),
                        r=r,
                        benchmark_r=row.benchmark,
                        deviation=row.deviations.get(user_id),
                        within_tolerance=None if within is None else _yes_no(within == 1),
                        score=None,
                        benchmark_score=None,
                        auto_failed=None,
                        benchmark_auto_failed=None,
                        comment=row.comments.get(user_id),
                    )
                # The overall row's deviation, as ParticipantResult.score_deviation averages it.
                deviation = (
                    score - bench.score
                    if user_id in result.compared
                    and bench is not None
                    and score is not None
                    and bench.score is not None
                    else None
                )
                yield CalibrationSheetRow(
                    *common,
                    criterion=_("Overall score"),
                    answer=None,
                    r=None,
                    benchmark_r=None,
                    deviation=deviation,
                    within_tolerance=None,
                    score=score,
                    benchmark_score=bench.score if bench else None,
                    auto_failed=_yes_no(item_result.auto_failed.get(user_id)),
                    benchmark_auto_failed=_yes_no(bench.auto_failed) if bench else None,
                    comment=item_result.overall_comments.get(user_id),
                )


def _interaction_refs(sessions: Sequence[CalibrationSession]) -> dict[int, str]:
    ids = {item.interaction_id for s in sessions for item in s.items}
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Interaction.id, Interaction.external_ref).where(Interaction.id.in_(ids))
    )
    return {interaction_id: ref or "" for interaction_id, ref in rows}


def _participant_rows(
    sessions: Sequence[CalibrationSession],
    results: Mapping[int, SessionResults],
    names: Mapping[int, str],
) -> Iterator[ParticipantSheetRow]:
    for session in sessions:
        for person in results[session.id].participants:
            yield ParticipantSheetRow(
                session.id,
                session.title,
                names.get(person.user_id, ""),
                person.interactions,
                person.alignment,
                person.within_tolerance,
                person.critical_agreement,
                person.score_deviation,
            )


def _agreement_rows(groups: Sequence[ScorecardSessions]) -> Iterator[AgreementSheetRow]:
    for group in groups:
        labels: dict[str, str] = {}
        for session in group.sessions:
            for _section, c in iter_criteria(localized_definition(session.version.definition)):
                labels.setdefault(str(c["key"]), str(c.get("label") or c["key"]))
        for line in agreement_table(group.sessions):
            yield AgreementSheetRow(
                scorecard=group.name,
                criterion=(
                    _("Overall score") if line.key == OVERALL else labels.get(line.key, line.key)
                ),
                level=str(LEVELS[line.level]),
                alpha=line.alpha,
                low=line.low,
                high=line.high,
                percent_agreement=line.percent_agreement,
                units=line.units,
                values=line.values,
            )


def export_audit(filters: CalibrationFilters, rows: Mapping[str, int], via: str) -> dict[str, Any]:
    """What the audit event of a calibration export records: how, filters, rows."""
    return {"via": via, "filters": filters.describe(), "rows": dict(rows)}
