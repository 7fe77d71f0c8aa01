"""Progress bars for long command-line work (imports, exports, the integrity check, the demo,
backups): click's bar, drawn only when a person watches — stdout is a terminal. Piped into a
file, run from cron or a test runner, the commands print their results only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import click

Progress = Callable[[int], None]


def terminal() -> TextIO | None:
    """Where a bar is drawn: stderr (stdout stays the command's result) when stdout is a
    terminal; None otherwise."""
    return sys.stderr if sys.stdout.isatty() else None


def _ignore(_steps: int) -> None:
    return None


@contextmanager
def progress_bar(length: int, label: str) -> Iterator[Progress]:
    """A function that advances a bar of `length` steps by its argument; it does nothing
    when no one watches (see `terminal`)."""
    stream = terminal()
    if stream is None:
        yield _ignore
        return
    steps = max(length, 1)
    with click.progressbar(length=steps, label=label, file=stream) as bar:
        yield bar.update
        # Done is 100 %, whatever the estimate of the length was (a file's rows, a count).
        if bar.pos < steps:
            bar.update(steps - bar.pos)


def estimated_rows(data: bytes) -> int:
    """A bar's length for an uploaded file before it is read: its lines for CSV, about one
    row per 60 bytes for XLSX (a ZIP, compressed)."""
    if data.startswith(b"PK"):
        return len(data) // 60
    return data.count(b"\n")
