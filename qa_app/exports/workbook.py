"""The evaluations workbook: Summary, Evaluations, Answers, Criteria and Training sheets,
and a Chart sheet of the QA averages.

Pure: rows in, an .xlsx out (openpyxl write-only mode, so memory stays flat). The
Evaluations sheet has one column per criterion key of the scorecard versions the exported
evaluations were scored on, holding the normalised r (0–100 %) of the answer; N/A and
unanswered criteria are empty. With several scorecards, a key they share (say `greeting`)
shares a column, under the label of its latest version. The Answers sheet keeps every
answer's own label, section, kind and raw value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING

from openpyxl.chart import BarChart, Reference

from qa_app.exports.rows import (
    AgentSummary,
    AnswerRow,
    CriterionColumn,
    EvaluationRow,
    KpiColumn,
    TrainingRow,
)
from qa_app.exports.sheets import (
    DATE_TIME,
    N_,
    PERCENT,
    SCORE,
    WHOLE,
    Column,
    ExportWorkbook,
    Sheet,
    SheetLanguage,
    Translate,
    chart_sheet,
    discard,
    new_workbook,
    save,
    translated,
)
from qa_app.exports.training_sheet import TRAINING, write_training

if TYPE_CHECKING:  # the writer stays pure: the row type only, not its query module
    from qa_app.stats.criteria import CriteriaRow

# The sheets' English names, which are also the keys of the row counts the writers return
# (and the audit trail keeps); each workbook writes them in its language.
SUMMARY, EVALUATIONS = N_("Summary"), N_("Evaluations")
ANSWERS, CRITERIA, CHART = N_("Answers"), N_("Criteria"), N_("Chart")
# The sheets in the order written; the Exports page lists them from here.
EVALUATIONS_SHEETS = (SUMMARY, EVALUATIONS, ANSWERS, CRITERIA, TRAINING, CHART)

SUMMARY_COLUMNS = [
    Column(N_("Agent"), 24),
    Column(N_("E-mail"), 28),
    Column(N_("Team"), 18),
    Column(N_("Evaluations"), 12, WHOLE),
    Column(N_("QA average"), 11, SCORE),
    Column(N_("QA n"), 8, WHOLE),
    Column(N_("QA low (95% CI)"), 11, SCORE),
    Column(N_("QA high (95% CI)"), 11, SCORE),
    Column(N_("Pass rate"), 10, PERCENT),
    Column(N_("Critical failures"), 10, WHOLE),
]
SUMMARY_TAIL = [
    Column(N_("KPI index"), 10, SCORE),
    Column(N_("Composite"), 11, SCORE),
    Column(N_("Composite flags"), 30),
]
QA_AVERAGE_COLUMN = 5  # E: the chart's values

EVALUATION_HEAD = [
    Column(N_("Evaluation id"), 11, WHOLE),
    Column(N_("Submitted"), 17, DATE_TIME),
    Column(N_("Interaction"), 17, DATE_TIME),
    Column(N_("Agent"), 24),
    Column(N_("Team"), 18),
    Column(N_("Evaluator"), 24),
    Column(N_("Scorecard"), 22),
    Column(N_("Version"), 8, WHOLE),
    Column(N_("Channel"), 10),
    Column(N_("External reference"), 18),
    Column(N_("Status"), 12),
    Column(N_("Score"), 8, SCORE),
    Column(N_("Raw score"), 9, SCORE),
    Column(N_("Auto-fail"), 9),
    Column(N_("Passed"), 8),
]
EVALUATION_TAIL = [
    Column(N_("Overall comment"), 48),
    Column(N_("Strengths"), 36),
    Column(N_("Opportunities"), 36),
]
ANSWER_COLUMNS = [
    Column(N_("Evaluation id"), 11, WHOLE),
    Column(N_("Criterion key"), 20),
    Column(N_("Criterion"), 30),
    Column(N_("Section"), 20),
    Column(N_("Kind"), 9),
    Column(N_("Value"), 8),
    Column(N_("Normalised"), 11, PERCENT),
    Column(N_("N/A"), 6),
    Column(N_("Comment"), 48),
]


def write_evaluations_workbook(
    out: str | IO[bytes],
    *,
    scratch: Path,
    summaries: Sequence[AgentSummary],
    kpi_columns: Sequence[KpiColumn],
    criteria: Sequence[CriterionColumn],
    evaluations: Iterable[tuple[EvaluationRow, Sequence[AnswerRow]]],
    matrix: Sequence[CriteriaRow],
    training: Iterable[TrainingRow] = (),
    today: date | None = None,
    description: str = "",
    language: SheetLanguage = SheetLanguage(),  # noqa: B008 - frozen: one shared default
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write the sheets of EVALUATIONS_SHEETS to `out` in `language`; the number of data
    rows of each sheet that holds rows, by the sheet's English name."""
    translate = language.translate
    workbook = new_workbook(translate(N_("QA evaluations")), description, scratch, language)
    try:
        summary = write_summary(workbook, summaries, kpi_columns, translate)
        evaluation_sheet, answer_sheet = write_evaluations(
            workbook, criteria, evaluations, translate, progress
        )
        criteria_rows = write_criteria(workbook, criteria, matrix, translate)
        training_rows = write_training(workbook, training, today or date.today(), translate)
        chart_sheet(workbook, CHART, _qa_chart(summary, translate))
        save(workbook, out, EVALUATIONS_SHEETS)
    except BaseException:
        discard(workbook)
        raise
    return {
        SUMMARY: summary.rows,
        EVALUATIONS: evaluation_sheet.rows,
        ANSWERS: answer_sheet.rows,
        CRITERIA: criteria_rows,
        TRAINING: training_rows,
    }


def write_summary(
    workbook: ExportWorkbook,
    summaries: Sequence[AgentSummary],
    kpi_columns: Sequence[KpiColumn],
    translate: Translate,
) -> Sheet:
    """One row per agent."""
    kpis = [Column(kpi.header, 12, kpi.number_format) for kpi in kpi_columns]
    columns = [
        *translated(SUMMARY_COLUMNS, translate),
        *kpis,
        *translated(SUMMARY_TAIL, translate),
    ]
    sheet = Sheet(workbook, SUMMARY, columns)
    for row in summaries:
        sheet.append(
            [
                row.agent,
                row.email,
                row.team,
                row.evaluations,
                row.qa_average,
                row.qa_n,
                row.qa_low,
                row.qa_high,
                row.pass_rate,
                row.critical_failures,
                *(row.kpis.get(kpi.key) for kpi in kpi_columns),
                row.kpi_index,
                row.composite,
                row.composite_flags or None,
            ]
        )
    sheet.filter()
    return sheet


def _qa_chart(sheet: Sheet, translate: Translate) -> BarChart:
    """A column per agent of the Summary sheet: the QA average, on a 0–100 axis."""
    chart = BarChart()
    chart.type = "col"
    chart.title = translate(N_("QA average by agent"))
    chart.y_axis.title = translate(N_("QA average"))
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
    # openpyxl 3.1 hides both axes unless told otherwise.
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend = None
    last = max(2, sheet.rows + 1)  # without agents, one empty row: an empty chart
    values = Reference(sheet.worksheet, min_col=QA_AVERAGE_COLUMN, min_row=1, max_row=last)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(Reference(sheet.worksheet, min_col=1, min_row=2, max_row=last))
    return chart


def write_evaluations(
    workbook: ExportWorkbook,
    criteria: Sequence[CriterionColumn],
    evaluations: Iterable[tuple[EvaluationRow, Sequence[AnswerRow]]],
    translate: Translate,
    progress: Callable[[int], None] | None = None,
) -> tuple[Sheet, Sheet]:
    """The Evaluations sheet (one row each) and the Answers sheet (one row per answer),
    written side by side from one pass over the evaluations."""
    columns = [
        *translated(EVALUATION_HEAD, translate),
        *(Column(criterion.label, 12, PERCENT) for criterion in criteria),
        *translated(EVALUATION_TAIL, translate),
    ]
    evaluation_sheet = Sheet(workbook, EVALUATIONS, columns)
    answer_sheet = Sheet(workbook, ANSWERS, translated(ANSWER_COLUMNS, translate))
    label = workbook.language.label
    for evaluation, answers in evaluations:
        evaluation_sheet.append(evaluation_values(evaluation, answers, criteria, label))
        for answer in answers:
            answer_sheet.append(answer_values(answer))
        if progress is not None:
            progress(1)
    evaluation_sheet.filter()
    answer_sheet.filter()
    return evaluation_sheet, answer_sheet


def evaluation_values(
    evaluation: EvaluationRow,
    answers: Sequence[AnswerRow],
    criteria: Sequence[CriterionColumn],
    label: Translate = str,
) -> list[object]:
    """An Evaluations row: the evaluation (its channel and status named by `label`), r of
    each criterion (empty if N/A), the texts."""
    by_key = {answer.criterion_key: answer for answer in answers}
    return [
        evaluation.id,
        evaluation.submitted_at,
        evaluation.interaction_at,
        evaluation.agent,
        evaluation.team,
        evaluation.evaluator,
        evaluation.scorecard,
        evaluation.version,
        label(evaluation.channel),
        evaluation.external_ref,
        label(evaluation.status),
        evaluation.score,
        evaluation.raw_score,
        evaluation.auto_failed,
        evaluation.passed,
        *(_share(by_key.get(criterion.key)) for criterion in criteria),
        evaluation.overall_comment,
        evaluation.strengths,
        evaluation.opportunities,
    ]


def _share(answer: AnswerRow | None) -> float | None:
    return None if answer is None or answer.is_na else answer.normalised


def answer_values(answer: AnswerRow) -> list[object]:
    """An Answers row."""
    return [
        answer.evaluation_id,
        answer.criterion_key,
        answer.label,
        answer.section,
        answer.kind,
        answer.value,
        answer.normalised,
        answer.is_na,
        answer.comment,
    ]


def write_criteria(
    workbook: ExportWorkbook,
    criteria: Sequence[CriterionColumn],
    matrix: Sequence[CriteriaRow],
    translate: Translate,
) -> int:
    """Teams × criteria: mean r coloured red to green, then the n behind each mean."""
    columns = [Column(translate(N_("Team")), 22)]
    columns += [Column(criterion.label, 14, PERCENT) for criterion in criteria]
    sheet = Sheet(workbook, CRITERIA, columns)
    for row in matrix:
        sheet.append([row.label, *(row.means.get(criterion.key) for criterion in criteria)])
    rows = sheet.rows
    sheet.filter()
    sheet.colour_scale(2, len(columns), 2, rows + 1)
    if rows:
        sheet.blank()
        sheet.header([translate(N_("Answers (n)")), *(criterion.label for criterion in criteria)])
        for row in matrix:
            sheet.append(
                [row.label, *(row.counts.get(criterion.key, 0) for criterion in criteria)],
                [None, *(WHOLE for _ in criteria)],
            )
    return rows
