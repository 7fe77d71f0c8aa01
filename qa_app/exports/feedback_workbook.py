"""An agent's feedback workbook for one period: Overview, Evaluations, Answers, Criteria,
and a Chart sheet of the agent's average per criterion beside the team's.

Pure, like the evaluations workbook whose Evaluations and Answers sheets it reuses: the
supervisor hands it to the agent, so it holds only what the agent may read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from openpyxl.chart import BarChart, Reference

from qa_app.exports.rows import (
    AnswerRow,
    CriterionColumn,
    CriterionComparison,
    EvaluationRow,
    FeedbackOverview,
)
from qa_app.exports.sheets import (
    DATE,
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
from qa_app.exports.workbook import ANSWERS, CHART, EVALUATIONS, write_evaluations

OVERVIEW, CRITERIA = N_("Overview"), N_("Criteria")
# The sheets in the order written; the Exports page lists them from here.
FEEDBACK_SHEETS = (OVERVIEW, EVALUATIONS, ANSWERS, CRITERIA, CHART)

# The figures use the first two columns; the KPI table below them all six.
OVERVIEW_COLUMNS = [
    Column(N_("Figure"), 30),
    Column(N_("Value"), 22),
    *(Column("", 14) for _ in range(4)),
]
KPI_HEADERS = [
    N_("KPI"),
    N_("Agent"),
    N_("Team"),
    N_("Target"),
    N_("Better when"),
    N_("Attainment"),
]
CRITERIA_COLUMNS = [
    Column(N_("Criterion key"), 20),
    Column(N_("Criterion"), 30),
    Column(N_("Section"), 20),
    Column(N_("Average"), 10, PERCENT),
    Column(N_("n"), 6, WHOLE),
    Column(N_("Team average"), 12, PERCENT),
    Column(N_("Team n"), 8, WHOLE),
]
CRITERION_LABEL, AGENT_AVERAGE, TEAM_AVERAGE = 2, 4, 6  # B, D, F: the chart's data


def write_feedback_workbook(
    out: str | IO[bytes],
    *,
    scratch: Path,
    overview: FeedbackOverview,
    criteria: Sequence[CriterionColumn],
    evaluations: Iterable[tuple[EvaluationRow, Sequence[AnswerRow]]],
    comparisons: Sequence[CriterionComparison],
    description: str = "",
    language: SheetLanguage = SheetLanguage(),  # noqa: B008 - frozen: one shared default
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write the sheets of FEEDBACK_SHEETS to `out` in `language`; the number of data rows
    of each sheet that holds rows, by the sheet's English name. `progress` hears of each
    evaluation written."""
    translate = language.translate
    workbook = new_workbook(translate(N_("QA feedback")), description, scratch, language)
    try:
        overview_rows = write_overview(workbook, overview, translate)
        evaluation_sheet, answer_sheet = write_evaluations(
            workbook, criteria, evaluations, translate, progress
        )
        criteria_sheet = write_comparisons(workbook, comparisons, translate)
        chart_sheet(workbook, CHART, _criteria_chart(criteria_sheet, translate))
        save(workbook, out, FEEDBACK_SHEETS)
    except BaseException:
        discard(workbook)
        raise
    return {
        OVERVIEW: overview_rows,
        EVALUATIONS: evaluation_sheet.rows,
        ANSWERS: answer_sheet.rows,
        CRITERIA: criteria_sheet.rows,
    }


def write_overview(
    workbook: ExportWorkbook, overview: FeedbackOverview, translate: Translate
) -> int:
    """The agent's figures (label, value), then each KPI against team and target."""
    sheet = Sheet(workbook, OVERVIEW, translated(OVERVIEW_COLUMNS, translate), freeze=False)
    summary = overview.summary
    figures: list[tuple[str, object, str | None]] = [
        (N_("Agent"), overview.agent, None),
        (N_("Team"), overview.team, None),
        (N_("From"), overview.start, DATE),
        (N_("To"), overview.end, DATE),
        (N_("Evaluations"), summary.evaluations, WHOLE),
        (N_("QA average"), summary.qa_average, SCORE),
        (N_("QA n"), summary.qa_n, WHOLE),
        (N_("QA low (95% CI)"), summary.qa_low, SCORE),
        (N_("QA high (95% CI)"), summary.qa_high, SCORE),
        (N_("Pass rate"), summary.pass_rate, PERCENT),
        (N_("Critical failures"), summary.critical_failures, WHOLE),
        (N_("KPI index"), summary.kpi_index, SCORE),
        (N_("Composite"), summary.composite, SCORE),
        (N_("Composite flags"), summary.composite_flags or None, None),
    ]
    for label, value, number_format in figures:
        sheet.append([translate(label), value], [None, number_format])
    if summary.composite is None and summary.qa_n < overview.min_evaluations:
        sheet.append(
            [
                translate(N_("The composite needs at least this many scored evaluations")),
                overview.min_evaluations,
            ]
        )
    sheet.blank()
    sheet.header([translate(header) for header in KPI_HEADERS])
    for kpi in overview.kpis:
        sheet.append(
            [kpi.header, kpi.agent, kpi.team, kpi.target, kpi.better_when, kpi.attainment],
            [None, kpi.number_format, kpi.number_format, kpi.number_format, None, PERCENT],
        )
    return sheet.rows


def write_comparisons(
    workbook: ExportWorkbook, comparisons: Sequence[CriterionComparison], translate: Translate
) -> Sheet:
    """Each criterion's average for the agent beside the team's, weakest first."""
    sheet = Sheet(workbook, CRITERIA, translated(CRITERIA_COLUMNS, translate))
    for row in comparisons:
        sheet.append(
            [
                row.key,
                row.label,
                row.section,
                row.agent_mean,
                row.agent_n,
                row.team_mean,
                row.team_n,
            ]
        )
    sheet.filter()
    sheet.colour_scale(4, 4, 2, sheet.rows + 1)
    sheet.colour_scale(6, 6, 2, sheet.rows + 1)
    return sheet


def _criteria_chart(sheet: Sheet, translate: Translate) -> BarChart:
    """The Criteria sheet as bars: the agent's average per criterion beside the team's."""
    chart = BarChart()
    chart.type = "bar"  # horizontal: long criterion labels stay readable
    chart.title = translate(N_("Average per criterion, agent and team"))
    chart.x_axis.scaling.orientation = "maxMin"  # weakest criterion on top, as in the sheet
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.y_axis.number_format = "0%"
    # openpyxl 3.1 hides both axes unless told otherwise.
    chart.x_axis.delete = chart.y_axis.delete = False
    last = max(2, sheet.rows + 1)  # without criteria, one empty row: an empty chart
    for column in (AGENT_AVERAGE, TEAM_AVERAGE):
        values = Reference(sheet.worksheet, min_col=column, min_row=1, max_row=last)
        chart.add_data(values, titles_from_data=True)
    labels = Reference(sheet.worksheet, min_col=CRITERION_LABEL, min_row=2, max_row=last)
    chart.set_categories(labels)
    return chart
