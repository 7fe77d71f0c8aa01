"""The Training sheet: every plan active in the exported period, one row per item (the rows
come from `queries.training_rows`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from qa_app.exports.rows import TrainingRow
from qa_app.exports.sheets import (
    DATE,
    DATE_TIME,
    N_,
    WHOLE,
    Column,
    ExportWorkbook,
    Sheet,
    Translate,
    translated,
)

TRAINING = N_("Training")
TRAINING_COLUMNS = [
    Column(N_("Plan id"), 8, WHOLE),
    Column(N_("Agent"), 24),
    Column(N_("Team"), 18),
    Column(N_("Plan status"), 12),
    Column(N_("Created"), 17, DATE_TIME),
    Column(N_("Issued"), 17, DATE_TIME),
    Column(N_("Acknowledged"), 17, DATE_TIME),
    Column(N_("Closed"), 17, DATE_TIME),
    Column(N_("Item"), 6, WHOLE),
    Column(N_("Module"), 28),
    Column(N_("Skill"), 16),
    Column(N_("Focus area"), 24),
    Column(N_("Reason"), 48),
    Column(N_("Due on"), 11, DATE),
    Column(N_("Item status"), 12),
    Column(N_("Completed"), 17, DATE_TIME),
    Column(N_("Overdue"), 9),
]


def write_training(
    workbook: ExportWorkbook, rows: Iterable[TrainingRow], today: date, translate: Translate
) -> int:
    """The Training sheet (statuses named in the workbook's language); its number of data
    rows."""
    sheet = Sheet(workbook, TRAINING, translated(TRAINING_COLUMNS, translate))
    label = workbook.language.label
    for row in rows:
        item_status = None if row.item_status is None else label(row.item_status)
        sheet.append(
            [
                row.plan_id, row.agent, row.team, label(row.plan_status), row.created_at,
                row.issued_at, row.acknowledged_at, row.closed_at, row.position, row.module,
                row.skill, row.focus, row.reason, row.due_on, item_status,
                row.completed_at, row.overdue(today),
            ]
        )  # fmt: skip
    sheet.filter()
    return sheet.rows
