"""A corpus of hostile upload files, generated in code (no binary blobs in the repository).

`bad_files(headers, row)` builds, around one header row and one valid data row of an
importer, every kind of file an upload must refuse with a clear problem and without writing
anything: wrong types, broken tables, zip and XML bombs, external entities, over-long
values. `odd_but_valid_files(headers, rows)` builds files that are unusual but legitimate
(encodings, separators) and must import exactly like a plain CSV. The workbooks are written
by hand from a few XML templates so that every byte of the hostile parts is under the
test's control.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

MB = 1024 * 1024
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_PART = "xl/worksheets/sheet1.xml"
SHARED_PART = "xl/sharedStrings.xml"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
# "Billion laughs": ten nested entities of ten references each expand 10**9 times.
BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    + "]>"
)
_IHDR = b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # a 1 × 1 RGB image
PNG = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + _IHDR + struct.pack(">I", zlib.crc32(_IHDR))
PNG += bytes(64)
OLE_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"Workbook" + bytes(1024)


@dataclass(frozen=True)
class HostileFile:
    """One file of the corpus: its test id, the name it is uploaded as, its bytes, and a
    fragment of the problem a user must be shown (lower case)."""

    id: str
    filename: str
    data: bytes
    problem: str


# --- workbooks by hand -------------------------------------------------------------------


def _cell_ref(row: int, column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _cell(row: int, column: int, value: object, shared: list[str] | None) -> str:
    ref = _cell_ref(row, column)
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = str(value)
    if shared is not None:
        shared.append(text)
        return f'<c r="{ref}" t="s"><v>{len(shared) - 1}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def sheet_rows_xml(rows: Sequence[Sequence[object]], shared: list[str] | None = None) -> str:
    """The <row> elements of `rows` (inline strings, or shared ones appended to `shared`)."""
    return "".join(
        f'<row r="{r}">' + "".join(_cell(r, c, v, shared) for c, v in enumerate(row, 1)) + "</row>"
        for r, row in enumerate(rows, 1)
    )


def workbook(
    rows: Sequence[Sequence[object]] = (),
    *,
    shared_strings: bool = False,
    sheet_data: str | None = None,
    sheet_prolog: str = "",
    sheet_extra: str = "",
    shared_prolog: str = "",
    shared_items: str | None = None,
    dimension: str = "A1",
    content_type: str = WORKBOOK_TYPE,
    sheet_encoding: str = "UTF-8",
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A minimal XLSX package. `sheet_data` replaces the rows' XML; `sheet_prolog` and
    `shared_prolog` go before the root elements (a DOCTYPE); `sheet_extra` after sheetData
    (merged cells); `shared_items` replaces the shared strings' <si> elements. The sheet is
    saved in `sheet_encoding` (as declared; "utf-16-le" without the declaration's name and
    the byte order mark); `extra` adds parts as they are."""
    shared: list[str] | None = [] if shared_strings or shared_items is not None else None
    data = sheet_rows_xml(rows, shared) if sheet_data is None else sheet_data
    declared = "" if sheet_encoding.lower().startswith("utf-16-") else sheet_encoding
    sheet = (
        f'<?xml version="1.0"{declared and f" encoding={declared!r}"}?>{sheet_prolog}'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="{dimension}"/>'
        f"<sheetData>{data}</sheetData>{sheet_extra}</worksheet>"
    )
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{content_type}"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + (
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                if shared is not None
                else ""
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" '
            f'xmlns:r="{REL_NS}"><sheets><sheet name="Export" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            + (
                f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" '
                'Target="sharedStrings.xml"/>'
                if shared is not None
                else ""
            )
            + "</Relationships>"
        ),
        SHEET_PART: sheet,
    }
    if shared is not None:
        items = shared_items
        if items is None:
            items = "".join(
                f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in shared
            )
        members[SHARED_PART] = (
            f'<?xml version="1.0" encoding="UTF-8"?>{shared_prolog}'
            f'<sst xmlns="{MAIN_NS}">{items}</sst>'
        )
    parts = {name: text.encode() for name, text in members.items()}
    parts[SHEET_PART] = sheet.encode(sheet_encoding)
    return zip_of({**parts, **(extra or {})})


def zip_of(members: dict[str, bytes]) -> bytes:
    """A deflated zip archive of `members`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def with_declared_size(data: bytes, member: str, size: int) -> bytes:
    """A copy of a zip archive whose `member` declares `size` uncompressed bytes (in its local
    header and in the central directory) whatever it really holds: a lying zip bomb."""
    out = bytearray(data)
    name = member.encode()
    # Local file header: signature, …, uncompressed size at +22, name length at +26.
    local = out.find(b"PK\x03\x04")
    while local != -1:
        name_length = struct.unpack_from("<H", out, local + 26)[0]
        if bytes(out[local + 30 : local + 30 + name_length]) == name:
            struct.pack_into("<I", out, local + 22, size)
        local = out.find(b"PK\x03\x04", local + 4)
    # Central directory entry: uncompressed size at +24, name length at +28, name at +46.
    central = out.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", out, central + 28)[0]
        if bytes(out[central + 46 : central + 46 + name_length]) == name:
            struct.pack_into("<I", out, central + 24, size)
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def renamed_sheet(data: bytes, name: str) -> bytes:
    """A copy of a workbook whose sheet part is called `name` (and so referred to)."""
    old, new = SHEET_PART.rsplit("/", 1)[-1], name
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            content = source.read(member).replace(old.encode(), new.encode())
            target.writestr(member.filename.replace(old, new), content)
    return out.getvalue()


def padded(data: bytes, size: int) -> bytes:
    """A copy of a zip archive with `size` bytes of noise that do not compress, as an
    attacker adds to pass the check of how far a file unpacks."""
    noise = random.Random(size).randbytes(size)
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("docProps/thumbnail.bin", noise)
    return out.getvalue()


def shared_strings_bomb(strings: int) -> bytes:
    """`strings` one-letter shared strings, padded past the expansion check."""
    data = workbook(
        sheet_data='<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        shared_items="<si><t>x</t></si>" * strings,
    )
    return padded(data, strings * 18 // 80)


def cell_bomb(rows: int, cells: int, cell: str = "<c/>") -> bytes:
    """`rows` rows of `cells` cells each (each row within Excel's width), padded past the
    expansion check."""
    row = cell * cells
    data = "".join(f'<row r="{number}">{row}</row>' for number in range(1, rows + 1))
    return padded(workbook(sheet_data=data), len(data) // 80)


def row_bomb(cells: int) -> bytes:
    """A small workbook whose first row holds `cells` empty cells: tiny zipped, huge parsed."""
    return workbook(sheet_data='<row r="1">' + "<c/>" * cells + "</row>")


# --- the corpus --------------------------------------------------------------------------


def _csv(rows: Sequence[Sequence[object]], separator: str = ",") -> str:
    def quoted(value: object) -> str:
        text = "" if value is None else str(value)
        if any(char in text for char in f'"{separator}\r\n'):
            return '"' + text.replace('"', '""') + '"'
        return text

    return "".join(separator.join(quoted(value) for value in row) + "\r\n" for row in rows)


def csv_bytes(rows: Sequence[Sequence[object]], separator: str = ",") -> bytes:
    """UTF-8 CSV of `rows`."""
    return _csv(rows, separator).encode()


UNREADABLE = "could not read this xlsx file"
MACROS = "this is a macro-enabled workbook (.xlsm)"
# Bytes 0-255 over and over: most are control characters, as in any program or archive.
NOISE = bytes(range(1, 256)) * 8
UNSAFE = "unpacks to far more data than its size suggests"
ENTITIES = "declares xml entities"


def bad_files(
    headers: Sequence[str], row: Sequence[object], *, entity_target: str = "/etc/hostname"
) -> list[HostileFile]:
    """Every hostile file for an importer whose valid file is `headers` + `row`."""
    good = [list(headers), list(row)]
    good_xlsx = workbook(good)
    first = f'<row r="1">{"".join(_cell(1, c, h, None) for c, h in enumerate(headers, 1))}</row>'
    entity_row = (
        first
        + '<row r="2">'
        + "".join(
            f'<c r="{_cell_ref(2, c)}" t="inlineStr"><is><t>&lol9;</t></is></c>'
            if c == 1
            else _cell(2, c, v, None)
            for c, v in enumerate(row, 1)
        )
        + "</row>"
    )
    xxe = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{entity_target}">]>'
    xxe_row = entity_row.replace("&lol9;", "&xxe;")
    shared_refs: list[str] = []
    shared_rows = sheet_rows_xml(good, shared_refs)
    return [
        HostileFile("png-as-csv", "calls.csv", PNG, "this is a png image, not a csv file"),
        HostileFile("binary-as-csv", "calls.csv", NOISE, "it holds binary data"),
        HostileFile("png-as-xlsx", "calls.xlsx", PNG, "this is not an xlsx workbook"),
        HostileFile("xls-biff", "calls.xls", OLE_XLS, "unsupported file type"),
        HostileFile("xls-as-xlsx", "calls.xlsx", OLE_XLS, "old excel 97-2003 (.xls)"),
        HostileFile("xls-as-csv", "calls.csv", OLE_XLS, "old excel (.xls)"),
        HostileFile("xlsm-name", "calls.xlsm", good_xlsx, MACROS),
        HostileFile(
            "xlsm-content",
            "calls.xlsx",
            workbook(good, content_type=MACRO_WORKBOOK_TYPE),
            MACROS,
        ),
        HostileFile("zip-not-xlsx", "calls.xlsx", zip_of({"notes.txt": b"hello"}), UNREADABLE),
        HostileFile("xlsx-as-csv", "calls.csv", good_xlsx, "this is an excel (xlsx) file"),
        HostileFile("empty", "calls.csv", b"", "the file is empty"),
        HostileFile("empty-xlsx", "calls.xlsx", b"", "the file is empty"),
        HostileFile("blank-lines", "calls.csv", b"\r\n \r\n\t\r\n", "the file is empty"),
        HostileFile("headers-only", "calls.csv", csv_bytes([headers]), "no data rows"),
        HostileFile("headers-only-xlsx", "calls.xlsx", workbook([headers]), "no data rows"),
        HostileFile("missing-header", "calls.csv", csv_bytes([row, row]), "missing column"),
        HostileFile(
            "duplicate-header",
            "calls.csv",
            csv_bytes([[*headers, headers[0]], [*row, row[0]]]),
            "duplicate column name",
        ),
        HostileFile(
            "blank-header",
            "calls.csv",
            csv_bytes([[headers[0], "", *headers[1:]], [row[0], "x", *row[1:]]]),
            "column 2 has no name",
        ),
        HostileFile(
            "stray-values",
            "calls.csv",
            csv_bytes([headers, [*row, "12", "5"]]),
            "unquoted separator",
        ),
        HostileFile(
            "unclosed-quote",
            "calls.csv",
            csv_bytes([headers]) + b'"' + csv_bytes([row]) * 3,
            "quotes do not match",
        ),
        HostileFile(
            "zip-bomb-declared",
            "calls.xlsx",
            with_declared_size(good_xlsx, SHEET_PART, 2**32 - 1),
            UNSAFE,
        ),
        HostileFile("zip-bomb-real", "calls.xlsx", zip_of({SHEET_PART: bytes(40 * MB)}), UNSAFE),
        HostileFile(
            "zip-lying-small",
            "calls.xlsx",
            with_declared_size(good_xlsx, SHEET_PART, 10),
            UNREADABLE,
        ),
        HostileFile("row-bomb", "calls.xlsx", row_bomb(2_000_000), "more than 16,384 cells"),
        HostileFile(
            "text-bomb",
            "calls.xlsx",
            workbook([list(headers), ["z" * (3 * MB), *row[1:]]]),
            "more than 1 mb of text",
        ),
        HostileFile(
            "billion-laughs-sheet",
            "calls.xlsx",
            workbook(sheet_prolog=BILLION_LAUGHS, sheet_data=entity_row),
            ENTITIES,
        ),
        HostileFile(
            "billion-laughs-shared",
            "calls.xlsx",
            workbook(
                sheet_data=shared_rows,
                shared_prolog=BILLION_LAUGHS,
                shared_items="<si><t>&lol9;</t></si>" * len(shared_refs),
            ),
            ENTITIES,
        ),
        HostileFile(
            "xxe-sheet",
            "calls.xlsx",
            workbook(sheet_prolog=xxe, sheet_data=xxe_row),
            ENTITIES,
        ),
        HostileFile(
            "xxe-shared",
            "calls.xlsx",
            workbook(
                sheet_data=shared_rows,
                shared_prolog=xxe,
                shared_items="<si><t>&xxe;</t></si>" * len(shared_refs),
            ),
            ENTITIES,
        ),
        HostileFile(
            "utf16-billion-laughs-sheet",
            "calls.xlsx",
            workbook(sheet_prolog=BILLION_LAUGHS, sheet_data=entity_row, sheet_encoding="UTF-16"),
            ENTITIES,
        ),
        HostileFile(
            "utf16-no-mark-xxe-sheet",
            "calls.xlsx",
            workbook(sheet_prolog=xxe, sheet_data=xxe_row, sheet_encoding="utf-16-le"),
            ENTITIES,
        ),
        HostileFile(
            "utf16-row-bomb",
            "calls.xlsx",
            workbook(
                sheet_data='<row r="1">' + "<c/>" * 20_000 + "</row>", sheet_encoding="UTF-16-BE"
            ),
            "more than 16,384 cells",
        ),
        HostileFile(
            "row-bomb-in-a-sheet-not-named-xml",
            "calls.xlsx",
            renamed_sheet(row_bomb(20_000), "sheet1.dat"),
            "more than 16,384 cells",
        ),
        HostileFile(
            "ebcdic-sheet",
            "calls.xlsx",
            workbook(good, sheet_encoding="cp037"),
            UNREADABLE,
        ),
        HostileFile(
            "declared-latin1-sheet",
            "calls.xlsx",
            workbook(good, sheet_encoding="ISO-8859-1"),
            "which excel never writes",
        ),
        HostileFile(
            "long-header",
            "calls.csv",
            csv_bytes([[*headers, "h" * 10_001], [*row, "x"]]),
            "column name is too long",
        ),
        HostileFile(
            "long-cell",
            "calls.csv",
            csv_bytes([[*headers, "Notes2"], [*row, "x" * 10_001]]),
            "longer than 10,000 characters",
        ),
        HostileFile(
            "long-cell-xlsx",
            "calls.xlsx",
            workbook([[*headers, "Notes2"], [*row, "x" * 10_001]], shared_strings=True),
            "longer than 10,000 characters",
        ),
        HostileFile(
            "control-character",
            "calls.csv",
            csv_bytes([[*headers, "Notes2"], [*row, "ring \x07 the bell"]]),
            "contains a control character (u+0007)",
        ),
        HostileFile(  # issue 17: NULs were dropped, "8<NUL>0" read as 80
            "nul-in-a-value",
            "calls.csv",
            csv_bytes([headers, [*row[:-1], f"{row[-1][:1]}\x00{row[-1][1:]}"]]),
            "contains a control character (u+0000)",
        ),
        HostileFile(
            "nul-in-a-text",
            "calls.csv",
            csv_bytes([[*headers, "Notes2"], [*row, "before\x00after"]]),
            "contains a control character (u+0000)",
        ),
        HostileFile(
            "utf8-with-a-latin1-byte",
            "calls.csv",
            csv_bytes([[*headers, "Notes2"], [*row, "Grüße"]])
            + csv_bytes([row]).replace(b"\r\n", b"\xe4\r\n"),
            "byte 0xe4 is not utf-8",
        ),
        HostileFile(
            "huge-field",
            "calls.csv",
            csv_bytes([headers]) + b'"' + b"y" * 200_000 + b'"\r\n',
            "longer than 10,000 characters",
        ),
        HostileFile(
            "bad-utf16",
            "calls.csv",
            b"\xff\xfe"
            + "\r\n".join(",".join(map(str, r)) for r in good).encode("utf-16-le")
            + b"\x00",
            "not valid utf-16",
        ),
        HostileFile(
            "shared-shape",  # shared strings that point past the table: damaged
            "calls.xlsx",
            workbook(sheet_data=shared_rows.replace("<v>0</v>", "<v>99999</v>"), shared_items=""),
            UNREADABLE,
        ),
    ]


def odd_but_valid_files(
    headers: Sequence[str], rows: Sequence[Sequence[object]]
) -> list[HostileFile]:
    """Unusual encodings and separators that an importer accepts like plain UTF-8 CSV."""
    table = [list(headers), *map(list, rows)]
    text = _csv(table)
    return [
        HostileFile("utf8", "calls.csv", text.encode("utf-8"), ""),
        HostileFile("utf8-bom", "calls.csv", text.encode("utf-8-sig"), ""),
        HostileFile("utf16-bom", "calls.csv", text.encode("utf-16"), ""),
        HostileFile("utf16-tab", "calls.txt", _csv(table, "\t").encode("utf-16"), ""),
        HostileFile("cp1252-semicolon", "calls.csv", _csv(table, ";").encode("cp1252"), ""),
        HostileFile("latin1-tab", "calls.tsv", _csv(table, "\t").encode("latin-1"), ""),
        HostileFile("lf-only", "calls.csv", text.replace("\r\n", "\n").encode(), ""),
        HostileFile("xlsx-inline", "calls.xlsx", workbook(table), ""),
        HostileFile("xlsx-shared", "calls.xlsx", workbook(table, shared_strings=True), ""),
        HostileFile("xlsx-utf16-sheet", "calls.xlsx", workbook(table, sheet_encoding="UTF-16"), ""),
        HostileFile(
            "xlsx-utf16-sheet-no-mark",
            "calls.xlsx",
            workbook(table, sheet_encoding="utf-16-le"),
            "",
        ),
        HostileFile(
            "xlsx-whole-sheet-merge",
            "calls.xlsx",
            workbook(
                table,
                dimension="A1:XFD1048576",
                sheet_extra='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>',
            ),
            "",
        ),
    ]
