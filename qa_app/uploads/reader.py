"""Read the CSV and XLSX files that phone and ticket systems export (cells: qa_app.uploads.cells).

Pure (no database, no request) so the interaction import and the per-agent statistics
import share one reader. Every failure is a TableError listing Problems a user can act on
(which row, which column, why), never a traceback. Reasons go through Flask-Babel's gettext
in the language of whoever reads them (the request's, the CLI's QA_DEFAULT_LOCALE); outside
an app they stay English.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
import warnings
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

import openpyxl
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from qa_app.errors import RuleError
from qa_app.uploads.counts import count_text
from qa_app.uploads.units import header_without_unit
from qa_app.uploads.xlsx_safety import (
    EXCEL_MAX_COLUMNS,
    MACROS,
    MAX_CELLS,
    OLE_MAGIC,
    TOO_MANY_CELLS,
    UNREADABLE_XLSX,
    ZIP_MAGIC,
    check_workbook,
)

MAX_CELL_CHARS = 10_000
EXCEL_MAX_ROWS = 1_048_576
SHOWN_PROBLEMS = 20  # in the message of a TableError
MAX_PROBLEMS = 200  # kept of a file's problems; the rest are only counted
GROUPED_ROWS_SHOWN = 10  # rows listed in a problem told once for many rows
# C0 control characters other than tab, line feed and carriage return: no export holds
# them (openpyxl refuses them), and in an upload they are damage or binary data. NUL too:
# dropping it would read "1<NUL>0" as 10.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# In text decoded with errors="surrogateescape": a byte that is not UTF-8, and a correctly
# encoded character beyond ASCII.
NOT_UTF8 = re.compile("[\udc80-\udcff]")
UTF8_CHARACTER = re.compile("[^\x00-\x7f\udc80-\udcff]")
# Files people upload by mistake, recognised by their first bytes.
BINARY_SIGNATURES = {
    b"\x89PNG": _l("this is a PNG image, not a CSV file"),
    b"\xff\xd8\xff": _l("this is a JPEG image, not a CSV file"),
    b"GIF8": _l("this is a GIF image, not a CSV file"),
    b"%PDF": _l("this is a PDF document, not a CSV file"),
    b"\x1f\x8b": _l("this is a gzip archive, not a CSV file"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded file; row None means the file as a whole."""

    row: int | None
    column: str | None
    value: str | None
    reason: str

    @classmethod
    def at(cls, row: int | None, column: str | None, value: object, reason: str) -> Problem:
        """A problem with one cell, its value shortened so messages stay readable."""
        text = None if value is None else " ".join(str(value).split())
        if text is not None:
            text = CONTROL_CHARACTERS.sub("\ufffd", text)
        if text is not None and len(text) > 60:
            text = text[:59] + "…"
        return cls(row, column, text, reason)

    def __str__(self) -> str:
        """The problem as one sentence, row, column and value placed as the reader's
        language places them (translated when shown, not when found)."""
        row, column, value = self.row is not None, self.column is not None, self.value is not None
        parts = {"row": self.row, "column": self.column, "value": self.value}
        reason = str(self.reason)
        if row and column and value:
            return _(
                'row %(row)s, column "%(column)s" ("%(value)s"): %(reason)s', **parts, reason=reason
            )
        if row and column:
            return _('row %(row)s, column "%(column)s": %(reason)s', **parts, reason=reason)
        if row and value:
            return _('row %(row)s ("%(value)s"): %(reason)s', **parts, reason=reason)
        if row:
            return _("row %(row)s: %(reason)s", **parts, reason=reason)
        if column and value:
            return _('column "%(column)s" ("%(value)s"): %(reason)s', **parts, reason=reason)
        if column:
            return _('column "%(column)s": %(reason)s', **parts, reason=reason)
        if value:
            return _('("%(value)s"): %(reason)s', **parts, reason=reason)
        return reason


class Problems(list[Problem]):
    """The problems of one file as its rows are checked: the first `limit` kept, every one
    counted in `total`. A file of 80,000 bad rows is told in its first problems and a count,
    in bounded memory, and no check ever looks back over a growing list.

    Problems in the column `grouped` (the agent's) are told once per value and reason: the
    first row's problem stands for all, and `settle()` adds the other rows to it ("rows 2,
    5, 9, … (14 rows)"); the group counts as one problem."""

    def __init__(
        self, limit: int = MAX_PROBLEMS, *, grouped: str | None = None, unit: str = "row"
    ) -> None:
        super().__init__()
        self.limit = limit
        self.total = 0
        self.grouped = grouped
        self.unit = unit
        # (value, reason) → [index in the list or -1, row numbers (the first few), count]
        self._groups: dict[tuple[str | None, str], list[Any]] = {}

    def append(self, problem: Problem) -> None:
        """Count `problem`; keep it while fewer than `limit` are kept."""
        if self.grouped is not None and problem.column == self.grouped:
            group = self._groups.get((problem.value, problem.reason))
            if group is not None:
                group[2] += 1
                if len(group[1]) < GROUPED_ROWS_SHOWN and problem.row is not None:
                    group[1].append(problem.row)
                return
            kept = len(self) if len(self) < self.limit else -1
            rows = [] if problem.row is None else [problem.row]
            self._groups[(problem.value, problem.reason)] = [kept, rows, 1]
        self.total += 1
        if len(self) < self.limit:
            super().append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        """`append` each of `problems`."""
        for problem in problems:
            self.append(problem)

    def settle(self) -> None:
        """Write the rows of each group into its kept problem (once the rows are checked)."""
        for index, rows, count in self._groups.values():
            if index < 0 or count < 2:
                continue
            problem = self[index]
            listed = ", ".join(str(row) for row in rows) + (", …" if count > len(rows) else "")
            reason = self._grouped_reason(problem.reason, listed, count)
            self[index] = Problem(problem.row, problem.column, problem.value, reason)
        self._groups.clear()

    def _grouped_reason(self, reason: str, listed: str, count: int) -> str:
        """A reason told once for `count` rows (or items), `listed` naming the first few."""
        if self.unit == "item":
            return ngettext(
                "%(reason)s: items %(listed)s (%(num)d item)",
                "%(reason)s: items %(listed)s (%(num)d items)",
                count,
                reason=reason,
                listed=listed,
            )
        return ngettext(
            "%(reason)s: rows %(listed)s (%(num)d row)",
            "%(reason)s: rows %(listed)s (%(num)d rows)",
            count,
            reason=reason,
            listed=listed,
        )


class TableError(RuleError, ValueError):
    """A file that cannot be imported: `problems` lists the first MAX_PROBLEMS reasons found,
    `total` counts them all."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        if isinstance(problems, Problems):
            problems.settle()
        self.problems = Problems()
        self.problems.extend(problems)
        if isinstance(problems, Problems):  # counted beyond those it kept
            self.problems.total = max(self.problems.total, problems.total)
        self.total = self.problems.total
        lines = [str(problem) for problem in self.problems[:SHOWN_PROBLEMS]]
        if self.total > SHOWN_PROBLEMS:
            more = self.total - SHOWN_PROBLEMS
            lines.append(
                ngettext("… and %(num)d more problem", "… and %(num)d more problems", more)
            )
        super().__init__("; ".join(lines))


@dataclass
class Table:
    """Header names and data rows as (row number the user sees, values in header order);
    `encoding` names the text encoding a CSV file was read in (None for a workbook)."""

    headers: list[str]
    rows: list[tuple[int, list[object]]]
    encoding: str | None = None
    titles: list[str] = field(default_factory=list)  # as TableStream.titles


@dataclass
class TableStream:
    """Header names and data rows given one at a time. The problems of the rows read so far
    (stray values, control characters) are in `problems`; `finish()` raises them, or says
    the file had no data rows, once the rows are read."""

    headers: list[str]
    rows: Iterator[tuple[int, list[object]]]
    problems: list[Problem]
    count: int = 0  # data rows given so far
    encoding: str | None = None  # as Table.encoding
    # The non-empty lines above the header row (report title, "Date: 12/11/2026"), each
    # as its non-blank cells joined by a blank.
    titles: list[str] = field(default_factory=list)

    def finish(self) -> None:
        """Raise TableError for what was wrong in the rows read, or when there were none."""
        if self.problems:
            raise TableError(self.problems)
        if not self.count:
            _fail(_("the file has a header row but no data rows"))


def longer_than(limit: int) -> str:
    """The reason a text over `limit` characters is refused, in the reader's language."""
    return ngettext("longer than %(num)d character", "longer than %(num)d characters", limit)


def _fail(reason: object) -> NoReturn:
    """Raise a file-level TableError (a lazy reason is told in the reader's language now)."""
    raise TableError([Problem(None, None, None, str(reason))])


def _bytes(n: int) -> str:
    """A count of bytes in words."""
    return ngettext("%(count)s byte", "%(count)s bytes", n, count=count_text(n))


def _size(n: int) -> str:
    """Bytes in words a user can compare."""
    if n >= 1024 * 1024:
        return _("%(size)s MB", size=count_text(n / (1024 * 1024), "#,##0.0"))
    if n >= 1024:
        return _("%(size)s KB", size=count_text(n / 1024, "#,##0.0"))
    return _bytes(n)


def read_table(
    data: bytes,
    filename: str,
    *,
    max_bytes: int,
    max_rows: int,
    sheet: str | None = None,
    header_names: Collection[str] | None = None,
) -> Table:
    """Read an uploaded CSV/TXT/TSV or XLSX file (by extension) into a Table."""
    stream = stream_table(
        data,
        filename,
        max_bytes=max_bytes,
        max_rows=max_rows,
        sheet=sheet,
        header_names=header_names,
    )
    rows = list(stream.rows)
    stream.finish()
    return Table(stream.headers, rows, stream.encoding, stream.titles)


def stream_table(
    data: bytes,
    filename: str,
    *,
    max_bytes: int,
    max_rows: int,
    sheet: str | None = None,
    header_names: Collection[str] | None = None,
) -> TableStream:
    """`read_table`, giving the rows of a CSV file one at a time as they are read (a
    workbook's are read first). Call `finish()` after the last row.

    The header row is the first non-empty row, or with `header_names` (normalised, see
    `normalise_header`) the first of the first HEADER_SEARCH non-empty rows that names at
    least two of them: the lines above it are titles (`titles`), and rows whose first cell
    says they are totals ("Total", "Summe", "Razem", …) are skipped. Rows keep the numbers
    the user sees in the file."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in ("xlsm", "xltm"):
        _fail(MACROS)
    if extension == "xls":
        _fail(
            _("unsupported file type; upload CSV or XLSX (save .xls files as .xlsx in Excel first)")
        )
    if extension not in ("csv", "txt", "tsv", "xlsx"):
        _fail(_("unsupported file type; upload CSV or XLSX"))
    if len(data) > max_bytes:
        size, limit = _size(len(data)), _size(max_bytes)
        if size == limit:  # "2.0 KB; the limit is 2.0 KB" would puzzle anyone
            size, limit = _bytes(len(data)), _bytes(max_bytes)
        _fail(_("the file is %(size)s; the limit is %(limit)s", size=size, limit=limit))
    if not data:
        _fail(_("the file is empty"))
    finder = _HeaderFinder(header_names)
    if extension == "xlsx":
        table = _read_xlsx(data, max_rows, sheet, finder)
        return TableStream(
            table.headers, iter(table.rows), [], len(table.rows), titles=table.titles
        )
    return _stream_csv(data, max_rows, finder)


# The first cell of a totals or summary row, as vendors write it (normalised).
TOTAL_WORDS = frozenset(
    {
        "total", "totals", "grand total", "summary", "sum", "summe", "gesamt", "insgesamt",
        "razem", "suma", "ogółem", "podsumowanie",
    }
)  # fmt: skip
HEADER_SEARCH = 30  # non-empty rows looked at for the header row
HEADER_MINIMUM = 2  # known names a row must hold to be taken for the header


class _HeaderFinder:
    """Which row is the header, and which rows are totals (see `stream_table`)."""

    def __init__(self, names: Collection[str] | None) -> None:
        self.names = frozenset(names) if names is not None else None

    def is_header(self, values: list[str]) -> bool:
        """True when the row names at least HEADER_MINIMUM known columns (every row without
        known names given)."""
        if self.names is None:
            return True
        known = 0
        for value in values:
            if (
                value
                and (key := normalise_header(value))
                and (
                    key in self.names or normalise_header(header_without_unit(value)) in self.names
                )
            ):
                known += 1
        return known >= HEADER_MINIMUM

    def is_total(self, values: list[Any]) -> bool:
        """True for a totals row (only when looking for the header: a plain file's rows are
        all data)."""
        if self.names is None:
            return False
        first = next((value for value in values if value not in ("", None)), None)
        return isinstance(first, str) and normalise_header(first).rstrip(":") in TOTAL_WORDS


def _header_at(finder: _HeaderFinder, looked_at: Sequence[tuple[int, list[str]]]) -> int:
    """The header's index among the non-empty rows looked at: the first that names known
    columns; else, for a file whose names are all unknown (read by an import profile not saved
    yet), the first of the widest rows, since a title line above a header is narrower."""
    for index, (_number, values) in enumerate(looked_at):
        if finder.is_header(values):
            return index
    if finder.names is None or not looked_at:
        return 0
    widths = [sum(value not in ("", None) for value in values) for _number, values in looked_at]
    return widths.index(max(widths))


def _title(values: list[Any]) -> str:
    """A title line's text: its non-blank cells joined by a blank."""
    return " ".join(str(value).strip() for value in values if value not in ("", None))


def _check_headers(values: list[str], row: int) -> list[str]:
    """Header names with trailing blanks dropped; blank or repeated names are a TableError."""
    names = list(values)
    if len(names) > EXCEL_MAX_COLUMNS:
        _fail(
            _(
                "more than %(count)s columns; this is not a table export",
                count=count_text(EXCEL_MAX_COLUMNS),
            )
        )
    while names and not names[-1]:
        names.pop()  # Excel writes empty trailing columns once a cell there was touched
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        key = normalise_header(name)
        if not key:
            problems.append(
                Problem(row, None, None, _("column %(index)d has no name", index=index))
            )
        elif CONTROL_CHARACTERS.search(name):
            reason = _("column %(index)d's name contains a control character", index=index)
            problems.append(Problem.at(row, None, name, reason))
        elif len(name) > MAX_CELL_CHARS:
            problems.append(Problem.at(row, None, name, _("column name is too long")))
        elif key in seen:
            reason = _(
                "duplicate column name (columns %(first)d and %(second)d)",
                first=seen[key],
                second=index,
            )
            problems.append(Problem(row, name, None, reason))
        else:
            seen[key] = index
    if problems:
        raise TableError(problems)
    return names


def _fit(
    values: list[Any], headers: list[str], row: int, problems: list[Problem], blank: object
) -> list[Any]:
    """Pad or trim a row to the header width, noting stray and over-long values."""
    width = len(headers)
    used = len(values)  # the common case: no more values than headers, nothing to count
    if used > width:
        used = max((i + 1 for i, value in enumerate(values) if value not in ("", None)), default=0)
    if used > width:
        # Usually an unquoted value that contains the separator, e.g. "12,5" in a comma file.
        reason = ngettext(
            "%(used)d values but the header has %(num)d column (unquoted separator?)",
            "%(used)d values but the header has %(num)d columns (unquoted separator?)",
            width,
            used=used,
        )
        problems.append(Problem(row, None, None, reason))
    fitted = values if len(values) == width else values[:width] + [blank] * (width - len(values))
    # A CSV row holds only text (blank ""); a worksheet row also numbers and dates.
    texts = fitted if blank == "" else [value for value in fitted if isinstance(value, str)]
    joined = "".join(texts)
    if (len(joined) <= MAX_CELL_CHARS or max(map(len, texts)) <= MAX_CELL_CHARS) and not (
        CONTROL_CHARACTERS.search(joined)
    ):
        return fitted  # the common case, checked for the whole row at once
    for name, value in zip(headers, fitted, strict=True):
        if not isinstance(value, str):
            continue
        if len(value) > MAX_CELL_CHARS:
            reason = _("longer than %(count)s characters", count=count_text(MAX_CELL_CHARS))
            problems.append(Problem.at(row, name, value, reason))
        elif control := CONTROL_CHARACTERS.search(value):
            code_point = f"U+{ord(control.group()):04X}"
            reason = _(
                "contains a control character (%(character)s); remove it", character=code_point
            )
            problems.append(Problem.at(row, name, value, reason))
    return fitted


def _finish(
    headers: list[str] | None, rows: list[tuple[int, list[object]]], problems: list[Problem]
) -> Table:
    """The Table, or every problem found while reading it."""
    if headers is None:
        _fail(_("the file is empty"))
    if problems:
        raise TableError(problems)
    if not rows:
        _fail(_("the file has a header row but no data rows"))
    return Table(headers, rows)


def _too_many(max_rows: int) -> NoReturn:
    """Refuse a file with more data rows than allowed."""
    _fail(
        _(
            "more than %(count)s data rows; split the file or import a shorter period",
            count=count_text(max_rows),
        )
    )


def _decode(data: bytes) -> tuple[str, str]:
    """Text and the name of its encoding: UTF-16 (with a byte order mark, or recognised by
    its NULs), UTF-8 (mark optional), or else Windows-1252/Latin-1 when no part of the file
    is UTF-8. A UTF-8 file with a few bytes that are not is refused at the first of them:
    reading it all in a legacy code page would garble every correct character."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            _fail(_("the file starts like UTF-16 text but is not valid UTF-16"))
    if wide := _utf16_without_mark(data):
        try:
            return data.decode(wide), "UTF-16 (without byte order mark)"
        except UnicodeDecodeError:
            _fail(_("the file looks like UTF-16 text without a byte order mark but is not valid"))
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="surrogateescape")  # bytes that are not: U+DC80-DCFF
    if data.startswith(b"\xef\xbb\xbf") or UTF8_CHARACTER.search(text):
        bad = NOT_UTF8.search(text)
        assert bad is not None  # the strict decoding above failed
        line = text.count("\n", 0, bad.start()) + 1
        byte = f"0x{ord(bad.group()) - 0xDC00:02X}"
        raise TableError(
            [
                Problem(
                    line,
                    None,
                    None,
                    _(
                        "byte %(byte)s is not UTF-8, though the file is UTF-8 elsewhere (a "
                        'value pasted from another program?); save the file again as "CSV '
                        'UTF-8"',
                        byte=byte,
                    ),
                )
            ]
        )
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "ISO-8859-1"  # maps every byte, so never fails


def _utf16_without_mark(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when the file's NULs say so: in UTF-16 every ASCII
    character (digits, separators, line ends) has a NUL beside it, at odd positions in
    little-endian text, at even ones in big-endian."""
    sample = data[:4096]
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    half = len(sample) // 2
    if odd > half // 4 and even < odd // 10:
        return "utf-16-le"
    if even > half // 4 and odd < even // 10:
        return "utf-16-be"
    return None


def _sniff(text: str) -> str:
    """The separator (tab, ';' or ',') used most, outside quotes, on the first line that has
    one (a report title above the header has none)."""
    counts = dict.fromkeys("\t;,", 0)  # ties go to the first: commas are likeliest in names
    quoted = started = False
    for char in text[:65_536]:  # a header line longer than this is not a real export
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in "\r\n":
            if started and any(counts.values()):
                break
        elif char in counts:
            counts[char] += 1
            started = True
        elif not char.isspace():
            started = True
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _stream_csv(data: bytes, max_rows: int, finder: _HeaderFinder) -> TableStream:
    """Delimited text as a TableStream, numbering rows by the line each record starts on."""
    if data.startswith(ZIP_MAGIC):
        _fail(_("this is an Excel (XLSX) file, not CSV; upload it with the .xlsx extension"))
    if data.startswith(OLE_MAGIC):
        _fail(_("this is an old Excel (.xls) file, not CSV; save it as CSV or XLSX"))
    for signature, reason in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            _fail(reason)
    text, encoding = _decode(data)
    sample = text[:4096]
    # A few are damage, named with their row and column below; many are a binary file.
    if len(CONTROL_CHARACTERS.findall(sample)) > max(len(sample) // 20, 4):
        _fail(_("this is not a text (CSV) file: it holds binary data"))
    problems: list[Problem] = []
    records = _csv_records(text, problems)
    # Looking ahead only to find the header: a plain file's rows are read as they come.
    looked_at = list(itertools.islice(records, 1 if finder.names is None else HEADER_SEARCH))
    if not looked_at:
        _fail(_("the file is empty"))
    at = _header_at(finder, looked_at)
    first = looked_at[at]
    headers = _check_headers(list(first[1]), first[0])
    titles = [_title(values) for _, values in looked_at[:at]]
    stream = TableStream(headers, iter(()), problems, encoding=encoding, titles=titles)

    def rows() -> Iterator[tuple[int, list[object]]]:
        for start, values in itertools.chain(looked_at[at + 1 :], records):
            if finder.is_total(values):
                continue
            if stream.count >= max_rows:
                _too_many(max_rows)
            stream.count += 1
            yield start, _fit(values, headers, start, problems, "")

    stream.rows = rows()
    return stream


def _csv_records(text: str, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """The non-empty records of CSV text, stripped, with the line each starts on; unmatched
    quotes end the file with a TableError (with `problems` found before them)."""
    # strict: an unclosed quote would otherwise swallow the rest of the file silently
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(text), strict=True)
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            values = list(map(str.strip, record))
            if any(values):
                yield start, values
    except csv.Error as exc:
        reason = _('quotes do not match (end a quoted value with " and double any " inside)')
        if "field limit" in str(exc):
            reason = _(
                "a value is longer than %(count)s characters", count=count_text(MAX_CELL_CHARS)
            )
        problems.append(Problem(end + 1, None, None, reason))
        raise TableError(problems) from exc


def _read_xlsx(data: bytes, max_rows: int, sheet: str | None, finder: _HeaderFinder) -> Table:
    """Read the first (or the named) worksheet with cached values, never formulas."""
    check_workbook(data, _fail)
    with warnings.catch_warnings():
        # openpyxl warns about features it drops (styles, extensions); cell values are intact.
        warnings.filterwarnings("ignore", module="openpyxl")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types on malformed input
            raise TableError([Problem(None, None, None, str(UNREADABLE_XLSX))]) from exc
        try:
            sheets = {worksheet.title: worksheet for worksheet in workbook.worksheets}
            if not sheets:
                _fail(_("the workbook has no worksheets"))
            if sheet is not None and sheet not in sheets:
                _fail(
                    _(
                        'no worksheet named "%(sheet)s"; the workbook has: %(sheets)s',
                        sheet=sheet,
                        sheets=", ".join(sheets),
                    )
                )
            chosen = sheets[sheet] if sheet else next(iter(sheets.values()))
            return _read_sheet(chosen, max_rows, finder)
        except TableError:
            raise
        except Exception as exc:  # e.g. invalid XML or entities refused by defusedxml
            raise TableError([Problem(None, None, None, str(UNREADABLE_XLSX))]) from exc
        finally:
            workbook.close()


def _read_sheet(worksheet: Any, max_rows: int, finder: _HeaderFinder) -> Table:
    """Header = the first non-empty row (or the one `finder` takes for it, see
    `stream_table`); data rows keep their real sheet row numbers."""
    worksheet.reset_dimensions()  # exporters often write a wrong size, which would cut data
    headers: list[str] | None = None
    header_row = 0
    # openpyxl fills every row to the header's width: count those cells too, or a header
    # 16,384 wide above a million empty <row/> elements costs billions of cells.
    filled = 0
    skipped: object = None
    looked_at: list[tuple[int, list[str]]] = []  # the non-empty rows, while looking
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        filled += len(cells)
        if filled > MAX_CELLS:
            _fail(TOO_MANY_CELLS)
        names = [_header_text(cell.value) for cell in cells]
        if any(names):
            looked_at.append((number, names))
            if finder.is_header(names) or len(looked_at) >= HEADER_SEARCH:
                break
        if number >= EXCEL_MAX_ROWS:
            break
    at = _header_at(finder, looked_at)
    titles: list[str] = []
    if looked_at:
        header_row, names = looked_at[at]
        headers = _check_headers(names, header_row)
        titles = [_title(names) for _, names in looked_at[:at]]
    rows: list[tuple[int, list[object]]] = []
    problems: list[Problem] = []
    if headers is None:
        _fail(_('the worksheet "%(sheet)s" is empty', sheet=worksheet.title))
    # max_col: cells right of the header (side notes, sums) are not data, and this bounds work.
    cells_by_row = worksheet.iter_rows(min_row=header_row + 1, max_col=len(headers))
    for number, cells in enumerate(cells_by_row, start=header_row + 1):
        if number > EXCEL_MAX_ROWS:
            _fail(_("the worksheet claims more rows than Excel allows; it is damaged"))
        if cells is skipped:
            continue  # openpyxl gives one tuple of empty cells for every row the sheet skips
        skipped = cells
        filled += len(cells)
        if filled > MAX_CELLS:
            _fail(TOO_MANY_CELLS)
        values = [_cell_value(cell) for cell in cells]
        if all(value is None for value in values) or finder.is_total(values):
            continue
        if len(rows) >= max_rows:
            _too_many(max_rows)
        rows.append((number, _fit(values, headers, number, problems, None)))
    table = _finish(headers, rows, problems)
    table.titles = titles
    return table


def _header_text(value: object) -> str:
    """A header cell as text."""
    return "" if value is None else str(value).strip()


def _cell_value(cell: Any) -> object:
    """A cell's value as read; blank text is None, percentages as the user sees them."""
    value = cell.value
    if isinstance(value, str):
        return value.strip() or None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and _is_percentage(cell.number_format or ""):
        # Excel stores 85% as 0.85; return 85 as the screen and a CSV export show it.
        return float(Decimal(repr(value)) * 100)
    return value


@functools.lru_cache(maxsize=256)
def _is_percentage(number_format: str) -> bool:
    """True for a number format that shows a percentage (a sheet has a few formats and
    hundreds of thousands of cells)."""
    return "%" in re.sub(r'"[^"]*"|\\.', "", number_format)


def normalise_header(text: str) -> str:
    """Case- and space-insensitive key: 'Avg_Handle-Time ' -> 'avg handle time'."""
    return re.sub(r"[\s_.\-]+", " ", text.replace("\ufeff", "")).strip().casefold()
