"""The shipped vendor presets: every file loads, a bad one is told by file and key, files are
recognised by their headers, and the header row is found below title lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qa_app.uploads.presets import (
    FOLDER,
    PresetError,
    load_preset,
    parse_preset,
    recognise,
    shipped_presets,
)
from qa_app.uploads.reader import TableError, read_table

GOOD: dict[str, Any] = {
    "name": "Acme",
    "report": "Agent report",
    "kind": "statistics",
    "source": "https://example.test/docs",
    "layout": "documented",
    "columns": {"Agent ID": "agent", "Calls": "contacts_handled", "Date": "day"},
}


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.toml")), ids=lambda path: path.stem)
def test_every_shipped_preset_loads(path: Path) -> None:
    preset = load_preset(path)
    assert preset.title == f"{preset.name} — {preset.report}"
    assert preset.source.startswith(("https://", "http://"))  # the documentation's URL
    assert preset.layout == "documented" or preset.note  # unverified layouts say so


def test_the_issue_s_systems_are_shipped() -> None:
    names = {preset.name for preset in shipped_presets()}
    assert names == {
        "Amazon Connect", "Genesys Cloud", "Five9", "Avaya CMS", "Cisco CUIC",
        "Twilio Flex Insights", "Zendesk", "Zendesk Explore", "Talkdesk", "Freshdesk",
        "Deutsche ACD", "Polska ACD",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        ({"kind": "calls"}, "kind", '"calls" is not one of statistics, interactions'),
        ({"source": "docs"}, "source", "must be the URL of the layout's documentation"),
        ({"layout": "representative"}, "note",
         "a representative layout must say what is not verified"),
        ({"colour": "red"}, "colour", "unknown key"),
        ({"columns": {"Agent ID": "agent", "Calls": "calls"}}, "columns.Calls",
         '"calls" is not a statistics field'),
        ({"columns": {"Calls": "contacts_handled"}}, "columns", "names no column for the agent"),
        ({"columns": {"Agent": "agent", "agent_": "agent"}}, "columns.agent_",
         'the same column as "Agent"'),
        ({"units": {"handle_seconds": "jiffies"}}, "units.handle_seconds",
         '"jiffies" is not one of seconds, milliseconds, minutes, hours, day_fraction'),
        ({"channels": {"voice": "phone"}}, "channels", "the preset names no channel column"),
        ({"date_order": "sideways"}, "date_order", '"sideways" is not one of'),
        ({"ignore": ["Agent ID"]}, "ignore.Agent ID", "is also in columns"),
    ],
)  # fmt: skip
def test_a_bad_preset_is_told_by_file_and_key(
    change: dict[str, Any], key: str, reason: str
) -> None:
    with pytest.raises(PresetError) as caught:
        parse_preset("acme.toml", GOOD | change)
    assert (caught.value.file, caught.value.key) == ("acme.toml", key)
    assert caught.value.reason.startswith(reason)
    assert str(caught.value).startswith(f"preset acme.toml: {key}: ")


def test_a_preset_that_is_not_toml_is_told(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "unclosed\n')
    with pytest.raises(PresetError, match=r"^preset broken.toml: \(file\): not valid TOML"):
        load_preset(path)


def test_missing_keys_are_told() -> None:
    data = dict(GOOD)
    del data["source"]
    with pytest.raises(PresetError, match="^preset acme.toml: source: missing$"):
        parse_preset("acme.toml", data)


def test_recognition_needs_the_agent_column_and_half_the_columns() -> None:
    genesys = ["Interval Start", "Media Type", "Agent Id", "Agent Name", "Handle",
               "Total Handle", "Total Talk", "Total Hold", "Total ACW"]  # fmt: skip
    found = recognise(genesys, "statistics")
    assert found is not None and found.name == "Genesys Cloud"
    assert recognise(genesys, "interactions") is None  # another kind
    assert recognise([h for h in genesys if h != "Agent Id"], "statistics") is None
    # A plain file sharing a few common names is not taken for a vendor's export.
    assert recognise(["Agent", "Interval", "Contacts Handled", "Handle Time"], "statistics") is None
    assert recognise(["Agent", "Group", "Description", "Channel", "Date"], "interactions") is None
    # Five9's names, in another case, but not its count column "CALLS count".
    plain = ["Agent", "Date", "Calls Handled", "Handle Time", "Talk Time", "Hold Time", "ACW"]
    assert recognise(plain, "statistics") is None


# ------------------------------------------------------------------------ finding the header

KNOWN = frozenset({"agent", "date", "calls handled"})
TITLED = (
    b"Agent Group Summary\n"
    b"Date: 12/11/2026\n"
    b"\n"
    b"Agent,Date,Calls Handled\n"
    b"A-1,2026-11-02,oops\n"
    b"Totals,,12\n"
    b"A-2,2026-11-02,3\n"
)


def test_the_header_row_is_found_below_title_lines_with_the_rows_numbered_as_in_the_file() -> None:
    table = read_table(TITLED, "x.csv", max_bytes=10_000, max_rows=10, header_names=KNOWN)
    assert table.headers == ["Agent", "Date", "Calls Handled"]
    assert table.titles == ["Agent Group Summary", "Date: 12/11/2026"]
    # Row 6 (the totals row) is skipped; the rows keep the line numbers the user sees.
    assert table.rows == [(5, ["A-1", "2026-11-02", "oops"]), (7, ["A-2", "2026-11-02", "3"])]


def test_without_known_names_the_first_row_is_the_header_as_before() -> None:
    with pytest.raises(TableError) as caught:
        read_table(TITLED, "x.csv", max_bytes=10_000, max_rows=10)
    assert str(caught.value.problems[0]) == (
        "row 4: 3 values but the header has 1 column (unquoted separator?)"
    )


def test_a_semicolon_file_below_a_title_without_separators() -> None:
    data = "Agentenstatistik\nDatum;Agent;Angenommene Anrufe\n04.01.2027;A-1;42\nSumme;;42\n"
    known = frozenset({"datum", "agent", "angenommene anrufe"})
    table = read_table(data.encode(), "x.csv", max_bytes=10_000, max_rows=10, header_names=known)
    assert (table.headers, table.rows) == (
        ["Datum", "Agent", "Angenommene Anrufe"],
        [(3, ["04.01.2027", "A-1", "42"])],
    )


def test_the_header_row_is_found_in_a_workbook(tmp_path: Path) -> None:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["Agent Team Historical"], ["Interval: 12/11/2026"], [],
                ["Agent", "Date", "Calls Handled"], ["A-1", "2026-11-02", 4],
                ["Total", None, 4]):  # fmt: skip
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(
        buffer.getvalue(), "x.xlsx", max_bytes=1_000_000, max_rows=10, header_names=KNOWN
    )
    assert table.titles == ["Agent Team Historical", "Interval: 12/11/2026"]
    assert table.headers == ["Agent", "Date", "Calls Handled"]
    assert table.rows == [(5, ["A-1", "2026-11-02", 4])]


def test_no_header_found_falls_back_to_the_first_row() -> None:
    """The importer then names the columns it misses, as for any file."""
    table = read_table(b"x,y\n1,2\n", "x.csv", max_bytes=100, max_rows=10, header_names=KNOWN)
    assert (table.headers, table.rows) == (["x", "y"], [(2, ["1", "2"])])
