"""Text cells that stay text: no formula injection, no characters Excel refuses.

A cell whose text starts with `=`, `+`, `-` or `@` (or a tab or line break before one) is
run as a formula by a spreadsheet as soon as someone edits it, or opens a CSV copy of the
sheet: `=HYPERLINK(…)` or `=cmd|'/c calc'!A1` in a comment would become live. Such text gets
a leading apostrophe, as OWASP advises for CSV injection; unlike Excel's hidden "quote
prefix" style, the apostrophe stays with the value when it is copied into CSV or loaded
into another tool.
"""

from __future__ import annotations

from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

# What a spreadsheet reads as the start of a formula, with their full-width forms (which
# some spreadsheet applications accept as well).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# OWASP's list adds tab and carriage return: a CSV reader may split the cell there.
UNSAFE_STARTS = (*FORMULA_TRIGGERS, "\t", "\r")
# Excel refuses to open a file with more characters than this in one cell.
MAX_CELL_TEXT = 32_767
REPLACEMENT = "\ufffd"


def safe_text(value: str) -> str:
    """User-entered text as a cell value that no spreadsheet turns into a formula.

    Control characters openpyxl refuses become U+FFFD, text that could start a formula (or
    reads like an Excel error code such as `#N/A`) gets a leading apostrophe, and text
    beyond Excel's limit for one cell is cut with an ellipsis.
    """
    text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value)
    if (
        text.startswith(UNSAFE_STARTS)
        or text.lstrip().startswith(FORMULA_TRIGGERS)  # " =1+1", "\n=1+1"
        or text in ERROR_CODES
    ):
        text = "'" + text
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text
