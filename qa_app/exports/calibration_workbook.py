"""The calibration workbook: the closed sessions of a period, every answer beside its
benchmark, each participant's figures per session, and Krippendorff's α per criterion.

Pure: rows in, an .xlsx out (write-only, so memory stays flat). Every text cell goes through
the sheets' safe-cell writing (qa_app.exports.formula_injection), so a comment that starts
like a formula stays text. The figures come from qa_app.calibration.results (see
qa_app.exports.calibration_export); this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

from qa_app.exports.sheets import (
    DATE,
    DATE_TIME,
    N_,
    PERCENT,
    SCORE,
    WHOLE,
    Column,
    Sheet,
    SheetLanguage,
    discard,
    new_workbook,
    save,
    translated,
)

SESSIONS = N_("Sessions")
CALIBRATION = N_("Calibration")
PARTICIPANTS = N_("Participants")
AGREEMENT = N_("Agreement")
CALIBRATION_SHEETS = (SESSIONS, CALIBRATION, PARTICIPANTS, AGREEMENT)
ALPHA = "0.000"

SESSION_COLUMNS = [
    Column(N_("Session id"), 9, WHOLE),
    Column(N_("Session"), 30),
    Column(N_("Closed"), 17, DATE_TIME),
    Column(N_("Scorecard"), 24),
    Column(N_("Version"), 8, WHOLE),
    Column(N_("Benchmark"), 28),
    Column(N_("Expert"), 22),
    Column(N_("Participants"), 12, WHOLE),
    Column(N_("Participant names"), 40),
    Column(N_("Interactions"), 12, WHOLE),
    Column(N_("Tolerance (points)"), 12, SCORE),
    Column(N_("Due on"), 11, DATE),
]
CALIBRATION_COLUMNS = [
    Column(N_("Session id"), 9, WHOLE),
    Column(N_("Session"), 24),
    Column(N_("Interaction id"), 11, WHOLE),
    Column(N_("Interaction"), 16),
    Column(N_("Participant"), 22),
    Column(N_("Criterion"), 24),
    Column(N_("Answer"), 9),
    Column(N_("r"), 8, PERCENT),
    Column(N_("Benchmark r"), 11, PERCENT),
    Column(N_("Deviation (points)"), 11, SCORE),
    Column(N_("Within tolerance"), 10),
    Column(N_("Score"), 8, SCORE),
    Column(N_("Benchmark score"), 11, SCORE),
    Column(N_("Auto-fail"), 9),
    Column(N_("Benchmark auto-fail"), 11),
    Column(N_("Comment"), 48),
]
PARTICIPANT_COLUMNS = [
    Column(N_("Session id"), 9, WHOLE),
    Column(N_("Session"), 30),
    Column(N_("Participant"), 24),
    Column(N_("Interactions compared"), 12, WHOLE),
    Column(N_("Alignment"), 11, PERCENT),
    Column(N_("Within tolerance"), 11, PERCENT),
    Column(N_("Critical-fail agreement"), 12, PERCENT),
    Column(N_("Score deviation (points)"), 12, SCORE),
]
AGREEMENT_COLUMNS = [
    Column(N_("Scorecard"), 24),
    Column(N_("Criterion"), 28),
    Column(N_("Level of measurement"), 14),
    Column(N_("Krippendorff's alpha"), 12, ALPHA),
    Column(N_("Interval low (95%)"), 11, ALPHA),
    Column(N_("Interval high (95%)"), 11, ALPHA),
    Column(N_("Percent agreement"), 11, PERCENT),
    Column(N_("Interactions"), 12, WHOLE),
    Column(N_("Answers"), 10, WHOLE),
]


@dataclass(frozen=True)
class SessionSheetRow:
    session_id: int
    title: str
    closed_at: datetime | None  # local, without a zone
    scorecard: str
    version: int
    benchmark: str
    expert: str | None
    participants: int
    participant_names: str
    interactions: int
    tolerance_points: float
    due_on: date | None


@dataclass(frozen=True)
class CalibrationSheetRow:
    """A criterion's answer (score columns empty) or an interaction's overall row (answer
    and r columns empty)."""

    session_id: int
    session: str
    interaction_id: int
    interaction: str
    participant: str
    criterion: str
    answer: str | float | None
    r: float | None
    benchmark_r: float | None
    deviation: float | None
    within_tolerance: str | None
    score: float | None
    benchmark_score: float | None
    auto_failed: str | None
    benchmark_auto_failed: str | None
    comment: str | None


@dataclass(frozen=True)
class ParticipantSheetRow:
    session_id: int
    session: str
    participant: str
    interactions: int
    alignment: float | None
    within_tolerance: float | None
    critical_agreement: float | None
    score_deviation: float | None


@dataclass(frozen=True)
class AgreementSheetRow:
    scorecard: str
    criterion: str
    level: str
    alpha: float | None
    low: float | None
    high: float | None
    percent_agreement: float | None
    units: int
    values: int


def write_calibration_workbook(
    out: str | IO[bytes],
    *,
    sessions: Iterable[SessionSheetRow],
    answers: Iterable[CalibrationSheetRow],
    participants: Iterable[ParticipantSheetRow],
    agreement: Iterable[AgreementSheetRow],
    scratch: Path,
    description: str = "",
    language: SheetLanguage = SheetLanguage(),  # noqa: B008 - frozen: one shared default
) -> dict[str, int]:
    """Write the four sheets to `out` in `language`; the data rows of each, by English name."""
    translate = language.translate
    workbook = new_workbook(translate(N_("QA calibration")), description, scratch, language)
    try:
        sheets = [
            Sheet(workbook, SESSIONS, translated(SESSION_COLUMNS, translate)),
            Sheet(workbook, CALIBRATION, translated(CALIBRATION_COLUMNS, translate)),
            Sheet(workbook, PARTICIPANTS, translated(PARTICIPANT_COLUMNS, translate)),
            Sheet(workbook, AGREEMENT, translated(AGREEMENT_COLUMNS, translate)),
        ]
        for session in sessions:
            sheets[0].append(
                [
                    session.session_id, session.title, session.closed_at, session.scorecard,
                    session.version, session.benchmark, session.expert, session.participants,
                    session.participant_names, session.interactions, session.tolerance_points,
                    session.due_on,
                ]
            )  # fmt: skip
        for row in answers:
            sheets[1].append(
                [
                    row.session_id, row.session, row.interaction_id, row.interaction,
                    row.participant, row.criterion, row.answer, row.r, row.benchmark_r,
                    row.deviation, row.within_tolerance, row.score, row.benchmark_score,
                    row.auto_failed, row.benchmark_auto_failed, row.comment,
                ]
            )  # fmt: skip
        for person in participants:
            sheets[2].append(
                [
                    person.session_id, person.session, person.participant, person.interactions,
                    person.alignment, person.within_tolerance, person.critical_agreement,
                    person.score_deviation,
                ]
            )  # fmt: skip
        for line in agreement:
            sheets[3].append(
                [
                    line.scorecard, line.criterion, line.level, line.alpha, line.low, line.high,
                    line.percent_agreement, line.units, line.values,
                ]
            )  # fmt: skip
        for sheet in sheets:
            sheet.filter()
        save(workbook, out, CALIBRATION_SHEETS)
    except BaseException:
        discard(workbook)
        raise
    return {name: sheet.rows for name, sheet in zip(CALIBRATION_SHEETS, sheets, strict=True)}
