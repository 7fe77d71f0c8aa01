"""Unit tests for qa_app.uploads.reader: reading exported CSV/XLSX files and parsing their cells."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_app.uploads.cells import (
    is_blank,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_duration_seconds,
    parse_int,
    parse_percentage,
)
from qa_app.uploads.columns import CHOOSE_COLUMN, map_columns
from qa_app.uploads.reader import (
    MAX_CELL_CHARS,
    Problem,
    Table,
    TableError,
    normalise_header,
    read_table,
)

MB = 1024 * 1024


def read(data: bytes, name: str = "export.csv", **limits: Any) -> Table:
    """read_table with generous default limits."""
    limits.setdefault("max_bytes", 5 * MB)
    limits.setdefault("max_rows", 1000)
    return read_table(data, name, **limits)


def fails(data: bytes, name: str = "export.csv", **limits: Any) -> list[str]:
    """The problems read_table reports, as the strings a user sees."""
    with pytest.raises(TableError) as caught:
        read(data, name, **limits)
    assert str(caught.value) == "; ".join(str(p) for p in caught.value.problems)
    return [str(problem) for problem in caught.value.problems]


def xlsx(*rows: list[Any], title: str = "Sheet1", more_sheets: tuple[str, ...] = ()) -> bytes:
    """An XLSX workbook written by openpyxl, with `rows` appended to its first sheet."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for name in more_sheets:
        other = workbook.create_sheet(name)
        other.append(["other"])
        other.append(["value"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def patch_zip(data: bytes, member: str, change: Callable[[str], str]) -> bytes:
    """A copy of a zip archive with one member's text changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                changed = change(content.decode())
                assert changed != content.decode(), "the patch did not apply"
                content = changed.encode()
            target.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


# --- CSV: encodings, separators, quoting, row numbers -----------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("utf-16", b"")],
    ids=["utf-8", "utf-8-bom", "windows-1252", "utf-16-excel-unicode-text"],
)
def test_csv_encodings(encoding: str, prefix: bytes) -> None:
    text = "Agent;Name;Bonus\nA1;Müller;5 €\nA2;Zoë Ärger;\n"
    table = read(prefix + text.encode(encoding))
    assert table.headers == ["Agent", "Name", "Bonus"]
    assert table.rows == [(2, ["A1", "Müller", "5 €"]), (3, ["A2", "Zoë Ärger", ""])]


def test_windows_1252_bytes_really_are_not_utf8() -> None:
    data = "Name\nMüller €\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read(data).rows == [(2, ["Müller €"])]


def test_bytes_undefined_in_windows_1252_fall_back_to_latin_1() -> None:
    table = read(b"Name\nA\x81\x8dB\n")
    assert table.rows == [(2, ["A\x81\x8dB"])]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Agent;Name\nA1;Hämäläinen\n".encode(), "UTF-8"),
        ("Agent;Name\nA1;Hämäläinen\n".encode("utf-8-sig"), "UTF-8"),
        ("Agent;Name\nA1;Hämäläinen\n".encode("utf-16"), "UTF-16"),
        ("Agent;Name\nA1;Hämäläinen\n".encode("utf-16-le"), "UTF-16 (without byte order mark)"),
        ("Agent;Name\nA1;Hämäläinen\n".encode("utf-16-be"), "UTF-16 (without byte order mark)"),
        ("Agent;Name\nA1;Hämäläinen\n".encode("cp1252"), "Windows-1252"),
        (b"Agent;Name\nA1;H\x81m\n", "ISO-8859-1"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "utf-16le-no-bom", "utf-16be-no-bom", "1252", "latin-1"],
)
def test_the_encoding_a_file_was_read_in_is_given_with_its_table(
    data: bytes, encoding: str
) -> None:
    """Issue 17: UTF-16 without a byte order mark was refused with a confusing message, and
    nothing said which encoding was used."""
    table = read(data)
    assert table.encoding == encoding
    assert table.headers == ["Agent", "Name"]
    assert table.rows[0][1][0] == "A1"
    if encoding != "ISO-8859-1":
        assert table.rows == [(2, ["A1", "Hämäläinen"])]
    assert read(xlsx(["Agent"], ["A1"]), "e.xlsx").encoding is None


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf-8", "utf-8-bom"])
def test_a_utf8_file_with_a_byte_that_is_not_utf8_is_refused_at_its_line(bom: bytes) -> None:
    """Issue 17: one Latin-1 byte made the whole file read as Windows-1252, garbling every
    correctly encoded name ("HÃ¤mÃ¤lÃ¤inen")."""
    data = bom + "Agent;Name\nA1;Hämäläinen\nA2;Virtanen\n".encode() + b"A3;M\xe4ki\n"
    assert fails(data) == [
        "row 4: byte 0xE4 is not UTF-8, though the file is UTF-8 elsewhere (a value pasted "
        'from another program?); save the file again as "CSV UTF-8"'
    ]
    assert fails(b"\xef\xbb\xbfAgent;Name\nA1;M\xe4ki\n") == [
        "row 2: byte 0xE4 is not UTF-8, though the file is UTF-8 elsewhere (a value pasted "
        'from another program?); save the file again as "CSV UTF-8"'
    ]


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_separator_is_sniffed_from_the_header(separator: str) -> None:
    text = separator.join(["Agent", "AHT", "Note"]) + "\n"
    text += separator.join(["A1", "310", '"x, y; z"']) + "\n"
    table = read(text.encode())
    assert table.headers == ["Agent", "AHT", "Note"]
    assert table.rows == [(2, ["A1", "310", "x, y; z"])]


def test_german_export_with_semicolons_and_decimal_commas() -> None:
    table = read("Agent;AHT (min);CSAT %\nA1;4,5;85,5\n".encode("cp1252"))
    assert table.rows == [(2, ["A1", "4,5", "85,5"])]
    assert parse_decimal(table.rows[0][1][1]) == Decimal("4.5")
    assert parse_percentage(table.rows[0][1][2]) == Decimal("85.5")


def test_separators_inside_quoted_header_names_do_not_count() -> None:
    table = read(b'"Name, first";"Name, last";AHT\nAnna;Berg;300\n')
    assert table.headers == ["Name, first", "Name, last", "AHT"]


def test_ties_between_separators_prefer_semicolon_over_comma() -> None:
    table = read(b"Zeit, gesamt;Anrufe\n12,5;3\n")
    assert table.headers == ["Zeit, gesamt", "Anrufe"]
    assert table.rows == [(2, ["12,5", "3"])]


def test_quoted_newlines_keep_the_line_each_record_starts_on() -> None:
    data = b'id,note\n1,"line one\nline two\nline three"\n2,"say ""hi"""\n3,plain\n'
    table = read(data)
    assert table.rows == [
        (2, ["1", "line one\nline two\nline three"]),
        (5, ["2", 'say "hi"']),
        (6, ["3", "plain"]),
    ]


def test_empty_lines_are_skipped_and_row_numbers_kept() -> None:
    data = b"\n\nAgent,AHT\n\n A1 , 300 \n,,\n   \n\r\nA2,200\n"
    table = read(data)
    assert table.rows == [(5, ["A1", "300"]), (9, ["A2", "200"])]


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_endings(newline: str) -> None:
    table = read(newline.join(["a,b", "1,2", "", "3,4"]).encode())
    assert table.rows == [(2, ["1", "2"]), (4, ["3", "4"])]


def test_short_rows_are_padded_and_trailing_empty_columns_dropped() -> None:
    table = read(b"a;b;c;;\n1;2;3;;\n4\n")
    assert table.headers == ["a", "b", "c"]
    assert table.rows == [(2, ["1", "2", "3"]), (3, ["4", "", ""])]


def test_values_beyond_the_header_are_reported_with_their_row() -> None:
    assert fails(b"Agent,AHT\nA1,300\nA2,12,5\nA3,4,5,6\n") == [
        "row 3: 3 values but the header has 2 columns (unquoted separator?)",
        "row 4: 4 values but the header has 2 columns (unquoted separator?)",
    ]


def test_nul_bytes_are_refused_with_their_row_and_column() -> None:
    """Issue 17: NULs were dropped, so a count written "1<NUL>0" was read as 10."""
    assert fails(b"Agent,Calls,Notes\nA1,1\x000,ok\nA2,5,before\x00after\n") == [
        'row 2, column "Calls" ("1\ufffd0"): contains a control character (U+0000); remove it',
        'row 3, column "Notes" ("before\ufffdafter"): contains a control character (U+0000); '
        "remove it",
    ]
    assert fails(b"Na\x00me\nAnna\n") == [
        'row 1 ("Na\ufffdme"): column 1\'s name contains a control character'
    ]


def test_a_cell_may_hold_exactly_the_limit() -> None:
    long = "x" * MAX_CELL_CHARS
    assert read(f"id,note\n1,{long}\n".encode()).rows == [(2, ["1", long])]


def test_longer_cells_are_problems_with_row_and_column() -> None:
    long = "y" * (MAX_CELL_CHARS + 1)
    problems = fails(f"id,note\n1,ok\n2,{long}\n".encode())
    assert problems == [f'row 3, column "note" ("{"y" * 59}…"): longer than 10,000 characters']


def test_cells_beyond_the_csv_module_field_limit_are_problems_too() -> None:
    huge = "z" * 200_000
    assert fails(f'id,note\n1,"{huge}"\n'.encode()) == [
        "row 2: a value is longer than 10,000 characters"
    ]


def test_an_unclosed_quote_is_reported_not_swallowed() -> None:
    problems = fails(b'id,note\n1,ok\n2,"never closed\n3,lost\n')
    assert problems == [
        'row 3: quotes do not match (end a quoted value with " and double any " inside)'
    ]


# --- CSV: header problems, empty files, limits, wrong types -----------------------------


def test_blank_and_duplicate_header_names_are_all_named() -> None:
    assert fails(b"\nAgent,,AHT, agent ,Avg_AHT,avg aht\n1,2,3,4,5,6\n") == [
        "row 2: column 2 has no name",
        'row 2, column "agent": duplicate column name (columns 1 and 4)',
        'row 2, column "avg aht": duplicate column name (columns 5 and 6)',
    ]


@pytest.mark.parametrize(
    "data",
    [b"", b"\xef\xbb\xbf", b"\n\n  \n", b";;;\n;;\n"],
    ids=["0-bytes", "bom", "blank", "seps"],
)
def test_empty_files(data: bytes) -> None:
    assert fails(data) == ["the file is empty"]


def test_header_only() -> None:
    assert fails(b"Agent,AHT\n\n") == ["the file has a header row but no data rows"]


def test_byte_limit() -> None:
    data = b"a\n" + b"1\n" * 999
    assert len(read(data, max_bytes=len(data)).rows) == 999
    assert fails(data, max_bytes=len(data) - 1) == [
        "the file is 2,000 bytes; the limit is 1,999 bytes"
    ]
    assert fails(b"x" * (3 * MB), max_bytes=2 * MB) == ["the file is 3.0 MB; the limit is 2.0 MB"]


def test_row_limit() -> None:
    data = b"a\n1\n\n2\n3\n"
    assert len(read(data, max_rows=3).rows) == 3
    assert fails(data, max_rows=2) == [
        "more than 2 data rows; split the file or import a shorter period"
    ]


def test_row_limit_stops_reading_at_once() -> None:
    # The broken quote lies beyond the limit: reaching it would report a different problem.
    assert fails(b'a\n1\n2\n3\n"broken\n', max_rows=2) == [
        "more than 2 data rows; split the file or import a shorter period"
    ]


@pytest.mark.parametrize("name", ["stats.xls", "stats.pdf", "stats", "stats.csv.exe", "x.ods"])
def test_unsupported_file_types(name: str) -> None:
    hint = " (save .xls files as .xlsx in Excel first)" if name.endswith(".xls") else ""
    assert fails(b"a,b\n1,2\n", name) == [f"unsupported file type; upload CSV or XLSX{hint}"]


@pytest.mark.parametrize("name", ["STATS.CSV", "stats.txt", "stats.tsv", "C:\\fake.path\\x.Csv"])
def test_text_extensions_are_case_insensitive(name: str) -> None:
    assert read(b"a\n1\n", name).rows == [(2, ["1"])]


def test_workbooks_named_csv_are_recognised() -> None:
    assert fails(xlsx(["a"], [1])) == [
        "this is an Excel (XLSX) file, not CSV; upload it with the .xlsx extension"
    ]
    assert fails(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)) == [
        "this is an old Excel (.xls) file, not CSV; save it as CSV or XLSX"
    ]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["f.csv", "f.xlsx"]))
def test_any_bytes_give_a_table_or_a_table_error(data: bytes, name: str) -> None:
    try:
        table = read(data, name)
    except TableError as error:
        assert error.problems
    else:
        assert table.headers and table.rows
        assert all(isinstance(number, int) and number >= 2 for number, _ in table.rows)


# --- XLSX --------------------------------------------------------------------------------


def test_xlsx_values_keep_their_types() -> None:
    data = xlsx(
        ["Agent", "Calls", "AHT", "Day", "Start", "Talk", "Ok", "Note"],
        ["A1", 42, 310.5, date(2026, 3, 1), time(9, 30), timedelta(hours=2, seconds=5), True, None],
    )
    table = read(data, "stats.xlsx")
    assert table.headers == ["Agent", "Calls", "AHT", "Day", "Start", "Talk", "Ok", "Note"]
    assert table.rows == [
        (
            2,
            [
                "A1",
                42,
                310.5,
                datetime(2026, 3, 1),
                time(9, 30),
                timedelta(hours=2, seconds=5),
                True,
                None,
            ],
        )
    ]
    assert parse_duration_seconds(table.rows[0][1][5]) == 7205


def test_xlsx_rows_keep_their_sheet_numbers() -> None:
    data = xlsx([], [None, None], ["Agent", "AHT"], ["A1", 1], [], [None, "  "], ["A2", 2])
    table = read(data, "stats.xlsx")
    assert table.headers == ["Agent", "AHT"]
    assert table.rows == [(4, ["A1", 1]), (7, ["A2", 2])]


def test_xlsx_text_is_stripped_and_blank_text_is_none() -> None:
    table = read(xlsx(["  Agent ", "Note"], ["  A1  ", "   "], ["A2", " ok\n"]), "s.xlsx")
    assert table.headers == ["Agent", "Note"]
    assert table.rows == [(2, ["A1", None]), (3, ["A2", "ok"])]


def test_formulas_come_back_as_cached_values_never_as_formula_text() -> None:
    data = xlsx(["a", "b", "sum", "text", "plain"], [1, 2, "=A2+B2", '="x"&"y"', 7])
    # openpyxl cannot calculate: its file has no cached results, so these cells are empty.
    assert read(data, "f.xlsx").rows == [(2, [1, 2, None, None, 7])]
    # Excel stores the last result beside each formula; give the file those results.
    with_results = patch_zip(
        data,
        SHEET,
        lambda xml: xml.replace("<f>A2+B2</f><v></v>", "<f>A2+B2</f><v>3</v>").replace(
            '<c r="D2"><f>"x"&amp;"y"</f><v></v>', '<c r="D2" t="str"><f>"x"&amp;"y"</f><v>xy</v>'
        ),
    )
    assert read(with_results, "f.xlsx").rows == [(2, [1, 2, 3, "xy", 7])]


def test_percentage_cells_read_as_the_user_sees_them() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["CSAT", "Plain", "Literal"])
    sheet.append([0.855, 0.855, 0.5])
    sheet["A2"].number_format = "0.0%"
    sheet["C2"].number_format = '0.0"%"'  # shows a % sign but does not scale
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read(buffer.getvalue(), "p.xlsx").rows == [(2, [85.5, 0.855, 0.5])]


def test_cells_right_of_the_header_are_ignored() -> None:
    table = read(xlsx(["Agent", "AHT"], ["A1", 300, None, "side note"], [None, None, 99]), "s.xlsx")
    assert table.rows == [(2, ["A1", 300])]


def test_a_wrong_sheet_dimension_does_not_cut_data() -> None:
    data = patch_zip(
        xlsx(["a", "b"], [1, 2], [3, 4]),
        SHEET,
        lambda xml: xml.replace('<dimension ref="A1:B3"/>', '<dimension ref="A1"/>'),
    )
    assert read(data, "s.xlsx").rows == [(2, [1, 2]), (3, [3, 4])]


def test_sheets_first_by_default_or_by_name() -> None:
    data = xlsx(["Agent"], ["A1"], title="Export", more_sheets=("Notes",))
    assert read(data, "s.xlsx").headers == ["Agent"]
    assert read(data, "s.xlsx", sheet="Notes").headers == ["other"]
    assert fails(data, "s.xlsx", sheet="Stats") == [
        'no worksheet named "Stats"; the workbook has: Export, Notes'
    ]


def test_openpyxl_warnings_do_not_escape() -> None:
    extension = (
        '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"/></extLst>'
    )
    data = patch_zip(
        xlsx(["a"], [1]), SHEET, lambda xml: xml.replace("</worksheet>", extension + "</worksheet>")
    )
    with pytest.warns(UserWarning, match="extension is not supported"):  # the file does warn
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        list(workbook.worksheets[0].values)
        workbook.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read(data, "s.xlsx").rows == [(2, [1])]


def test_xlsx_header_problems_use_sheet_rows() -> None:
    assert fails(xlsx([], ["Agent", None, "agent"], [1, 2, 3]), "s.xlsx") == [
        "row 2: column 2 has no name",
        'row 2, column "agent": duplicate column name (columns 1 and 3)',
    ]


def test_xlsx_long_cells_are_problems() -> None:
    long = "q" * (MAX_CELL_CHARS + 5)
    assert fails(xlsx(["id", "note"], [1, "short"], [2, long]), "s.xlsx") == [
        f'row 3, column "note" ("{"q" * 59}…"): longer than 10,000 characters'
    ]


def test_xlsx_empty_and_header_only() -> None:
    assert fails(xlsx(), "s.xlsx") == ['the worksheet "Sheet1" is empty']
    assert fails(xlsx(["Agent", "AHT"]), "s.xlsx") == ["the file has a header row but no data rows"]


def test_xlsx_row_limit() -> None:
    data = xlsx(["a"], [1], [2], [None], [3])
    assert [number for number, _ in read(data, "s.xlsx", max_rows=3).rows] == [2, 3, 5]
    assert fails(data, "s.xlsx", max_rows=2) == [
        "more than 2 data rows; split the file or import a shorter period"
    ]


def test_xlsx_byte_limit() -> None:
    data = xlsx(["a"], [1])
    assert fails(data, "s.xlsx", max_bytes=len(data) - 1)[0].startswith("the file is ")


UNREADABLE = "could not read this XLSX file; it may be damaged (open it in Excel and save it again)"


def _zip(members: dict[str, bytes]) -> bytes:
    """A zip archive holding `members`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (bytes(range(256)) * 4, "this is not an XLSX workbook"),
        (
            b"Agent,AHT\nA1,300\n",
            "this is not an XLSX workbook (it looks like a text or CSV file; "
            "upload it with a .csv name)",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
            "this is an old Excel 97-2003 (.xls) file or a password-protected workbook; "
            "save it as .xlsx without a password, or as CSV",
        ),
        (b"PK\x03\x04" + bytes(200), UNREADABLE),
        (_zip({"hello.txt": b"not a workbook"}), UNREADABLE),
        (xlsx(["a"], [1])[:1500], UNREADABLE),
        (
            _zip({"[Content_Types].xml": bytes(11 * MB)}),
            "this XLSX file unpacks to far more data than its size suggests; refused as unsafe",
        ),
    ],
    ids=["random", "csv-renamed", "xls", "zip-header-only", "other-zip", "truncated", "zip-bomb"],
)
def test_bad_xlsx_files_get_a_friendly_problem(data: bytes, problem: str) -> None:
    assert fails(data, "upload.xlsx") == [problem]


def test_xml_entity_expansion_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    data = patch_zip(
        xlsx(["a"], ["x"]),
        SHEET,
        lambda xml: (
            bomb + xml.replace('t="inlineStr"><is><t>x</t>', 't="inlineStr"><is><t>&lol2;</t>')
        ),
    )
    assert fails(data, "s.xlsx") == [
        "this XLSX file declares XML entities (a document type declaration), which Excel "
        "never writes; refused as unsafe"
    ]


# --- headers and column mapping ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Avg_Handle-Time ", "avg handle time"),
        ("\ufeffAgent ID", "agent id"),
        ("  AGENT__ID  ", "agent id"),
        ("agent.id", "agent id"),
        ("Agent -_. Id", "agent id"),
        ("CSAT %", "csat %"),
        ("", ""),
    ],
)
def test_normalise_header(text: str, key: str) -> None:
    assert normalise_header(text) == key


ALIASES = {
    "agent_id": ["Agent ID", "Login", "Agent"],
    "handle_seconds": ["AHT", "Avg Handle Time"],
    "queue": [],
}


def test_map_columns_by_alias_ignoring_case_spaces_and_extra_columns() -> None:
    headers = ["Date", "LOGIN", "avg_handle-time", "Queue ", "Whatever"]
    assert map_columns(headers, ALIASES, required=["agent_id", "handle_seconds"]) == {
        "agent_id": 1,
        "handle_seconds": 2,
        "queue": 3,
    }


def test_map_columns_leaves_out_missing_optional_fields() -> None:
    assert map_columns(["agent_id", "aht"], ALIASES, required=iter(["agent_id"])) == {
        "agent_id": 0,
        "handle_seconds": 1,
    }


def test_map_columns_required_field_without_aliases() -> None:
    assert map_columns(["Team Name"], {}, required=["team_name"]) == {"team_name": 0}


def test_map_columns_lists_every_missing_required_column() -> None:
    with pytest.raises(TableError) as caught:
        map_columns(["Date", "Queue"], ALIASES, required=["agent_id", "handle_seconds", "day"])
    assert [str(problem) for problem in caught.value.problems] == [
        'missing column "agent_id" (accepted names: "agent_id", "Agent ID", "Login", "Agent")',
        'missing column "handle_seconds" (accepted names: "handle_seconds", "AHT", '
        '"Avg Handle Time")',
        'missing column "day" (accepted names: "day")',
    ]


def test_map_columns_refuses_a_field_matched_twice() -> None:
    with pytest.raises(TableError) as caught:
        map_columns(["Agent ID", "Login", "Queue", "queue_", "x"], ALIASES, required=["agent_id"])
    assert [str(problem) for problem in caught.value.problems] == [
        f'columns "Agent ID", "Login" could each be "agent_id"; {CHOOSE_COLUMN}',
        f'columns "Queue", "queue_" could each be "queue"; {CHOOSE_COLUMN}',
    ]


# --- problems ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (
            Problem(7, "AHT", "1:2x:00", "not a duration (use seconds or hh:mm:ss)"),
            'row 7, column "AHT" ("1:2x:00"): not a duration (use seconds or hh:mm:ss)',
        ),
        (Problem(7, "AHT", None, "empty"), 'row 7, column "AHT": empty'),
        (Problem(7, None, None, "too wide"), "row 7: too wide"),
        (Problem(None, "AHT", None, "missing"), 'column "AHT": missing'),
        (Problem(None, None, None, "the file is empty"), "the file is empty"),
    ],
)
def test_problem_text(problem: Problem, text: str) -> None:
    assert str(problem) == text


def test_problem_at_shortens_values_for_display() -> None:
    assert Problem.at(3, "Note", "a\nb " + "c" * 100, "why").value == "a b " + "c" * 55 + "…"
    assert Problem.at(3, "When", datetime(2026, 3, 1), "why").value == "2026-03-01 00:00:00"
    assert Problem.at(3, "Empty", None, "why").value is None


def test_table_error_message_lists_problems_and_counts_the_rest() -> None:
    problems = [Problem(row, "AHT", "x", "not a number") for row in range(2, 27)]
    error = TableError(problems)
    assert error.problems == problems
    assert isinstance(error, ValueError)
    assert str(error).startswith('row 2, column "AHT" ("x"): not a number; row 3,')
    assert str(error).endswith('row 21, column "AHT" ("x"): not a number; … and 5 more problems')


# --- cell parsers ------------------------------------------------------------------------

GOOD: list[tuple[Callable[[Any], Any], Any, Any]] = [
    (parse_int, "42", 42),
    (parse_int, " 7 ", 7),
    (parse_int, "-3", -3),
    (parse_int, "+4", 4),
    (parse_int, "1,234", 1234),
    (parse_int, "1.234", 1234),
    (parse_int, "1 234 567", 1234567),
    (parse_int, "1,234,567", 1234567),
    (parse_int, "5.0", 5),
    (parse_int, "5,00", 5),
    (parse_int, 12, 12),
    (parse_int, 12.0, 12),
    (parse_decimal, "1,234.5", Decimal("1234.5")),
    (parse_decimal, "1.234,5", Decimal("1234.5")),
    (parse_decimal, "12,5", Decimal("12.5")),
    (parse_decimal, " 7 ", Decimal(7)),
    (parse_decimal, "1.234", Decimal("1.234")),
    (parse_decimal, "0,855", Decimal("0.855")),
    (parse_decimal, "1.234.567,89", Decimal("1234567.89")),
    (parse_decimal, "1'234.5", Decimal("1234.5")),
    (parse_decimal, "1\u00a0234,5", Decimal("1234.5")),
    (parse_decimal, "\u22123.5", Decimal("-3.5")),
    (parse_decimal, ".5", Decimal("0.5")),
    (parse_decimal, "1.5E-3", Decimal("0.0015")),
    (parse_decimal, 0.1, Decimal("0.1")),
    (parse_decimal, 3, Decimal(3)),
    (parse_duration_seconds, "90", 90),
    (parse_duration_seconds, 90, 90),
    (parse_duration_seconds, 90.5, 91),
    (parse_duration_seconds, "90,4", 90),
    (parse_duration_seconds, "4:30", 270),
    (parse_duration_seconds, "75:00", 4500),
    (parse_duration_seconds, "01:02:03", 3723),
    (parse_duration_seconds, "1:02:03.5", 3724),
    (parse_duration_seconds, "1:02:03,250", 3723),
    (parse_duration_seconds, "100:00:00", 360000),
    (parse_duration_seconds, "0:00", 0),
    (parse_duration_seconds, time(0, 5, 10), 310),
    (parse_duration_seconds, time(0, 0, 1, 600_000), 2),
    (parse_duration_seconds, timedelta(days=1, minutes=1), 86460),
    (parse_date, "2026-03-01", date(2026, 3, 1)),
    (parse_date, "2026-3-1", date(2026, 3, 1)),
    (parse_date, "01.03.2026", date(2026, 3, 1)),
    (parse_date, "1.3.2026", date(2026, 3, 1)),
    (parse_date, "2026-03-01 14:05", date(2026, 3, 1)),
    (parse_date, datetime(2026, 3, 1, 0, 0), date(2026, 3, 1)),
    (parse_date, date(2026, 3, 1), date(2026, 3, 1)),
    (parse_date, "2024-02-29", date(2024, 2, 29)),
    (parse_datetime, "2026-03-01 14:05", datetime(2026, 3, 1, 14, 5)),
    (parse_datetime, "2026-03-01T14:05:00", datetime(2026, 3, 1, 14, 5)),
    (parse_datetime, "01.03.2026 14:05", datetime(2026, 3, 1, 14, 5)),
    (parse_datetime, "2026-03-01 14:05:00.25", datetime(2026, 3, 1, 14, 5, 0, 250_000)),
    (parse_datetime, "2026-03-01", datetime(2026, 3, 1)),
    (parse_datetime, datetime(2026, 3, 1, 14, 5), datetime(2026, 3, 1, 14, 5)),
    (parse_datetime, date(2026, 3, 1), datetime(2026, 3, 1)),
    (parse_percentage, "85", Decimal(85)),
    (parse_percentage, "85%", Decimal(85)),
    (parse_percentage, "85,5 %", Decimal("85.5")),
    (parse_percentage, "0.855", Decimal("0.855")),
    (parse_percentage, "100", Decimal(100)),
    (parse_percentage, "0", Decimal(0)),
    (parse_percentage, 85.5, Decimal("85.5")),
    (parse_bool, "yes", True),
    (parse_bool, " No ", False),
    (parse_bool, "TRUE", True),
    (parse_bool, "false", False),
    (parse_bool, "1", True),
    (parse_bool, "0", False),
    (parse_bool, "y", True),
    (parse_bool, "ja", True),
    (parse_bool, "Nein", False),
    (parse_bool, "tak", True),
    (parse_bool, "Nie", False),
    (parse_bool, "kyllä", True),
    (parse_bool, "ei", False),
    (parse_bool, "nei", False),
    (parse_bool, "WAHR", True),
    (parse_bool, True, True),
    (parse_bool, 0, False),
    (parse_bool, 1.0, True),
]


@pytest.mark.parametrize(
    ("parser", "value", "expected"),
    GOOD,
    ids=[f"{parser.__name__}-{value!r}" for parser, value, _ in GOOD],
)
def test_parsers_accept(parser: Callable[[Any], Any], value: Any, expected: Any) -> None:
    result = parser(value)
    assert result == expected
    assert type(result) is type(expected)


AMBIGUOUS = "ambiguous number (thousands separator or decimal comma?); write it without one"
BAD: list[tuple[Callable[[Any], Any], Any, str]] = [
    (parse_int, "abc", "not a whole number"),
    (parse_int, "12,5", "not a whole number"),
    (parse_int, "1.5", "not a whole number"),
    (parse_int, 1.5, "not a whole number"),
    (parse_int, True, "not a whole number"),
    (parse_int, "", "empty"),
    (parse_int, None, "empty"),
    (parse_int, "1,2,3", "not a whole number"),
    (parse_int, "--5", "not a whole number"),
    (parse_decimal, "abc", "not a number"),
    (parse_decimal, "1,234", AMBIGUOUS),
    (parse_decimal, "1.234.5", "not a number"),
    (parse_decimal, "1,234,5", "not a number"),
    (parse_decimal, "1.234.567,8.9", "not a number"),
    (parse_decimal, "12 5", "not a number"),
    (parse_decimal, "-", "not a number"),
    (parse_decimal, "nan", "not a number"),
    (parse_decimal, "inf", "not a number"),
    (parse_decimal, float("nan"), "not a number"),
    (parse_decimal, "  ", "empty"),
    (parse_decimal, False, "not a number"),
    (parse_decimal, date(2026, 3, 1), "not a number"),
    (parse_duration_seconds, "1:2x:00", "not a duration (use seconds or hh:mm:ss)"),
    (parse_duration_seconds, "abc", "not a duration (use seconds or hh:mm:ss)"),
    (parse_duration_seconds, "1:5", "not a duration (use seconds or hh:mm:ss)"),
    (parse_duration_seconds, "1:02:03:04", "not a duration (use seconds or hh:mm:ss)"),
    (parse_duration_seconds, "-5", "negative duration"),
    (parse_duration_seconds, "-0:05", "negative duration"),
    (parse_duration_seconds, -1.5, "negative duration"),
    (parse_duration_seconds, timedelta(seconds=-3), "negative duration"),
    (parse_duration_seconds, "1:60:00", "minutes and seconds must be below 60"),
    (parse_duration_seconds, "4:75", "minutes and seconds must be below 60"),
    (parse_duration_seconds, "1,234", AMBIGUOUS),
    (parse_duration_seconds, datetime(2026, 3, 1, 0, 5), "a date, not a duration"),
    (parse_duration_seconds, "", "empty"),
    (parse_date, "2026-02-30", "no such date"),
    (parse_date, "31.04.2026", "no such date"),
    (parse_date, "2026-13-01", "no such date"),
    (parse_date, "01.03.26", "not a date (use YYYY-MM-DD or DD.MM.YYYY)"),
    (parse_date, "March 1, 2026", "not a date (use YYYY-MM-DD or DD.MM.YYYY)"),
    (parse_date, "46082", "not a date (use YYYY-MM-DD or DD.MM.YYYY)"),
    (parse_date, 46082, "a number, not a date (format the column as a date in Excel)"),
    (parse_date, time(9, 0), "a time of day without a date"),
    (parse_date, "", "empty"),
    (parse_date, True, "not a date (use YYYY-MM-DD or DD.MM.YYYY)"),
    (parse_datetime, "2026-02-30 10:00", "no such date"),
    (parse_datetime, "2026-03-01 24:00", "no such time of day"),
    (parse_datetime, "2026-03-01 14:61", "no such time of day"),
    (parse_datetime, "2026-03-01 14", "not a date and time (use YYYY-MM-DD hh:mm)"),
    (parse_datetime, "tomorrow", "not a date and time (use YYYY-MM-DD hh:mm)"),
    (parse_datetime, time(14, 5), "a time of day without a date"),
    (parse_datetime, 46082.5, "a number, not a date (format the column as a date in Excel)"),
    (parse_datetime, None, "empty"),
    (parse_percentage, "100.5", "more than 100%"),
    (parse_percentage, "120 %", "more than 100%"),
    (parse_percentage, "-1", "negative percentage"),
    (parse_percentage, "abc", "not a number"),
    (parse_percentage, "%", "empty"),
    (parse_percentage, "1,234", AMBIGUOUS),
    (parse_bool, "maybe", "not yes or no (use yes/no, true/false or 1/0)"),
    (parse_bool, 2, "not yes or no (use yes/no, true/false or 1/0)"),
    (parse_bool, "", "empty"),
    (parse_bool, None, "empty"),
]


@pytest.mark.parametrize(
    ("parser", "value", "reason"),
    BAD,
    ids=[f"{parser.__name__}-{value!r}" for parser, value, _ in BAD],
)
def test_parsers_reject_with_a_reason(
    parser: Callable[[Any], Any], value: Any, reason: str
) -> None:
    with pytest.raises(ValueError) as caught:
        parser(value)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("value", "blank"), [(None, True), ("", True), (" \t", True), ("0", False), (0, False)]
)
def test_is_blank(value: object, blank: bool) -> None:
    assert is_blank(value) is blank


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from([",", ".", " ", "'"]))
def test_grouped_integers_round_trip(number: int, separator: str) -> None:
    text = f"{number:,}".replace(",", separator)
    assert parse_int(text) == number
    if separator in (" ", "'") or abs(number) >= 10**6 or abs(number) < 1000:
        assert parse_decimal(text) == number
