"""The evaluations export against a bare openpyxl writer, and its peak memory by size.

    python -m bench.export bench/out/b100k.sqlite --memory bench/out/b10k.sqlite …

Throughput: the real export (`export_evaluations` inside `snapshot_read`, as the CLI runs
it) of every scored evaluation in the database, then a bare openpyxl write-only workbook
(lxml installed) writing the very same cells, read back from the export's file into
memory first; both in this process, one after the other, best of `--repeat`. The ratio is
bare time / export time (= export throughput / bare throughput; target ≥ 0.85).

Memory: each database's export runs in a fresh interpreter (`--one`), which reports its
peak resident size (VmHWM: unlike getrusage's maxrss it does not carry the parent's peak)
before and after the export.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    database_url,
    make_app,
    peak_rss_mb,
    run_in_subprocess,
    write_figures,
)

# Long enough to cover every generated evaluation (two years and a bit).
PERIOD_DAYS = 800


def run_export(url: str, out: str) -> tuple[float, float, dict[str, int]]:
    """The real export of the whole history to `out`: wall seconds, this process's CPU
    seconds (less disturbed by a busy machine; SQLite's work is in this process too, a
    PostgreSQL server's is not) and rows per sheet."""
    from qa_app.database import snapshot_read
    from qa_app.exports.services import export_evaluations
    from qa_app.extensions import db
    from qa_app.stats.filters import ReportFilters

    app = make_app(url)
    with app.app_context(), app.test_request_context():
        today = datetime.now(UTC).date()
        filters = ReportFilters(today - timedelta(days=PERIOD_DAYS), today, UTC)
        started, cpu = time.perf_counter(), time.process_time()
        with snapshot_read(db.session), open(out, "wb") as handle:
            rows = export_evaluations(filters, handle)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        db.session.remove()
        db.engine.dispose()
    return elapsed, cpu, rows


def read_cells(path: str) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every sheet's cell values, in memory."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    sheets = [
        (sheet.title, [tuple(row) for row in sheet.iter_rows(values_only=True)])
        for sheet in workbook.worksheets
    ]
    workbook.close()
    return sheets


def bare_write(sheets: list[tuple[str, list[tuple[Any, ...]]]], out: str) -> tuple[float, float]:
    """A write-only workbook with the same cells and nothing else: wall and CPU seconds."""
    from openpyxl import Workbook

    started, cpu = time.perf_counter(), time.process_time()
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(out)
    return time.perf_counter() - started, time.process_time() - cpu


def one(url: str) -> dict[str, Any]:
    """Fresh-process measurement: peak RSS before and after one export."""
    import qa_app.models  # noqa: F401 - load the app's modules before the baseline

    before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        elapsed, _cpu, rows = run_export(url, str(Path(folder) / "export.xlsx"))
    return {
        "evaluations": rows.get("Evaluations", 0),
        "answers": rows.get("Answers", 0),
        "seconds": round(elapsed, 2),
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def throughput(url: str, repeat: int) -> dict[str, Any]:
    """Export vs bare writer in this process, best of `repeat` each."""
    import lxml  # noqa: F401 - openpyxl writes through lxml when it is installed
    from openpyxl.xml import LXML

    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "export.xlsx")
        exports, export_cpu = [], []
        for _ in range(repeat):
            elapsed, cpu, rows = run_export(url, out)
            exports.append(elapsed)
            export_cpu.append(cpu)
        size = Path(out).stat().st_size
        sheets = read_cells(out)
        cells = sum(len(row) for _title, rows_ in sheets for row in rows_)
        bare_runs = [bare_write(sheets, str(Path(folder) / "bare.xlsx")) for _ in range(repeat)]
    bare, bare_cpu = [run[0] for run in bare_runs], [run[1] for run in bare_runs]
    best_export, best_bare = min(exports), min(bare)
    return {
        "lxml": LXML,
        "rows": rows,
        "cells": cells,
        "file_mb": round(size / 1024 / 1024, 1),
        "export_seconds": [round(value, 2) for value in exports],
        "bare_seconds": [round(value, 2) for value in bare],
        "export_cells_per_second": round(cells / best_export),
        "bare_cells_per_second": round(cells / best_bare),
        "ratio": round(best_bare / best_export, 3),
        "export_cpu_seconds": [round(value, 2) for value in export_cpu],
        "bare_cpu_seconds": [round(value, 2) for value in bare_cpu],
        "cpu_ratio": round(min(bare_cpu) / min(export_cpu), 3),
        "target": 0.85,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="the database whose export is timed (100k at full)")
    parser.add_argument("--memory", nargs="*", default=[], help="databases for peak memory")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = database_url(args.database)
    if args.one:
        print(json.dumps(one(url)))
        return
    figures: dict[str, Any] = {"throughput": throughput(url, args.repeat)}
    print(json.dumps(figures["throughput"]), flush=True)
    memory = []
    for target in args.memory:
        result = run_in_subprocess("bench.export", target, "--one")
        print(json.dumps(result), flush=True)
        memory.append(result)
    if memory:
        smallest = min(memory, key=lambda m: m["evaluations"])
        largest = max(memory, key=lambda m: m["evaluations"])
        figures["memory"] = memory
        figures["memory_ratio"] = round(largest["peak_rss_mb"] / smallest["peak_rss_mb"], 3)
        figures["memory_target"] = 1.3
    write_figures("export", url, figures)


if __name__ == "__main__":
    main(sys.argv[1:])
