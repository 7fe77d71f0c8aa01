"""A million-row statistics workbook is refused before it is parsed: seconds and peak memory.

    python -m bench.xlsx_rows              # 1,000,000 rows
    python -m bench.xlsx_rows --rows 300000

Issue 18 asks that an XLSX over the row limit be refused from a fast look at the sheet, in
seconds, not after its rows are parsed (it took over a minute). Builds a real-looking
statistics export (agent, date, contacts, handle time, talk time; inline strings, as many
exporters write them) of `--rows` rows, streamed into the zip so the builder stays small,
then reads it in a fresh interpreter as `import-stats` does (the reader with the
`STATS_MAX_MB` and `STATS_MAX_ROWS` defaults) and prints the outcome, the seconds and the
peak resident memory beside the interpreter's before. The sheet scan of
`qa_app.uploads.xlsx_safety` refuses it (its rows limit) before openpyxl reads a cell.
Figures go to bench/out/xlsx-rows.json.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import zipfile
from pathlib import Path

from bench.common import OUT_DIR, machine, run_in_subprocess
from bench.xlsx_bombs import read_one
from tests.support.hostile_files import MAIN_NS, workbook

STATS_MAX_BYTES = 200 * 1024 * 1024  # STATS_MAX_MB's default
STATS_MAX_ROWS = 1_000_000  # STATS_MAX_ROWS's default
SHEET = "xl/worksheets/sheet1.xml"
HEADERS = ("Agent ID", "Date", "Calls Handled", "Handle Time", "Talk Time")


def _text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _row(number: int) -> str:
    agent, day = f"A-{number % 500}", f"2026-{1 + number % 12:02d}-{1 + number % 28:02d}"
    return (
        f'<row r="{number}">{_text(f"A{number}", agent)}{_text(f"B{number}", day)}'
        f'<c r="C{number}"><v>{number % 60}</v></c><c r="D{number}"><v>{number % 9000}</v></c>'
        f'<c r="E{number}"><v>{number % 7000}</v></c></row>'
    )


def build(path: Path, rows: int) -> None:
    """The workbook of `rows` data rows below a header, its sheet written in chunks."""
    parts = zipfile.ZipFile(io.BytesIO(workbook([HEADERS])))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member in parts.infolist():
            if member.filename != SHEET:
                out.writestr(member.filename, parts.read(member))
        with out.open(SHEET, "w", force_zip64=True) as sheet:
            header = "".join(_text(f"{chr(65 + n)}1", name) for n, name in enumerate(HEADERS))
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">'
                f'<dimension ref="A1:E{rows + 1}"/><sheetData><row r="1">{header}</row>'.encode()
            )
            for start in range(2, rows + 2, 10_000):
                chunk = "".join(_row(n) for n in range(start, min(start + 10_000, rows + 2)))
                sheet.write(chunk.encode())
            sheet.write(b"</sheetData></worksheet>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    if args.read:  # as import-stats reads it, with its default limits
        print(json.dumps(read_one(args.read, STATS_MAX_BYTES, STATS_MAX_ROWS)))
        return
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"stats-{args.rows}.xlsx"
    started = time.perf_counter()
    build(path, args.rows)
    built = time.perf_counter() - started
    result = run_in_subprocess("bench.xlsx_rows", "--read", str(path))
    record = {
        "benchmark": "xlsx-rows",
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "command": " ".join(["python", "-m", "bench.xlsx_rows", *sys.argv[1:]]),
        "machine": machine(),
        "rows": args.rows,
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "build_seconds": round(built, 1),
        **result,
    }
    path.unlink()
    (OUT_DIR / "xlsx-rows.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
