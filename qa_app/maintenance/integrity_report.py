"""The integrity check's report: one row per mismatch the check found (what the CLI prints).

Pure: a report in, an .xlsx out. Every text cell goes through the sheets' safe-cell writing
(qa_app.exports.formula_injection), so a stored value that starts like a formula stays text.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from qa_app.exports.sheets import (
    N_,
    WHOLE,
    Column,
    Sheet,
    SheetLanguage,
    discard,
    new_workbook,
    save,
    translated,
)
from qa_app.maintenance.integrity import IntegrityReport

MISMATCHES = N_("Mismatches")
REPORT_SHEETS = (MISMATCHES,)
COLUMNS = [
    Column(N_("Evaluation"), 12, WHOLE),
    Column(N_("What"), 40),
    Column(N_("Stored"), 24),
    Column(N_("Recomputed"), 24),
]


def cell_value(value: object) -> object:
    """A stored or recomputed value as a cell holds it: numbers as numbers, the rest as the
    command line prints it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return repr(value)


def write_integrity_report(
    out: IO[bytes],
    report: IntegrityReport,
    *,
    scratch: Path,
    description: str = "",
    language: SheetLanguage = SheetLanguage(),  # noqa: B008 - frozen: one shared default
) -> int:
    """Write the Mismatches sheet (the first `report.limit` of them) to `out` in `language`;
    the number of rows written."""
    translate = language.translate
    workbook = new_workbook(translate(N_("QA integrity check")), description, scratch, language)
    try:
        sheet = Sheet(workbook, MISMATCHES, translated(COLUMNS, translate))
        for mismatch in report.first:
            sheet.append(
                [
                    mismatch.evaluation_id,
                    mismatch.field,
                    cell_value(mismatch.stored),
                    cell_value(mismatch.recomputed),
                ]
            )
        sheet.filter()
        save(workbook, out, REPORT_SHEETS)
    except BaseException:
        discard(workbook)
        raise
    return sheet.rows
