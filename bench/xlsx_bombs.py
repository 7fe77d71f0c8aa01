"""Hostile workbooks (issue 17, finding 4) against the upload reader: seconds and peak memory.

    python -m bench.xlsx_bombs            # every workbook, each read in a fresh interpreter
    python -m bench.xlsx_bombs --only cpu-bomb-2000x10000

Builds each workbook of the finding at the size of the attack (UTF-16 sheets that passed
the byte checks, 20M shared strings, 2,000 rows × 10,000 cells), and the costliest
workbooks that still pass every limit, writes them under bench/out/xlsx-bombs/, then reads
each with `qa_app.uploads.reader.read_table` in a fresh interpreter (so each peak is its
own) and prints the outcome, the seconds and the peak resident memory (VmHWM) beside the
interpreter's memory before the read. Figures go to bench/out/xlsx-bombs.json; the table
it prints is the one in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import OUT_DIR, machine, peak_rss_mb, run_in_subprocess
from qa_app.uploads.xlsx_safety import (
    MAX_CELLS,
    MAX_ELEMENTS,
    MAX_SHARED_STRINGS,
    MAX_SUPPORT_ELEMENTS,
)
from tests.support.hostile_files import (
    BILLION_LAUGHS,
    MAIN_NS,
    cell_bomb,
    padded,
    shared_strings_bomb,
    workbook,
)

UPLOAD_LIMIT = 16 * 1024 * 1024  # MAX_UPLOAD_MB's default
HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>Agent</t></is></c></row>'


def _wide_header(width: int) -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>h{n}</t></is></c>' for n in range(width))
    return f'<row r="1">{cells}</row>'


def _rich_text_sheet(elements: int) -> bytes:
    """One cell per row of 100 formatted runs (7 elements each): openpyxl's dearest cells."""
    run = (
        '<r><rPr><b/><sz val="11"/><color rgb="FF000000"/><rFont val="Calibri"/></rPr><t>x</t></r>'
    )
    rows = elements // 703
    data = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is>{run * 100}</is></c></row>'
        for n in range(2, rows + 2)
    )
    return padded(workbook(sheet_data=HEADER + data), len(data) // 80)


def _table(rows: int, width: int, cell: str) -> bytes:
    """A header `width` columns wide above `rows` rows of `width` cells: every cell is read."""
    data = "".join(f'<row r="{n}">{cell * width}</row>' for n in range(2, rows + 2))
    return padded(workbook(sheet_data=_wide_header(width) + data), len(data) // 80)


def _utf16(rows: int, width: int) -> bytes:
    """Rows of empty cells in a UTF-16 sheet, padded past the expansion check."""
    data = "".join(f'<row r="{n}">' + "<c/>" * width + "</row>" for n in range(1, rows + 1))
    return padded(workbook(sheet_data=data, sheet_encoding="UTF-16"), len(data) * 2 // 80)


def _text(rows: int, characters: int) -> bytes:
    """`rows` cells of `characters` letters each: as much text as the expansion cap allows."""
    text = "x" * characters
    data = "".join(
        f'<row r="{n}"><c t="inlineStr"><is><t>{text}</t></is></c></row>'
        for n in range(2, rows + 2)
    )
    return padded(workbook(sheet_data=HEADER + data), len(data) // 80)


def _styles(elements: int) -> bytes:
    styles = f'<styleSheet xmlns="{MAIN_NS}"><cellXfs>{"<xf/>" * elements}</cellXfs></styleSheet>'
    return workbook([["Agent"], ["A-1"]], extra={"xl/styles.xml": styles.encode()})


WORKBOOKS: dict[str, Callable[[], bytes]] = {
    # The attacks of the finding, at their size.
    "utf16-row-of-2M-cells": lambda: _utf16(1, 2_000_000),
    "utf16-billion-laughs": lambda: workbook(
        sheet_prolog=BILLION_LAUGHS,
        sheet_data=HEADER + '<row r="2"><c t="inlineStr"><is><t>&lol9;</t></is></c></row>',
        sheet_encoding="utf-16-le",
    ),
    "shared-strings-20M": lambda: shared_strings_bomb(20_000_000),
    "cpu-bomb-2000x10000": lambda: cell_bomb(2_000, 10_000),
    "cpu-bomb-2000x10000-utf16": lambda: _utf16(2_000, 10_000),
    "wide-header-over-1M-empty-rows": lambda: workbook(
        sheet_data=_wide_header(16_000) + "<row/>" * 1_000_000
    ),
    "wide-header-over-200k-empty-rows": lambda: workbook(
        sheet_data=_wide_header(16_000) + "<row/>" * 200_000
    ),
    "wide-header-over-row-1048576": lambda: workbook(
        sheet_data=_wide_header(16_000) + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    ),
    "shared-strings-5M": lambda: shared_strings_bomb(5_000_000),
    "styles-1M-formats": lambda: _styles(1_000_000),
    # The costliest workbooks under every limit: what a worker may spend on one upload.
    "under-limits-shared-strings": lambda: shared_strings_bomb(MAX_SHARED_STRINGS),
    "under-limits-value-cells": lambda: _table(
        MAX_ELEMENTS // 20_000 - 2, 10_000, "<c><v>1</v></c>"
    ),
    "under-limits-inline-text-cells": lambda: _table(
        MAX_ELEMENTS // 30_000 - 2, 10_000, '<c t="inlineStr"><is><t>x</t></is></c>'
    ),
    "under-limits-empty-cells": lambda: cell_bomb(MAX_CELLS // 10_000 - 1, 10_000),
    "under-limits-rich-text": lambda: _rich_text_sheet(MAX_ELEMENTS - 2_000),
    "under-limits-formats": lambda: _styles(MAX_SUPPORT_ELEMENTS - 10),
    "under-limits-250MB-of-text": lambda: _text(250, 1_000_000),
}


def read_one(
    path: Path, max_bytes: int = UPLOAD_LIMIT, max_rows: int = 1_000_000
) -> dict[str, object]:
    """Read one workbook as an upload: outcome, seconds, memory before and at the peak."""
    from qa_app.uploads.reader import TableError, read_table

    data = path.read_bytes()
    before = peak_rss_mb()
    started = time.perf_counter()
    try:
        table = read_table(data, path.name, max_bytes=max_bytes, max_rows=max_rows)
        outcome = f"read: {len(table.rows):,} rows"
    except TableError as error:
        outcome = f"refused: {error}"
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(WORKBOOKS))
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    if args.read:
        print(json.dumps(read_one(args.read)))
        return
    folder = OUT_DIR / "xlsx-bombs"
    folder.mkdir(parents=True, exist_ok=True)
    figures = {}
    for name in args.only or WORKBOOKS:
        path = folder / f"{name}.xlsx"
        path.write_bytes(WORKBOOKS[name]())
        result = run_in_subprocess("bench.xlsx_bombs", "--read", str(path))
        figures[name] = {"file_mb": round(path.stat().st_size / 2**20, 2), **result}
        path.unlink()
        print(
            f"| {name} | {figures[name]['file_mb']} | {result['seconds']} | "
            f"{result['rss_before_mb']} → {result['peak_rss_mb']} | {result['outcome'][:110]} |",
            flush=True,
        )
    record = {
        "benchmark": "xlsx-bombs",
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "command": " ".join(["python", "-m", "bench.xlsx_bombs", *sys.argv[1:]]),
        "machine": machine(),
        "workbooks": figures,
    }
    (OUT_DIR / "xlsx-bombs.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
