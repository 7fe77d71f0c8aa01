"""Text cells that stay text: no formula injection, no characters Excel refuses.

A cell whose text starts with `=`, `+`, `-` or `@` (or a tab or line break before one) is
run as a formula by a spreadsheet as soon as someone edits it: `=HYPERLINK(…)` or
`=cmd|'/c calc'!A1` in a comment would become live. The exports write such text exactly as
it was typed, as a string cell (never a formula cell), with Excel's "quote prefix" style:
the cell shows the text without an apostrophe, and a spreadsheet that edits it keeps it
text. (A copied apostrophe, OWASP's advice for CSV, would change what the reader sees.)
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


def cell_text(value: str) -> str:
    """User-entered text as a cell can hold it: control characters openpyxl refuses become
    U+FFFD, and text beyond Excel's limit for one cell is cut with an ellipsis."""
    text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value)
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text


def needs_quote_prefix(text: str) -> bool:
    """Whether a spreadsheet would read `text`, typed into a cell, as a formula (or as an
    Excel error value such as `#N/A`): such a cell gets the quote-prefix style."""
    return (
        text.startswith(UNSAFE_STARTS)
        or text.lstrip().startswith(FORMULA_TRIGGERS)  # " =1+1", "\n=1+1"
        or text in ERROR_CODES
    )
