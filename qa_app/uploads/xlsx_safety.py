"""Checks on an uploaded XLSX package before openpyxl parses any of it (used by
qa_app.uploads.reader).

A workbook is a zip of XML parts, so a small upload can unpack to gigabytes (a zip bomb) or
to XML that costs far more memory to parse than it takes on disk: openpyxl builds every cell
of a row before it hands the row over, so one row of millions of empty `<c/>` elements in a
few kilobytes of upload would take gigabytes. Everything here reads only the zip directory
and streams each part once through fixed-size buffers; it never builds XML trees. Entity
expansion ("billion laughs") and external entities (XXE) need a document type declaration,
which no part of a real workbook has (the package format forbids them), so one is refused
here; defusedxml inside openpyxl refuses them as well, and `require_defused_xml` keeps the
app from starting without it.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable
from typing import NoReturn

from config import ConfigError

EXCEL_MAX_COLUMNS = 16_384
# Real workbooks expand 5-20x when unzipped; a zip bomb expands thousands of times.
MAX_EXPANSION = 100
MIN_EXPANDED_BYTES = 10 * 1024 * 1024
MAX_MEMBERS = 10_000
CHUNK = 1024 * 1024
# No real cell holds a megabyte of text (the importers stop at 10,000 characters).
MAX_TEXT_RUN = CHUNK
CONTENT_TYPES = "[Content_Types].xml"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls and other OLE files
ZIP_MAGIC = b"PK\x03\x04"
# A row or cell start tag, with or without a namespace prefix (`<row `, `<x:c>`, `<c/>`).
ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")

UNREADABLE_XLSX = (
    "could not read this XLSX file; it may be damaged (open it in Excel and save it again)"
)
UNSAFE = "this XLSX file unpacks to far more data than its size suggests; refused as unsafe"
DOCTYPE = (
    "this XLSX file declares XML entities (a document type declaration), which Excel never "
    "writes; refused as unsafe"
)
MACROS = "this is a macro-enabled workbook (.xlsm); save it in Excel as an Excel Workbook (.xlsx)"


def check_workbook(data: bytes, fail: Callable[[str], NoReturn]) -> None:
    """Call `fail` with the reason when `data` is not a workbook openpyxl may safely open."""
    if data.startswith(OLE_MAGIC):
        # Excel also wraps password-protected workbooks in this format.
        fail(
            "this is an old Excel 97-2003 (.xls) file or a password-protected workbook; "
            "save it as .xlsx without a password, or as CSV"
        )
    if not data.startswith(ZIP_MAGIC):
        looks_text = not any(byte < 9 for byte in data[:512])
        hint = (
            " (it looks like a text or CSV file; upload it with a .csv name)" if looks_text else ""
        )
        fail(f"this is not an XLSX workbook{hint}")
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


def _check_archive(archive: zipfile.ZipFile, size: int, fail: Callable[[str], NoReturn]) -> None:
    members = archive.infolist()
    # zipfile stops at each member's declared size, so the declared sizes bound the work.
    expanded = sum(member.file_size for member in members)
    if len(members) > MAX_MEMBERS or expanded > max(MAX_EXPANSION * size, MIN_EXPANDED_BYTES):
        fail(UNSAFE)
    names = {member.filename.lower() for member in members}
    if "xl/vbaproject.bin" in names:
        fail(MACROS)
    for member in members:
        if member.filename == CONTENT_TYPES and b"macroEnabled" in archive.read(member):
            fail(MACROS)
        if member.filename.lower().endswith((".xml", ".rels")):
            _scan_part(archive, member, fail)


def _scan_part(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, fail: Callable[[str], NoReturn]
) -> None:
    """Stream one XML part: no row with more cells than Excel allows, no huge text node."""
    cells = 0
    carry = b""
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            buffer = carry + chunk
            # Cut before the last tag start: no tag is split between two segments.
            cut = max(buffer.rfind(b"<"), 0)
            segment, carry = buffer[:cut], buffer[cut:]
            if b"<!DOCTYPE" in segment or b"<!ENTITY" in segment:
                fail(DOCTYPE)
            if len(carry) > MAX_TEXT_RUN:
                fail("a cell of this XLSX file holds more than 1 MB of text; refused as unsafe")
            cells = _count_cells(segment, cells, fail)
    if b"<!DOCTYPE" in carry or b"<!ENTITY" in carry:
        fail(DOCTYPE)
    _count_cells(carry, cells, fail)


def _count_cells(segment: bytes, cells: int, fail: Callable[[str], NoReturn]) -> int:
    """Cells in the row still open at the end of `segment`, given `cells` open before it."""
    rows = ROW_START.split(segment)
    for index, part in enumerate(rows):
        cells = (cells if index == 0 else 0) + len(CELL_START.findall(part))
        if cells > EXCEL_MAX_COLUMNS:
            fail(
                f"a row of this XLSX file has more than {EXCEL_MAX_COLUMNS:,} cells; "
                "this is not a table export"
            )
    return cells


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
