"""The audit trail workbook: one row per recorded change, its changes as readable lines.

Pure: rows in, an .xlsx out (write-only, so memory stays flat). Every text cell goes through
the sheets' safe-cell writing (qa_app.exports.formula_injection), so a name or a comment
that starts like a formula stays text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from qa_app.exports.sheets import (
    DATE_TIME,
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

AUDIT_TRAIL = N_("Audit trail")
AUDIT_SHEETS = (AUDIT_TRAIL,)
COLUMNS = [
    Column(N_("When"), 17, DATE_TIME),
    Column(N_("Person"), 24),
    Column(N_("Action"), 30),
    Column(N_("Record"), 18),
    Column(N_("Record id"), 10, WHOLE),
    Column(N_("Changes"), 80),
    Column(N_("Address"), 16),
]


@dataclass(frozen=True)
class AuditSheetRow:
    """One event as the sheet holds it (the time local and without a zone)."""

    occurred_at: datetime
    person: str
    action: str
    record: str
    record_id: int | None
    changes: str
    ip_address: str | None


def write_audit_workbook(
    out: str | IO[bytes],
    rows: Iterable[AuditSheetRow],
    *,
    scratch: Path,
    description: str = "",
    language: SheetLanguage = SheetLanguage(),  # noqa: B008 - frozen: one shared default
) -> dict[str, int]:
    """Write the Audit trail sheet to `out` in `language`; the number of data rows."""
    translate = language.translate
    workbook = new_workbook(translate(N_("QA audit trail")), description, scratch, language)
    try:
        sheet = Sheet(workbook, AUDIT_TRAIL, translated(COLUMNS, translate))
        for row in rows:
            sheet.append(
                [
                    row.occurred_at,
                    row.person,
                    row.action,
                    row.record,
                    row.record_id,
                    row.changes,
                    row.ip_address,
                ]
            )
        sheet.filter()
        save(workbook, out, AUDIT_SHEETS)
    except BaseException:
        discard(workbook)
        raise
    return {AUDIT_TRAIL: sheet.rows}
