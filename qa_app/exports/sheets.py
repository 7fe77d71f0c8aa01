"""Write-only sheets: a styled, frozen, filtered header row, then typed cells; every sheet
set up to print (landscape, one page wide, the header row on every page).

openpyxl's write-only mode writes each row to a temporary file as it is appended, so memory
stays flat however many rows there are; the price is that everything at the top of a sheet
(column widths, frozen panes) must be set before the first row. Those files go into the
export's private directory (qa_app.exports.scratch), never the shared temporary directory.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart._chart import ChartBase
from openpyxl.chartsheet import Chartsheet
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet import _writer as openpyxl_writer
from openpyxl.worksheet.header_footer import HeaderFooter, HeaderFooterItem
from openpyxl.worksheet.page import PrintPageSetup
from openpyxl.xml.functions import Element, SubElement

from qa_app.exports.formula_injection import cell_text, needs_quote_prefix

# Re-exported for the writers, which take everything a sheet needs from here.
from qa_app.exports.sheet_language import DATE as DATE
from qa_app.exports.sheet_language import DATE_TIME as DATE_TIME
from qa_app.exports.sheet_language import SheetLanguage as SheetLanguage
from qa_app.exports.sheet_language import Translate as Translate

PERCENT = "0.0%"
SCORE = "0.0"
WHOLE = "0"
DECIMAL = "0.00"
# A duration as Excel keeps one, in days, shown as minutes and seconds ("4:43"); the
# brackets let the minutes run past 59 instead of wrapping round the hour.
DURATION = "[m]:ss"
SECONDS_PER_DAY = 86_400

# Dates and times given without a column format, as openpyxl would show them.
_DEFAULT_FORMATS = {datetime: "yyyy-mm-dd h:mm:ss", date: DATE, time: "h:mm:ss"}
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill(fill_type="solid", start_color="305496", end_color="305496")
HEADER_ALIGNMENT = Alignment(vertical="top", wrap_text=True)
HEADER = "header"  # the header cells' style, in place of a number format
# Printed: the sheet's name, and "page / pages", at the foot of every page.
FOOTER = "&A — &P / &N"
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
    """One write-only worksheet with a header row; counts the data rows appended. `title`
    is the sheet's English name, written in the workbook's language.

    Rows go to the sheet's XML stream as elements built here, without one openpyxl cell
    object per value (three quarters of an export's time went there): text as inline
    strings exactly as typed (those a spreadsheet would read as a formula with the
    quote-prefix style), numbers and dates with their column's number format; each style is
    registered with the workbook once.
    """

    def __init__(
        self,
        workbook: ExportWorkbook,
        title: str,
        columns: Sequence[Column],
        *,
        freeze: bool = True,
    ) -> None:
        self.worksheet = workbook.create_sheet(workbook.language.sheet_title(title))
        self.columns = list(columns)
        self.rows = 0
        self._number = 0  # the last row written, header and blank rows included
        self._styles: dict[tuple[str | None, bool], str] = {}
        self._formats = [column.number_format for column in self.columns]
        self._column_letters: list[str] = []
        self._epoch = workbook.epoch
        self._language = workbook.language
        for index, column in enumerate(self.columns, 1):
            self.worksheet.column_dimensions[get_column_letter(index)].width = column.width
        if freeze:
            self.worksheet.freeze_panes = "A2"
        print_setup(self.worksheet)
        self._stream = _sheet_data(self.worksheet, workbook.scratch)
        self.header([column.header for column in self.columns])

    def header(self, texts: Sequence[str]) -> None:
        """A row of header cells: bold white on blue (an empty text leaves the cell empty)."""
        row, number = self._row()
        letters = self._letters(len(texts))
        for index, text in enumerate(texts):
            if text:
                self._text(row, letters[index] + number, text, HEADER)
        self._stream.send(row)

    def append(self, values: Sequence[Any], formats: Sequence[str | None] = ()) -> None:
        """A data row: text neutralised, numbers and dates in their column's number format
        (or in `formats`, cell by cell)."""
        formats = formats or self._formats
        row, number = self._row()
        letters = self._letters(len(values))
        for index, value in enumerate(values):
            if value is None:
                continue
            ref = letters[index] + number
            if isinstance(value, str):  # also a StrEnum such as a status
                self._text(row, ref, str(value))
                continue
            number_format = formats[index] if index < len(formats) else None
            if isinstance(value, bool):
                self._value(row, ref, "1" if value else "0", None, "b")
            elif isinstance(value, int):
                self._value(row, ref, str(int(value)), number_format)
            elif isinstance(value, float | Decimal):
                if math.isfinite(value):
                    self._value(row, ref, f"{value:.16g}", number_format)
            elif isinstance(value, datetime | date | time):
                if getattr(value, "tzinfo", None) is not None:
                    raise TypeError("Excel has no time zones: give local, naive times")
                number_format = number_format or _DEFAULT_FORMATS[type(value)]
                self._value(row, ref, f"{to_excel(value, self._epoch):.16g}", number_format)
            else:
                raise TypeError(f"cannot write {type(value).__name__} to a sheet")
        self._stream.send(row)
        self.rows += 1

    def blank(self) -> None:
        """An empty row between two blocks."""
        self._stream.send(self._row()[0])

    def _row(self) -> tuple[Any, str]:
        self._number += 1
        number = str(self._number)
        return Element("row", {"r": number}), number

    def _letters(self, count: int) -> list[str]:
        while len(self._column_letters) < count:
            self._column_letters.append(get_column_letter(len(self._column_letters) + 1))
        return self._column_letters

    def _text(self, row: Any, ref: str, value: str, style: str | None = None) -> None:
        """A string cell (never a formula), quote-prefixed where it reads like one."""
        text = cell_text(value)
        quoted = needs_quote_prefix(text)
        cell = SubElement(row, "c", {"r": ref, "t": "inlineStr"})
        if quoted or style is not None:
            cell.set("s", self._style_id(style, quoted=quoted))
        element = SubElement(SubElement(cell, "is"), "t")
        if text != text.strip():
            element.set(XML_SPACE, "preserve")
        element.text = text

    def _value(
        self, row: Any, ref: str, text: str, number_format: str | None, kind: str = "n"
    ) -> None:
        if number_format is None:
            attributes = {"r": ref, "t": kind}
        else:
            attributes = {"r": ref, "t": kind, "s": self._style_id(number_format)}
        SubElement(SubElement(row, "c", attributes), "v").text = text

    def _style_id(self, number_format: str | None, *, quoted: bool = False) -> str:
        """The workbook's style index for a number format (HEADER: the header style; DATE
        and DATE_TIME: the language's own), with the quote prefix that keeps text text or
        without."""
        number_format = self._language.number_format(number_format)
        key = (number_format, quoted)
        if key not in self._styles:
            cell = WriteOnlyCell(self.worksheet)
            if number_format == HEADER:
                cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
            elif number_format is not None:
                cell.number_format = number_format
            if quoted:
                cell.quotePrefix = True
            self._styles[key] = str(cell.style_id)
        return self._styles[key]

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


def print_setup(worksheet: Any) -> None:
    """Landscape, as many pages down as it takes but one page wide, with the header row on
    every page and the sheet's name and page number at the foot."""
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0  # as many as it takes
    worksheet.print_title_rows = "1:1"
    worksheet.HeaderFooter = _footer()


def chart_sheet(workbook: ExportWorkbook, title: str, chart: ChartBase) -> Chartsheet:
    """A sheet holding only `chart`, which prints it whole on one landscape page (`title`:
    its English name, written in the workbook's language).

    It must come after every worksheet: openpyxl numbers each worksheet's print titles and
    filter by its place among the worksheets alone, which is its place in the file only
    while no chart sheet comes before it.
    """
    sheet = workbook.create_chartsheet(workbook.language.sheet_title(title))
    sheet.pageSetup = PrintPageSetup(orientation="landscape")
    sheet.headerFooter = _footer()
    sheet.add_chart(chart)
    return sheet


def _footer() -> HeaderFooter:
    footer = HeaderFooterItem()
    footer.center.text = FOOTER
    return HeaderFooter(oddFooter=footer)


def _sheet_data(worksheet: Any, directory: Path) -> Generator[None, Any, None]:
    """The sheet's <sheetData>: send it <row> elements; closing the sheet ends it.

    It takes the place of openpyxl's own row stream (`WriteOnlyWorksheet._write_rows`, which
    turns every value into a cell object first) under the same protocol, so the sheet's
    close() ends it as it would end openpyxl's. Its writer keeps the rows in a file in
    `directory`, where openpyxl's own writer would use the shared temporary directory.
    """
    handle, path = tempfile.mkstemp(prefix="sheet-", suffix=".xml", dir=directory)
    os.close(handle)
    # openpyxl's writer deletes its file once zipped and forgets it in this list.
    openpyxl_writer.ALL_TEMP_FILES.append(path)
    worksheet._writer = openpyxl_writer.WorksheetWriter(worksheet, out=path)
    worksheet._writer.write_top()
    stream = worksheet._writer.xf
    worksheet._rows = _rows_into(stream)
    next(worksheet._rows)
    return worksheet._rows


def _rows_into(stream: Any) -> Generator[None, Any, None]:
    xf = stream.send(True)
    with xf.element("sheetData"), contextlib.suppress(GeneratorExit):
        while True:
            xf.write((yield))
    stream.send(None)


class ExportWorkbook(Workbook):
    """A write-only workbook whose sheets keep their rows in files in `scratch`, written in
    `language` (sheet names, date formats)."""

    def __init__(self, scratch: Path, language: SheetLanguage | None = None) -> None:
        super().__init__(write_only=True)
        self.scratch = scratch
        self.language = language or SheetLanguage()


def new_workbook(
    title: str, description: str, scratch: Path, language: SheetLanguage | None = None
) -> ExportWorkbook:
    """An empty write-only workbook in `language` with its document properties."""
    workbook = ExportWorkbook(scratch, language)
    workbook.properties.title = cell_text(title)
    workbook.properties.description = cell_text(description)
    workbook.properties.creator = "QA Coach"
    return workbook


def save(workbook: ExportWorkbook, out: str | IO[bytes], sheets: Sequence[str]) -> None:
    """Zip the sheets into `out` (a path or a binary file); on failure, leave no temp files.

    `sheets` names the sheets the workbook must hold, in order and in English: the list the
    Exports page shows (in the reader's language), so that a change to the writer that the
    page does not know of fails here, as does a language whose names of two sheets are one.
    """
    try:
        expected = workbook.language.sheet_titles(sheets)
        if workbook.sheetnames != expected:
            raise RuntimeError(f"wrote the sheets {workbook.sheetnames}, not {expected}")
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
