"""Write-only sheets: a styled, frozen, filtered header row, then typed cells.

openpyxl's write-only mode writes each row to a temporary file as it is appended, so memory
stays flat however many rows there are; the price is that everything at the top of a sheet
(column widths, frozen panes) must be set before the first row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qa_app.exports.formula_injection import safe_text

Translate = Callable[[str], str]

PERCENT = "0.0%"
SCORE = "0.0"
WHOLE = "0"
DECIMAL = "0.00"
SECONDS = '0" s"'
DATE = "yyyy-mm-dd"
DATE_TIME = "yyyy-mm-dd hh:mm"

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill(fill_type="solid", start_color="305496", end_color="305496")
HEADER_ALIGNMENT = Alignment(vertical="top", wrap_text=True)
# Red at 0, amber at the 80% a training plan treats as a focus area, green at 100%.
RED_AMBER_GREEN = ColorScaleRule(
    start_type="num",
    start_value=0,
    start_color="F8696B",
    mid_type="num",
    mid_value=0.8,
    mid_color="FFEB84",
    end_type="num",
    end_value=1,
    end_color="63BE7B",
)


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark a header for the message catalogue; it is translated when the sheet is written."""
    return text


@dataclass(frozen=True)
class Column:
    """A column: its header, width in characters, and number format for its values."""

    header: str
    width: float = 12
    number_format: str | None = None


def translated(columns: Sequence[Column], translate: Translate) -> list[Column]:
    """The columns with their headers in the user's language (gettext("") is no header)."""
    return [
        replace(column, header=translate(column.header) if column.header else "")
        for column in columns
    ]


class Sheet:
    """One write-only worksheet with a header row; counts the data rows appended."""

    def __init__(
        self, workbook: Workbook, title: str, columns: Sequence[Column], *, freeze: bool = True
    ) -> None:
        self.worksheet = workbook.create_sheet(title)
        self.columns = list(columns)
        self.rows = 0
        for index, column in enumerate(self.columns, 1):
            self.worksheet.column_dimensions[get_column_letter(index)].width = column.width
        if freeze:
            self.worksheet.freeze_panes = "A2"
        self.header([column.header for column in self.columns])

    def header(self, texts: Sequence[str]) -> None:
        """A row of header cells: bold white on blue (an empty text leaves the cell empty)."""
        cells: list[WriteOnlyCell | None] = []
        for text in texts:
            if not text:
                cells.append(None)
                continue
            cell = WriteOnlyCell(self.worksheet, safe_text(text))
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
            cells.append(cell)
        self.worksheet.append(cells)

    def append(self, values: Sequence[Any], formats: Sequence[str | None] = ()) -> None:
        """A data row: text neutralised, numbers and dates in their column's number format
        (or in `formats`, cell by cell)."""
        formats = list(formats) or [column.number_format for column in self.columns]
        formats += [None] * (len(values) - len(formats))  # a row may be shorter, never cut
        cells = [self._cell(value, fmt) for value, fmt in zip(values, formats, strict=False)]
        self.worksheet.append(cells)
        self.rows += 1

    def blank(self) -> None:
        """An empty row between two blocks."""
        self.worksheet.append([])

    def _cell(self, value: Any, number_format: str | None) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return safe_text(value)
        if number_format is None or isinstance(value, bool):
            return value
        cell = WriteOnlyCell(self.worksheet, value)
        cell.number_format = number_format
        return cell

    def filter(self, rows: int | None = None) -> None:
        """Filter buttons on the header, over the first `rows` data rows (default: all)."""
        last_row = 1 + (self.rows if rows is None else rows)
        self.worksheet.auto_filter.ref = f"A1:{get_column_letter(len(self.columns))}{last_row}"

    def colour_scale(
        self, first_column: int, last_column: int, first_row: int, last_row: int
    ) -> None:
        """Colour a block of shares (0..1) from red through amber to green."""
        if last_column < first_column or last_row < first_row:
            return
        cells = (
            f"{get_column_letter(first_column)}{first_row}:"
            f"{get_column_letter(last_column)}{last_row}"
        )
        self.worksheet.conditional_formatting.add(cells, RED_AMBER_GREEN)


def new_workbook(title: str, description: str) -> Workbook:
    """An empty write-only workbook with its document properties."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = safe_text(title)
    workbook.properties.description = safe_text(description)
    workbook.properties.creator = "QA Coach"
    return workbook


def save(workbook: Workbook, out: str | IO[bytes]) -> None:
    """Zip the sheets into `out` (a path or a binary file); on failure, leave no temp files."""
    try:
        workbook.save(out)
    finally:
        discard(workbook)


def discard(workbook: Workbook) -> None:
    """Delete the temporary files in which write-only sheets keep their rows.

    openpyxl deletes them when it saves; after an error before that they would stay until
    the process ends, which for a web worker is days.
    """
    for worksheet in workbook.worksheets:
        writer = getattr(worksheet, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            if not worksheet.closed:
                worksheet.close()
        with contextlib.suppress(OSError, ValueError):
            writer.cleanup()
