"""The criterion validity workbook: the figures of the criterion validity page (one function,
`validity.report.validity_report`, computes both), in two sheets."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from qa_app.exports.sheets import (
    N_,
    PERCENT,
    WHOLE,
    Column,
    ExportWorkbook,
    Sheet,
    SheetLanguage,
    Translate,
    discard,
    new_workbook,
    save,
    translated,
)
from qa_app.validity.relations import ScoreCorrelations
from qa_app.validity.report import ValidityReport

CRITERIA_OUTCOMES = N_("Criteria and outcomes")
SCORE_OUTCOMES = N_("QA score and outcomes")
VALIDITY_SHEETS = (CRITERIA_OUTCOMES, SCORE_OUTCOMES)
CORRELATION = "0.00"
P_VALUE = "0.0000"

RELATION_COLUMNS = [
    Column(N_("Scorecard"), 20),
    Column(N_("Criterion key"), 18),
    Column(N_("Criterion"), 26),
    Column(N_("Outcome"), 22),
    Column(N_("Rate when met"), 10, PERCENT),
    Column(N_("n when met"), 8, WHOLE),
    Column(N_("Rate when not met"), 10, PERCENT),
    Column(N_("n when not met"), 8, WHOLE),
    Column(N_("Difference"), 10, PERCENT),
    Column(N_("Interval low (95%)"), 10, PERCENT),
    Column(N_("Interval high (95%)"), 10, PERCENT),
    Column(N_("p-value"), 9, P_VALUE),
    Column(N_("Verdict"), 24),
]
CORRELATION_COLUMNS = [
    Column(N_("Team"), 22),
    Column(N_("Evaluations"), 10, WHOLE),
    *(
        column
        for outcome in (N_("CSAT score"), N_("CSAT positive"), N_("Resolved on first contact"))
        for column in (
            Column(outcome, 10, CORRELATION),
            Column(N_("Interval low (95%)"), 10, CORRELATION),
            Column(N_("Interval high (95%)"), 10, CORRELATION),
            Column(N_("n"), 7, WHOLE),
        )
    ),
]


def write_validity_workbook(
    out: str | IO[bytes],
    *,
    scratch: Path,
    report: ValidityReport,
    notes: list[str],
    labels: tuple[str, str],
    description: str = "",
    language: SheetLanguage = SheetLanguage(),  # noqa: B008 - frozen: one shared default
) -> dict[str, int]:
    """Write VALIDITY_SHEETS to `out` in `language`: the relations (then `notes`, how to
    read them), and the correlations per team (then `labels[1]`, every team together;
    `labels[0]` names agents without a team); the data rows of each sheet."""
    translate = language.translate
    workbook = new_workbook(translate(N_("Criterion validity")), description, scratch, language)
    try:
        relations = write_relations(workbook, report, notes, translate)
        correlations = write_correlations(workbook, report, labels, translate)
        save(workbook, out, VALIDITY_SHEETS)
    except BaseException:
        discard(workbook)
        raise
    return {CRITERIA_OUTCOMES: relations, SCORE_OUTCOMES: correlations}


def write_relations(
    workbook: ExportWorkbook, report: ValidityReport, notes: list[str], translate: Translate
) -> int:
    """One row per criterion and outcome, then how to read them; the number of rows."""
    sheet = Sheet(workbook, CRITERIA_OUTCOMES, translated(RELATION_COLUMNS, translate))
    for row in report.relations:
        r = row.relation
        d = r.difference
        sheet.append(
            [
                row.scorecard, r.criterion_key, row.criterion, r.outcome.label, r.met_rate,
                r.met_n, r.not_met_rate, r.not_met_n, d.estimate, d.low, d.high, r.p_value,
                r.flag.label,
            ]
        )  # fmt: skip
    rows = sheet.rows
    sheet.filter(rows)
    sheet.blank()
    for note in notes:
        sheet.append([note])
    return rows


def write_correlations(
    workbook: ExportWorkbook,
    report: ValidityReport,
    labels: tuple[str, str],
    translate: Translate,
) -> int:
    """Each team's correlations of the QA score with the outcomes, then every team's."""
    sheet = Sheet(workbook, SCORE_OUTCOMES, translated(CORRELATION_COLUMNS, translate))
    no_team, all_teams = labels
    for team in report.teams:
        sheet.append(_correlation_values(team.team or no_team, team.correlations))
    if len(report.teams) > 1:
        sheet.append(_correlation_values(all_teams, report.overall))
    sheet.filter()
    return sheet.rows


def _correlation_values(name: str, correlations: ScoreCorrelations) -> list[object]:
    values: list[object] = [name, correlations.evaluations]
    for c in (
        correlations.csat_score,
        correlations.csat_positive,
        correlations.resolved_first_contact,
    ):
        values += [c.r, c.low, c.high, c.n]
    return values
