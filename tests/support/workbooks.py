"""Reading an exported workbook back as a spreadsheet would: text that stays text, and how
every sheet prints.

The rules are written out here again rather than imported from the exports, so that a
mistake in the writer's own idea of "reads like a formula" cannot hide itself.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import openpyxl
from lxml import etree
from openpyxl.cell.cell import Cell

# What makes a spreadsheet start a formula (with full-width forms), and the starts OWASP adds.
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
UNSAFE_STARTS = (*FORMULA_STARTS, "\t", "\r", "\n")
ERROR_VALUES = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}
# The characters XML 1.0 (and so openpyxl) cannot hold.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def reads_as_formula(text: str) -> bool:
    """Whether a spreadsheet would take `text`, typed into a cell, for a formula or an error
    value."""
    return (
        text.startswith(UNSAFE_STARTS)
        or text.lstrip().startswith(FORMULA_STARTS)
        or text in ERROR_VALUES
    )


@dataclass
class TextCells:
    """A workbook read back, with the text cells that carry the quote-prefix style."""

    book: openpyxl.Workbook
    quoted: list[Cell]


def check_text_cells(data: bytes) -> TextCells:
    """No formula anywhere (neither a formula cell nor an <f> element in any sheet's XML);
    every text a string cell free of control characters; every text that reads like a
    formula quote-prefixed, so that editing it in a spreadsheet keeps it text."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    sheets = [
        name for name in archive.namelist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name)
    ]
    assert sheets
    for name in sheets:
        tree = etree.fromstring(archive.read(name))
        assert tree.findall(f".//{MAIN}f") == [], name  # no formula element at all
        for cell in tree.iter(f"{MAIN}c"):
            assert cell.get("t") in {None, "n", "b", "inlineStr"}, (name, cell.get("r"))
    book = openpyxl.load_workbook(io.BytesIO(data))
    quoted = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                where = (sheet.title, cell.coordinate, cell.value)
                assert cell.data_type != "f", where
                if not isinstance(cell.value, str):
                    continue
                assert cell.data_type == "s", where
                assert not CONTROL.search(cell.value), where
                if reads_as_formula(cell.value):
                    assert cell.quotePrefix, where
                    quoted.append(cell)
    return TextCells(book, quoted)


def check_print_setup(book: openpyxl.Workbook) -> None:
    """Every sheet prints landscape, one page wide, with its header row on every page; each
    chart sheet holds one chart and prints landscape."""
    for sheet in book.worksheets:
        where = sheet.title
        assert sheet.page_setup.orientation == "landscape", where
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, where
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0), where
        assert sheet.print_title_rows == "$1:$1", where
        assert "&P" in (sheet.oddFooter.center.text or ""), where  # page numbers at the foot
    for chartsheet in book.chartsheets:
        assert chartsheet.pageSetup.orientation == "landscape", chartsheet.title
        assert len(chartsheet._charts) == 1, chartsheet.title
