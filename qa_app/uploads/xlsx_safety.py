"""Checks on an uploaded XLSX package before openpyxl parses any of it (used by
qa_app.uploads.reader).

A workbook is a zip of XML parts, so a small upload can unpack to gigabytes (a zip bomb) or
to XML that costs far more time and memory to parse than it takes on disk. openpyxl is slow
per XML element (2-5 µs for a cell's elements, 18 µs for a cell format, 8 µs for a shared
string on the reference machine; bench/xlsx_bombs.py measures them), builds every cell of a
row before it hands the row over, and keeps every shared string in memory. So everything
here reads only the zip directory and streams each part once through fixed-size buffers,
never building XML trees, and refuses a workbook whose parts would cost more than the limits
below, each chosen so that the worst workbook under them is read in a few seconds and well
under 1 GiB.

Each part is checked as text, decoded as the XML parser will decode it: from its byte order
mark, its NUL pattern (UTF-16 without a mark) or its XML declaration. Only UTF-8 and UTF-16,
the two encodings every XML parser must read, are accepted; checking raw bytes let a part
saved as UTF-16 slip past every check. Entity expansion ("billion laughs") and external
entities (XXE) need a document type declaration, which no part of a real workbook has (the
package format forbids them), so one is refused here; defusedxml inside openpyxl refuses them
as well, and `require_defused_xml` keeps the app from starting without it.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from config import ConfigError
from qa_app.uploads.counts import count_text

EXCEL_MAX_COLUMNS = 16_384
# Real workbooks expand 5-20x when unzipped; a zip bomb expands thousands of times.
MAX_EXPANSION = 100
MIN_EXPANDED_BYTES = 10 * 1024 * 1024
# Whatever the ratio: scanning 256 MiB takes a few seconds, and the text a sheet keeps in
# memory is bounded by it. A workbook of that size holds millions of cells (see MAX_CELLS).
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 10_000
CHUNK = 1024 * 1024
# No real cell holds a megabyte of text (the importers stop at 10,000 characters).
MAX_TEXT_RUN = CHUNK
# openpyxl's cost is per XML element: 2 µs for a cell's <c><v>, 3.3 µs with inline strings,
# 4 µs in shared strings, 5 µs for rich text runs (on a quiet machine; twice that on a busy
# one). A million elements (about 500,000 cells with values) are read in 2-5 s; a table
# export that large comes as CSV, which is read as a stream.
MAX_ELEMENTS = 1_000_000
# Styles, the workbook part, relationships and properties are parsed into whole trees at up to
# 18 µs an element; Excel allows 64,000 cell formats, and real files have a few hundred.
MAX_SUPPORT_ELEMENTS = 100_000
# Cells and rows of one worksheet: empty <c/> and <row/> elements are one element each but
# cost 2-9 µs (openpyxl makes a cell object for each, and fills every row to the header's
# width). 500,000 cells are 33,000 rows of 15 columns.
MAX_CELLS = 500_000
# Every table the app imports has at least two columns (agent and day or start), so a sheet
# within MAX_CELLS has at most half as many rows.
MAX_ROWS = MAX_CELLS // 2
# openpyxl keeps every shared string in memory (about 150 bytes each beyond the text) and
# parses each in 8 µs: 300,000 take 2.4 s. Excel writes each distinct text once, so this is
# 100,000 interactions with three texts of their own each (call id, customer, notes).
MAX_SHARED_STRINGS = 300_000
CONTENT_TYPES = "[Content_Types].xml"
STYLES = "xl/styles.xml"  # openpyxl always reads the styles from this name
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls and other OLE files
ZIP_MAGIC = b"PK\x03\x04"
# A row, cell or shared-string start tag, with or without a namespace prefix (`<row `,
# `<x:c>`, `<c/>`, `<si>`), and the root element's name.
ROW_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
CELL_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
STRING_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
DECLARED = re.compile(r"""<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
TABLE_ROOTS = ("worksheet", "sst")
# What each detected encoding may be declared as (codecs.lookup names).
DECLARABLE = {
    "utf-8": {"utf-8", "ascii"},
    "utf-16-le": {"utf-16", "utf-16-le"},
    "utf-16-be": {"utf-16", "utf-16-be"},
}

# The reasons a workbook is refused, told in the reader's language when shown.
UNREADABLE_XLSX = _l(
    "could not read this XLSX file; it may be damaged (open it in Excel and save it again)"
)
UNSAFE = _l("this XLSX file unpacks to far more data than its size suggests; refused as unsafe")
DOCTYPE = _l(
    "this XLSX file declares XML entities (a document type declaration), which Excel never "
    "writes; refused as unsafe"
)
MACROS = _l(
    "this is a macro-enabled workbook (.xlsm); save it in Excel as an Excel Workbook (.xlsx)"
)
TOO_LARGE = _l(
    "this XLSX file unpacks to more than %(size)d MB; save the sheet as CSV (UTF-8) and "
    "upload that",
    size=MAX_EXPANDED_BYTES // 2**20,
)
# The figures are grouped in the reader's language, so these are made when shown.
TOO_MANY_ELEMENTS = LazyString(
    lambda: _(
        "this XLSX file is too large to read as a workbook (more than %(elements)s XML "
        "elements, about %(cells)s cells); save the sheet as CSV (UTF-8) and upload that",
        elements=count_text(MAX_ELEMENTS),
        cells=count_text(MAX_ELEMENTS // 2),
    )
)
TOO_MANY_CELLS = LazyString(
    lambda: _(
        "a worksheet of this XLSX file has more than %(count)s cells; save the sheet as CSV "
        "(UTF-8) and upload that",
        count=count_text(MAX_CELLS),
    )
)
TOO_MANY_ROWS = LazyString(
    lambda: _(
        "a worksheet of this XLSX file has more than %(count)s rows; save the sheet as CSV "
        "(UTF-8) and upload that",
        count=count_text(MAX_ROWS),
    )
)
TOO_MANY_STRINGS = LazyString(
    lambda: _(
        "this XLSX file has more than %(count)s different texts; save the sheet as CSV "
        "(UTF-8) and upload that",
        count=count_text(MAX_SHARED_STRINGS),
    )
)
Fail = Callable[[object], NoReturn]


def _support_part_too_large(name: str) -> str:
    return _(
        'the part "%(part)s" of this XLSX file has more than %(count)s XML elements, which no '
        "real workbook has; refused as unsafe",
        part=name[:80],
        count=count_text(MAX_SUPPORT_ELEMENTS),
    )


def _encoding_refused(name: str, encoding: str) -> str:
    return _(
        'the part "%(part)s" of this XLSX file is saved as %(encoding)s, which Excel never '
        "writes (only UTF-8 or UTF-16); open the file in Excel and save it again",
        part=name[:80],
        encoding=encoding[:40],
    )


def check_workbook(data: bytes, fail: Fail) -> None:
    """Call `fail` with the reason when `data` is not a workbook openpyxl may safely open."""
    if data.startswith(OLE_MAGIC):
        # Excel also wraps password-protected workbooks in this format.
        fail(
            _(
                "this is an old Excel 97-2003 (.xls) file or a password-protected workbook; "
                "save it as .xlsx without a password, or as CSV"
            )
        )
    if not data.startswith(ZIP_MAGIC):
        if not any(byte < 9 for byte in data[:512]):
            fail(
                _(
                    "this is not an XLSX workbook (it looks like a text or CSV file; upload "
                    "it with a .csv name)"
                )
            )
        fail(_("this is not an XLSX workbook"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # NotImplementedError: a member needing a newer zip version than Python reads
        fail(UNREADABLE_XLSX)
    with archive:
        if any(member.header_offset < 0 for member in archive.infolist()):
            fail(UNREADABLE_XLSX)  # a directory placing a member before the file's start
        try:
            _check_archive(archive, len(data), fail)
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            zlib.error,
            NotImplementedError,
            RuntimeError,
        ):
            # a damaged member; RuntimeError: an encrypted one; NotImplementedError: an
            # unknown compression method
            fail(UNREADABLE_XLSX)


@dataclass
class _Counts:
    """What the parts scanned so far would cost openpyxl."""

    elements: int = 0  # over the whole workbook
    limit: int = MAX_ELEMENTS  # on `elements` while the current part is scanned
    support: bool = False  # the current part is not a worksheet or the shared strings
    cells: int = 0  # in the current part, as the next three
    rows: int = 0
    strings: int = 0
    row_cells: int = 0  # in the row still open


def _check_archive(archive: zipfile.ZipFile, size: int, fail: Fail) -> None:
    members = archive.infolist()
    # zipfile stops at each member's declared size, so the declared sizes bound the work.
    expanded = sum(member.file_size for member in members)
    if len(members) > MAX_MEMBERS or expanded > max(MAX_EXPANSION * size, MIN_EXPANDED_BYTES):
        fail(UNSAFE)
    if expanded > MAX_EXPANDED_BYTES:
        fail(TOO_LARGE)
    names = {member.filename.lower() for member in members}
    if "xl/vbaproject.bin" in names:
        fail(MACROS)
    support_parts = {STYLES, *_workbook_parts(archive, fail)}
    counts = _Counts()
    for member in members:
        if member.filename.lower().endswith((".xml", ".rels")) or _looks_like_xml(archive, member):
            _scan_part(archive, member, counts, member.filename in support_parts, fail)


def _looks_like_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """True for a part that starts like XML whatever its name: openpyxl reads a worksheet
    from wherever the workbook's relationships point, "sheet1.dat" included."""
    with archive.open(member) as stream:
        head = stream.read(64)
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        head = head.removeprefix(bom)
    return re.match(rb"\s*<[?!A-Za-z_]", head.replace(b"\x00", b"")) is not None


def _workbook_parts(archive: zipfile.ZipFile, fail: Fail) -> set[str]:
    """The workbook parts named in [Content_Types].xml (openpyxl parses them whole, whatever
    their root element); refuses macro-enabled workbooks."""
    try:
        member = archive.getinfo(CONTENT_TYPES)
    except KeyError:
        return set()  # openpyxl will say the file is not a workbook
    if member.file_size > CHUNK:
        fail(_support_part_too_large(CONTENT_TYPES))  # a real one has a few kilobytes
    data = archive.read(member)
    decoder, _, skip = _decoder(CONTENT_TYPES, data, fail)
    try:
        text = decoder.decode(data[skip:], final=True)
    except UnicodeDecodeError:
        fail(UNREADABLE_XLSX)
    if "macroEnabled" in text:
        fail(MACROS)
    parts = set()
    for override in re.findall(r"<(?:[\w.-]+:)?Override\b[^>]*>", text):
        name = re.search(r"""PartName\s*=\s*["']/?([^"']*)["']""", override)
        kind = re.search(r"""ContentType\s*=\s*["']([^"']*)["']""", override)
        if name and kind and kind.group(1).endswith("main+xml"):
            parts.add(name.group(1))
    return parts


def _decoder(name: str, head: bytes, fail: Fail) -> tuple[codecs.IncrementalDecoder, str, int]:
    """The decoder the XML parser would use for a part starting with `head`, its encoding,
    and the length of the byte order mark to skip."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        fail(_encoding_refused(name, "UTF-32"))
    boms = {b"\xef\xbb\xbf": "utf-8", b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
    for bom, encoding in boms.items():
        if head.startswith(bom):
            return codecs.getincrementaldecoder(encoding)("strict"), encoding, len(bom)
    encoding = "utf-8"
    if len(head) >= 2 and not (head[0] and head[1]):  # NULs: a wider encoding, no mark
        if head[0] == head[1] or head[2:4] == b"\x00\x00":
            fail(_encoding_refused(name, "UTF-32"))
        encoding = "utf-16-le" if head[0] else "utf-16-be"
    return codecs.getincrementaldecoder(encoding)("strict"), encoding, 0


def _check_declaration(name: str, text: str, encoding: str, fail: Fail) -> None:
    """Refuse a part whose XML declaration names another encoding than its bytes are in."""
    declared = DECLARED.match(text)
    if declared is None:
        return
    try:
        codec = codecs.lookup(declared.group(1)).name
    except LookupError:
        fail(_encoding_refused(name, repr(declared.group(1))))
    if codec not in DECLARABLE[encoding]:
        fail(_encoding_refused(name, declared.group(1)))


def _scan_part(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    counts: _Counts,
    support: bool,
    fail: Fail,
) -> None:
    """Stream one XML part as the parser will read it: no DTD, no huge text node, and no more
    elements, cells, rows or shared strings than the limits allow. A `support` part (styles,
    the workbook) is parsed whole, whatever its root element."""
    name = member.filename
    counts.cells = counts.rows = counts.strings = counts.row_cells = 0
    carry = ""
    with archive.open(member) as stream:
        head = stream.read(CHUNK)
        decoder, encoding, skip = _decoder(name, head, fail)
        chunk, first = head[skip:], True
        try:
            while chunk or first:
                buffer = carry + decoder.decode(chunk)
                if first:
                    _check_declaration(name, buffer, encoding, fail)
                    root = ROOT.search(buffer.split("?>", 1)[-1])
                    counts.support = support or not root or root.group(1) not in TABLE_ROOTS
                    counts.limit = MAX_ELEMENTS
                    if counts.support:
                        counts.limit = min(counts.elements + MAX_SUPPORT_ELEMENTS, MAX_ELEMENTS)
                    first = False
                # Cut before the last tag start: no tag is split between two segments.
                cut = max(buffer.rfind("<"), 0)
                segment, carry = buffer[:cut], buffer[cut:]
                if len(carry) > MAX_TEXT_RUN:
                    fail(
                        _(
                            "a cell of this XLSX file holds more than 1 MB of text; refused "
                            "as unsafe"
                        )
                    )
                _count(segment, counts, name, fail)
                chunk = stream.read(CHUNK)
            carry += decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            fail(UNREADABLE_XLSX)  # the parser would stop there too
    _count(carry, counts, name, fail)


def _count(segment: str, counts: _Counts, name: str, fail: Fail) -> None:
    """Add what `segment` costs to `counts`; fail on a DTD or on any limit passed."""
    if "<!DOCTYPE" in segment or "<!ENTITY" in segment:
        fail(DOCTYPE)
    counts.elements += segment.count("<") - segment.count("</")
    if counts.elements > counts.limit:
        support = counts.support and counts.elements <= MAX_ELEMENTS
        fail(_support_part_too_large(name) if support else TOO_MANY_ELEMENTS)
    counts.strings += len(STRING_START.findall(segment))
    if counts.strings > MAX_SHARED_STRINGS:
        fail(TOO_MANY_STRINGS)
    rows = ROW_START.split(segment)
    counts.rows += len(rows) - 1
    if counts.rows > MAX_ROWS:
        fail(TOO_MANY_ROWS)
    for index, part in enumerate(rows):
        cells = len(CELL_START.findall(part))
        counts.cells += cells
        counts.row_cells = (counts.row_cells if index == 0 else 0) + cells
        if counts.row_cells > EXCEL_MAX_COLUMNS:
            fail(
                _(
                    "a row of this XLSX file has more than %(count)s cells; this is not a table "
                    "export",
                    count=count_text(EXCEL_MAX_COLUMNS),
                )
            )
    if counts.cells > MAX_CELLS:
        fail(TOO_MANY_CELLS)


def require_defused_xml() -> None:
    """Refuse to start unless openpyxl reads workbooks through defusedxml.

    openpyxl falls back to the standard library's parser when defusedxml is missing or when
    OPENPYXL_DEFUSEDXML=False is set, and that parser expands entities.
    """
    import openpyxl.xml
    from openpyxl.reader import strings
    from openpyxl.worksheet import _reader

    parsers = (_reader.iterparse, strings.iterparse)  # type: ignore[attr-defined]  # private name
    if not openpyxl.xml.DEFUSEDXML or any(
        not parser.__module__.startswith("defusedxml") for parser in parsers
    ):
        raise ConfigError(
            "openpyxl is not using defusedxml, so uploaded workbooks could expand XML "
            "entities. Install defusedxml (it is a dependency of QA Coach) and do not set "
            "OPENPYXL_DEFUSEDXML=False."
        )
